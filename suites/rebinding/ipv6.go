package rebinding

import (
	"context"
	"net"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// ipv6Scenarios are the scenarios of an upstream DNS names by AAAA
// records only.
func ipv6Scenarios() []harness.Scenario {
	return []harness.Scenario{{
		// SHOULD, not MUST: the API says the hostname is "used to reach this
		// backend" and names no address family, and a gateway deployed
		// without IPv6 egress cannot reach such a host.
		Scenario:    verdict.Should.Scenario("DNSAAAAOnlyReachesIPv6Upstream", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.DNSOnlyAAAA},
		Description: "reaches an upstream whose hostname has an AAAA record and no A record (a host on IPv6 only)",
		Source:      apitext.AAAARecord,
		Run:         aaaaOnlyReachesIPv6Upstream,
	}}
}

// aaaaOnlyReachesIPv6Upstream: the hostname has one AAAA record, the
// upstream's address on the simulated internet's IPv6 half, and no A
// record (NODATA); requests reach the upstream.
func aaaaOnlyReachesIPv6Upstream(ctx context.Context, s *harness.T) {
	n := s.Env().Network
	switch {
	case n.NoIPv6 != "":
		Skip("the upstream would be at an IPv6 address, which the implementation cannot reach: " + n.NoIPv6)
	case !n.InternetV6.IsValid():
		Skip("no IPv6 address of the simulated internet for the upstream: " + n.NoInternetV6)
	}
	up := s.StartUpstream(ctx, harness.UpstreamConfig{Role: "ipv6", Addr: net.JoinHostPort(n.InternetV6.String(), "0")})
	By("answering AAAA " + up.Host() + " for the hostname, and no A record")
	s.AnswerType(ctx, s.Hostname, mdns.TypeAAAA, dns.Static(dns.Records(5, "AAAA "+up.Host())))
	gw := applyCleartext(ctx, s, up)

	By("sending a request through the Gateway to the IPv6 upstream")
	s.EventuallyGet(ctx, gw, "/aaaa", harness.FromUpstream(up))
	By("checking the DNS log shows the AAAA query answered with the upstream's address")
	q, err := s.Served(ctx, s.Hostname, harness.AnswerIs(up.Host()))
	Expect(err).NotTo(HaveOccurred(), "the DNS log has no %s query answered with %s: the implementation reached the upstream without the AAAA answer of the DNS server it was given (%s)",
		s.Hostname, up.Host(), s.Env().DNSServer)
	s.Note("the implementation asked %s %s over %s from %s", q.Type, q.Name, q.Transport, q.Peer)
}
