package dataplane

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/guardrail"
)

// faultyPolicy is the guardrail with the classifier a guardrail fault puts
// in place of guardrail.Check; the allow list stays. Both lines of the
// dialer use it, as a gateway with such a classifier uses it everywhere.
func faultyPolicy(p guardrail.Policy, fs faults.Set) guardrail.Policy {
	switch {
	case fs.Has(faults.StdlibIPClasses):
		p.Deny = stdlibIPClasses
	case fs.Has(faults.TextPrefixBlocklist):
		p.Deny = textPrefixBlocklist
	}
	return p
}

// stdlibIPClasses is the stdlib-ip-classes fault: the address classes of
// net/netip alone (which see through the IPv4-mapped form, but know nothing
// of the unspecified address, 0/8, carrier-grade NAT or NAT64 and 6to4).
func stdlibIPClasses(a netip.Addr) error {
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsLinkLocalMulticast() {
		return fmt.Errorf("%s is loopback, private, link-local or multicast", a)
	}
	return nil
}

// blockedText are the prefixes of the text-prefix-blocklist fault: the
// addresses SSRF examples show, written as text.
var blockedText = []string{"127.0.0.", "0.0.0.0", "10.", "172.16.", "192.168.", "169.254.169.254", "::1", "fd00:ec2::254"}

// textPrefixBlocklist is the text-prefix-blocklist fault: the address's
// text matched against blockedText.
func textPrefixBlocklist(a netip.Addr) error {
	text := a.String()
	for _, p := range blockedText {
		if strings.HasPrefix(text, p) {
			return fmt.Errorf("%s starts with the blocked %q", a, p)
		}
	}
	return nil
}
