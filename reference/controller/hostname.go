package controller

import (
	"net/netip"
	"strconv"
	"strings"
)

// ipLiteral reports whether host is an IP address in any form a resolver or
// URL parser would read as one: the dotted quad and IPv6 of netip, and the
// inet_aton shorthands the v1.6.3 CRD admits although its message says IPs
// are refused (127.1, 2130706433, 0x7f.0.0.1, 017700000001).
func ipLiteral(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return false
	}
	for i, p := range parts {
		v, ok := inetNumber(p)
		if !ok {
			return false
		}
		// Every part but the last is one byte; the last fills the bytes left.
		limit := uint64(255)
		if i == len(parts)-1 {
			limit = 1<<(8*(5-len(parts))) - 1
		}
		if v > limit {
			return false
		}
	}
	return true
}

// inetNumber reads one inet_aton part: decimal, octal with a leading 0, or
// hexadecimal with 0x.
func inetNumber(p string) (uint64, bool) {
	base := 10
	switch {
	case p == "":
		return 0, false
	case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
		base, p = 16, p[2:]
		if p == "" {
			return 0, true
		}
	case len(p) > 1 && p[0] == '0':
		base, p = 8, p[1:]
	}
	v, err := strconv.ParseUint(p, base, 32)
	return v, err == nil
}

// inClusterName says why host names something inside the cluster or the
// gateway's own machine rather than an external service, or "" when it does
// not. The CRD only refuses *.cluster.local; a custom clusterDomain,
// localhost and names the cluster's DNS search path would complete are
// refused here.
func inClusterName(host, clusterDomain string) string {
	host = strings.ToLower(host)
	domain := strings.Trim(strings.ToLower(clusterDomain), ".")
	switch {
	case host == "localhost" || strings.HasSuffix(host, ".localhost"):
		return "it names the gateway's own host (localhost)"
	case !strings.Contains(host, "."):
		return "a single-label name is completed by the cluster's DNS search path into an in-cluster name"
	case domain != "" && (host == domain || strings.HasSuffix(host, "."+domain)):
		return "it is under the cluster domain " + domain
	case strings.HasSuffix(host, ".svc"):
		return "it is a short in-cluster Service name (.svc)"
	}
	return ""
}
