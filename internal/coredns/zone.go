package coredns

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
	"k8s.io/apimachinery/pkg/util/validation"
)

// StubZone is a DNS zone CoreDNS forwards to servers of xbcheck's, such as
// xbcheck.test to the rogue DNS Service's ClusterIP.
type StubZone struct {
	// Zone is the zone's name, with or without the trailing dot.
	Zone string
	// Servers answer for the zone; pods must reach them (a ClusterIP and
	// port 53, not a loopback address: that would be CoreDNS's own).
	Servers []netip.AddrPort
}

// name is the zone's name in lower case, without the trailing dot.
func (z StubZone) name() string {
	return strings.ToLower(strings.TrimSuffix(z.Zone, "."))
}

func (z StubZone) validate() error {
	name := z.name()
	if name == "" || strings.ContainsAny(name, " \t\r\n{}#\"") || !isDomainName(name) {
		return fmt.Errorf("stub zone %q is no DNS zone xbcheck may forward; name one such as xbcheck.test", z.Zone)
	}
	if len(z.Servers) == 0 {
		return fmt.Errorf("stub zone %s has no servers; give the address and port of the DNS server that answers for it", name)
	}
	for _, s := range z.Servers {
		if !s.IsValid() || s.Port() == 0 || s.Addr().Unmap().IsLoopback() || s.Addr().IsUnspecified() {
			return fmt.Errorf("stub zone %s: CoreDNS's pods cannot reach server %s; give an address and port pods reach, such as a Service's ClusterIP and 53", name, s)
		}
	}
	return nil
}

// isDomainName reports whether name is a domain name below the root.
func isDomainName(name string) bool {
	_, ok := dns.IsDomainName(name)
	return ok && name != "."
}

// validRun checks that run can mark the ConfigMap as a label value.
func validRun(run string) error {
	if run == "" {
		return errors.New("no run id to mark CoreDNS's ConfigMap with; give the run's id")
	}
	if errs := validation.IsValidLabelValue(run); len(errs) > 0 {
		return fmt.Errorf("run id %q cannot mark CoreDNS's ConfigMap: %s", run, strings.Join(errs, "; "))
	}
	return nil
}
