package runner

import (
	"errors"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/xbcheck/xbcheck/suites"
)

// checkFlags checks, without a cluster, the options whose mistakes a run
// would otherwise meet only once it has started something: addresses,
// names, files and folders. Each error names its flag and what to give.
func (o *Options) checkFlags() error {
	if o.GatewayAddress != "" {
		if err := CheckGatewayAddress(o.GatewayAddress); err != nil {
			return err
		}
	}
	if o.ClusterDomain != "" && len(validation.IsDNS1123Subdomain(strings.ToLower(o.ClusterDomain))) > 0 {
		return usagef("--cluster-domain %q is not a DNS domain; give one such as cluster.local", o.ClusterDomain)
	}
	if o.ControllerName != "" && (len(o.ControllerName) > 253 || !controllerName.MatchString(o.ControllerName)) {
		return usagef("--controller-name %q is not a Gateway API controller name (a domain, a slash and a path); give one such as example.com/gateway-controller", o.ControllerName)
	}
	if o.FakesURL != "" {
		u, err := url.Parse(o.FakesURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--fakes-url %q is not an http URL; give the control-api URL `xbcheck fakes` printed, such as http://127.0.0.1:8080", o.FakesURL)
		}
	}
	if o.FakesImage != "" {
		if _, err := name.ParseReference(o.FakesImage); err != nil {
			return usagef("--fakes-image %q: %v; give an image reference such as registry.example.com/team/xbcheck:v1", o.FakesImage, err)
		}
	}
	if o.ImageRegistry != "" {
		if _, err := name.NewRepository(strings.TrimSuffix(o.ImageRegistry, "/") + "/xbcheck"); err != nil {
			return usagef("--image-registry %q: %v; give a repository such as registry.example.com/team", o.ImageRegistry, err)
		}
	}
	if o.Kubeconfig != "" {
		if info, err := os.Stat(o.Kubeconfig); err != nil {
			return usagef("cannot read --kubeconfig %s: %v; give the path of a readable kubeconfig file", o.Kubeconfig, errors.Unwrap(err))
		} else if info.IsDir() {
			return usagef("cannot read --kubeconfig %s: it is a folder; give the path of a readable kubeconfig file", o.Kubeconfig)
		}
	}
	if o.JUnitReport != "" {
		if info, err := os.Stat(filepath.Dir(o.JUnitReport)); err != nil || !info.IsDir() {
			return usagef("--junit-report %s: its folder %s does not exist; create it, or give a file in an existing folder", o.JUnitReport, filepath.Dir(o.JUnitReport))
		}
		if info, err := os.Stat(o.JUnitReport); err == nil && info.IsDir() {
			return usagef("--junit-report %s is a folder; give a file name", o.JUnitReport)
		}
	}
	if o.ReportDir != "" {
		if info, err := os.Stat(o.ReportDir); err == nil && !info.IsDir() {
			return usagef("--report-output %s is a file; give a folder (it is created when missing)", o.ReportDir)
		}
	}
	known := map[string]bool{}
	for _, f := range suites.Families() {
		for _, t := range f.Scenarios {
			known[t.ShortName] = true
		}
	}
	for _, s := range o.First {
		if !known[s] {
			return usagef("--first %q is not a scenario's ShortName; see `xbcheck run --dry-run`", s)
		}
	}
	return nil
}

// controllerName is the pattern of GatewayClass spec.controllerName in
// Gateway API's CRD.
var controllerName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$`)

// CheckGatewayAddress says, in one line, why a --gateway-address is not
// an IP address or host name with an optional :PORT, or nil. An IPv6
// address with a port is written in brackets, [2001:db8::1]:8080.
func CheckGatewayAddress(address string) error {
	host, port := address, ""
	if h, p, err := net.SplitHostPort(address); err == nil {
		host, port = h, p
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return usagef("--gateway-address %q: port %q is not a number from 1 to 65535; give HOST or HOST:PORT", address, port)
		}
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if host != "" && len(validation.IsDNS1123Subdomain(strings.ToLower(host))) == 0 {
		return nil
	}
	return usagef("--gateway-address %q is not an IP address or host name with an optional :PORT; give one such as 192.0.2.10, gateway.example.com:8080 or [2001:db8::1]:8443", address)
}
