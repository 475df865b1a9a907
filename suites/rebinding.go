package suites

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// rebindCase is one rebinding attack: once the implementation has reached
// the public upstream, DNS answers for the spec's hostname (TTL 0) point
// somewhere the implementation must never connect to.
type rebindCase struct {
	// sandbox, when set, is why the case needs the network sandbox.
	sandbox string
	// targets are the forbidden destinations; a canary listens on each, on
	// the XBackend's port.
	targets func(n Network) []netip.Addr
	// attack returns the programs that answer A and AAAA queries from then
	// on; a zero Program leaves the type without one (NODATA).
	attack func(public netip.Addr, n Network) (a, aaaa dns.Program)
	// forbidden is the answer data (an address in the exact form served, or
	// a CNAME target) the DNS log must show was served: the positive control.
	forbidden func(n Network) string
	// publicToo says the answer still holds the public upstream, which must
	// keep being reached.
	publicToo bool
}

func loopback(n Network) netip.Addr { return n.Loopback }
func pod(n Network) netip.Addr      { return n.Pod }

// metadata returns the metadata address of the family asked for.
func metadata(v6 bool) func(Network) netip.Addr {
	return func(n Network) netip.Addr {
		for _, a := range n.Metadata {
			if a.Is6() == v6 {
				return a
			}
		}
		return netip.Addr{}
	}
}

// Why the sandbox-only cases cannot run on loopback.
const (
	metadataOnlyInSandbox = "the metadata address is a canary only inside the sandbox; outside it, it is the real cloud metadata service"
	podOnlyInSandbox      = "the in-cluster pod address 10.244.0.10 is a canary only inside the sandbox"
	formOnlyInSandbox     = "the canary stands in for the translator at the embedded form's own address, which exists only inside the sandbox; outside it a dial would leave the machine"
)

// rebindA answers A records for the target from now on.
func rebindA(target func(Network) netip.Addr, sandbox string) rebindCase {
	return rebindCase{
		sandbox: sandbox,
		targets: func(n Network) []netip.Addr { return []netip.Addr{target(n)} },
		attack: func(_ netip.Addr, n Network) (dns.Program, dns.Program) {
			return dns.Static(dns.Records(0, "A "+target(n).String())), dns.Program{}
		},
		forbidden: func(n Network) string { return target(n).String() },
	}
}

// rebindFlipFlop alternates the target and the public upstream on every A
// query: an implementation that checks one lookup and dials after another
// (time of check, time of use) connects to the target.
func rebindFlipFlop(target func(Network) netip.Addr) rebindCase {
	c := rebindA(target, "")
	c.attack = func(public netip.Addr, n Network) (dns.Program, dns.Program) {
		return dns.RoundRobin(dns.Records(0, "A "+target(n).String()), dns.Records(0, "A "+public.String())), dns.Program{}
	}
	return c
}

// rebindMixed answers the public upstream and the target in one A answer.
func rebindMixed(target func(Network) netip.Addr, publicFirst bool) rebindCase {
	c := rebindA(target, "")
	c.publicToo = true
	c.attack = func(public netip.Addr, n Network) (dns.Program, dns.Program) {
		records := []string{"A " + public.String(), "A " + target(n).String()}
		if !publicFirst {
			slices.Reverse(records)
		}
		return dns.Static(dns.Records(0, records...)), dns.Program{}
	}
	return c
}

// rebindAAAA answers no A record and the target in an IPv6 form in AAAA
// (the reference data plane, like most, asks for both); the canary listens
// where a dial to that form arrives.
func rebindAAAA(form func(netip.Addr) netip.Addr, target func(Network) netip.Addr, canaryAt func(netip.Addr) netip.Addr, sandbox string) rebindCase {
	return rebindCase{
		sandbox: sandbox,
		targets: func(n Network) []netip.Addr { return []netip.Addr{canaryAt(form(target(n)))} },
		attack: func(_ netip.Addr, n Network) (dns.Program, dns.Program) {
			return dns.Static(dns.Records(0)), dns.Static(dns.Records(0, "AAAA "+form(target(n)).String()))
		},
		forbidden: func(n Network) string { return form(target(n)).String() },
	}
}

// rebindCNAME answers A and AAAA queries with a CNAME out of the zone, to a
// name the implementation's own resolver knows.
func rebindCNAME(name string, targets func(Network) []netip.Addr) rebindCase {
	return rebindCase{
		targets: targets,
		attack: func(netip.Addr, Network) (dns.Program, dns.Program) {
			p := dns.Static(dns.Records(0, "CNAME "+name))
			return p, p
		},
		forbidden: func(Network) string { return name },
	}
}

func same(a netip.Addr) netip.Addr { return a }

// unmapped is where a dial to an IPv4-mapped address arrives: the IPv4
// address itself.
func unmapped(a netip.Addr) netip.Addr { return a.Unmap() }

// localhosts are where the name localhost leads.
func localhosts(n Network) []netip.Addr { return []netip.Addr{n.Loopback, netip.IPv6Loopback()} }

// inCluster are where a cluster-local name could lead: the pod canary in the
// sandbox, and loopback everywhere.
func inCluster(n Network) []netip.Addr {
	if n.Pod.IsValid() {
		return []netip.Addr{n.Loopback, n.Pod}
	}
	return []netip.Addr{n.Loopback}
}

// rebindEntry declares one rebinding attack as a table entry.
func rebindEntry(s Scenario, description string, c rebindCase) TableEntry {
	return Entry(description, s.Labels(), s.ShortName, c)
}

// Catalog group E: DNS resolution and egress safety, whatever DNS answers.
var _ = Describe("DNS and egress safety", func() {
	It("resolves the external hostname through DNS", Scenario{"DNSResolvesExternalHostname", Must, FeatureExternalHostname}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "DNSResolvesExternalHostname")
		up := s.startUpstream(ctx, upstream.Config{Role: "public"})
		s.resolveTo(up, 5)
		s.apply(ctx, "common/gateway.yaml", nil)
		s.apply(ctx, "rebinding/cleartext.yaml", map[string]string{"Port": strconv.Itoa(int(up.Addr().Port()))})

		By("sending a request through the Gateway to the upstream the hostname resolves to")
		s.eventuallyGet(ctx, s.gatewayAddress(ctx, "gw"), "/resolve", fromUpstream(up))
		By("checking the DNS log shows the implementation asked for the hostname and was served the upstream's address")
		q, err := s.served(ctx, s.hostname, answerIs(up.Addr().Addr().String()))
		Expect(err).NotTo(HaveOccurred(), "the DNS log has no %s query answered with %s: the implementation did not resolve the hostname through the DNS server it was given (%s)",
			s.hostname, up.Addr().Addr(), config.Environment.DNS.Addr())
		s.evidence.note("the implementation asked %s %s over %s from %s", q.Type, q.Name, q.Transport, q.Peer)
	})

	It("sends new connections to a changed DNS record within the Traffic timeout", Scenario{"DNSFollowsRecordChange", Should, FeatureExternalHostname}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "DNSFollowsRecordChange")
		first, second, drops := s.startUpstreamPair(ctx)
		s.answer(s.hostname, dns.Static(dns.Records(1, "A "+first.Addr().Addr().String())))
		gw := s.applyCleartext(ctx, first)

		By("reaching the first upstream while DNS answers its address with TTL 1s")
		s.eventuallyGet(ctx, gw, "/before", fromUpstream(first))
		By("changing the A record to the second upstream's address")
		s.answer(s.hostname, dns.Static(dns.Records(1, "A "+second.Addr().Addr().String())))
		By("checking new connections reach the second upstream once the TTL has passed")
		var last string
		Eventually(func(g Gomega) {
			drops()
			r, err := s.get(ctx, gw, "/after")
			last = outcome(r, err, first, second)
			g.Expect(err).NotTo(HaveOccurred())
			fromUpstream(second)(g, r)
		}).WithContext(ctx).WithTimeout(config.Timeouts.Traffic).WithPolling(config.Timeouts.Poll).Should(Succeed(),
			"%s after the A record changed (TTL 1s), new connections still do not reach the second upstream (last: %s): the implementation ignores the DNS TTL; see the DNS log in the evidence for when it asked again",
			config.Timeouts.Traffic, last)
	})

	It("measures how long new connections take to follow a changed A record", Scenario{"DNSTTLFollowDelay", Observe, FeatureDNSRebindingProtection}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "DNSTTLFollowDelay")
		first, second, drops := s.startUpstreamPair(ctx)
		s.answer(s.hostname, dns.Static(dns.Records(3, "A "+first.Addr().Addr().String())))
		gw := s.applyCleartext(ctx, first)
		s.eventuallyGet(ctx, gw, "/before", fromUpstream(first))

		By("changing the A record (TTL 3s) to the second upstream and timing new connections")
		s.answer(s.hostname, dns.Static(dns.Records(3, "A "+second.Addr().Addr().String())))
		s.observe("seconds until new connections follow a changed A record (TTL 3s)", s.timeToFollow(ctx, gw, second, drops, first))
	})

	It("measures which TTL rules a CNAME chain whose CNAME TTL is shorter than its A TTL", Scenario{"DNSTTLCNAMEShorterThanA", Observe, FeatureDNSRebindingProtection}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "DNSTTLCNAMEShorterThanA")
		first, second, drops := s.startUpstreamPair(ctx)
		firstName, secondName := "first."+s.hostname, "second."+s.hostname
		s.answer(firstName, dns.Static(dns.Records(10, "A "+first.Addr().Addr().String())))
		s.answer(secondName, dns.Static(dns.Records(10, "A "+second.Addr().Addr().String())))
		s.answer(s.hostname, dns.Static(dns.Records(0, "1 CNAME "+firstName+".", "10 A "+first.Addr().Addr().String())))
		gw := s.applyCleartext(ctx, first)
		s.eventuallyGet(ctx, gw, "/before", fromUpstream(first))

		By("pointing the CNAME (TTL 1s) at the second upstream's name (A TTL 10s) and timing new connections")
		s.answer(s.hostname, dns.Static(dns.Records(0, "1 CNAME "+secondName+".", "10 A "+second.Addr().Addr().String())))
		s.observe("seconds until new connections follow a changed CNAME (CNAME TTL 1s, A TTL 10s)", s.timeToFollow(ctx, gw, second, drops, first))
	})

	It("records whether the last good answer is kept when DNS starts failing", Scenario{"DNSServFailAfterGoodAnswer", Observe, FeatureDNSRebindingProtection}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "DNSServFailAfterGoodAnswer")
		up, conns := s.startDroppableUpstream(ctx, upstream.Config{Role: "public"})
		s.answer(s.hostname, dns.Static(dns.Records(1, "A "+up.Addr().Addr().String())))
		gw := s.applyCleartext(ctx, up)
		s.eventuallyGet(ctx, gw, "/before", fromUpstream(up))

		By("answering SERVFAIL from now on, and waiting until the implementation has been served one")
		s.answer(s.hostname, dns.Static(dns.ServFail()))
		served := pollUntil(ctx, config.Timeouts.Traffic, func() bool {
			conns.drop()
			_, _ = s.get(ctx, gw, "/servfail")
			return slices.ContainsFunc(config.Environment.DNS.Log(), func(q dns.Query) bool {
				return strings.EqualFold(q.Name, s.hostname+".") && q.Rcode == mdns.RcodeToString[mdns.RcodeServerFailure]
			})
		})
		if !served {
			s.observe("after SERVFAIL", fmt.Sprintf("not asked: the implementation did not query DNS again within %s of a TTL 1s answer", config.Timeouts.Traffic))
			return
		}
		By("sending requests on new connections for the Never window")
		var seen []string
		kept := 0
		pollUntil(ctx, config.Timeouts.Never, func() bool {
			conns.drop()
			r, err := s.get(ctx, gw, "/after")
			if err == nil && r.Upstream != nil && r.Upstream.Token == up.Token() {
				kept++
			}
			seen = append(seen, outcome(r, err, up))
			return false
		})
		verdict := "mixed"
		switch kept {
		case len(seen):
			verdict = "last good answer kept"
		case 0:
			verdict = "requests fail"
		}
		s.observe("after SERVFAIL", fmt.Sprintf("%s: %d of %d requests reached the upstream (%s)", verdict, kept, len(seen), tally(seen)))
	})

	DescribeTable("never connects where a rebinding DNS answer points",
		func(ctx SpecContext, shortName string, c rebindCase) {
			runRebind(ctx, shortName, c, false)
		},
		rebindEntry(Scenario{"RebindLoopback", Should, FeatureDNSRebindingProtection}, "loopback after the upstream", rebindA(loopback, "")),
		rebindEntry(Scenario{"RebindLoopbackFlipFlop", Should, FeatureDNSRebindingProtection}, "loopback and the upstream in turn (time of check, time of use)", rebindFlipFlop(loopback)),
		rebindEntry(Scenario{"RebindMetadataIPv4", Should, FeatureDNSRebindingProtection}, "the IPv4 metadata address", rebindA(metadata(false), metadataOnlyInSandbox)),
		rebindEntry(Scenario{"RebindMetadataIPv6", Should, FeatureDNSRebindingProtection}, "the IPv6 metadata address in AAAA", rebindAAAA(same, metadata(true), same, metadataOnlyInSandbox)),
		rebindEntry(Scenario{"RebindPodAddress", Should, FeatureDNSRebindingProtection}, "an in-cluster pod address", rebindA(pod, podOnlyInSandbox)),
		rebindEntry(Scenario{"RebindMixedPublicFirst", Should, FeatureDNSRebindingProtection}, "one answer: the upstream, then loopback", rebindMixed(loopback, true)),
		rebindEntry(Scenario{"RebindMixedLoopbackFirst", Should, FeatureDNSRebindingProtection}, "one answer: loopback, then the upstream", rebindMixed(loopback, false)),
		rebindEntry(Scenario{"RebindCNAMEClusterLocal", Should, FeatureDNSRebindingProtection}, "a CNAME to a cluster-local Service name", rebindCNAME("x.svc.cluster.local.", inCluster)),
		rebindEntry(Scenario{"RebindCNAMELocalhost", Should, FeatureDNSRebindingProtection}, "a CNAME to localhost.", rebindCNAME("localhost.", localhosts)),
		rebindEntry(Scenario{"RebindIPv4MappedLoopback", Should, FeatureDNSRebindingProtection}, "loopback as an IPv4-mapped AAAA", rebindAAAA(dns.IPv4Mapped, loopback, unmapped, "")),
		rebindEntry(Scenario{"RebindNAT64Loopback", Should, FeatureDNSRebindingProtection}, "loopback as a NAT64 AAAA", rebindAAAA(dns.NAT64, loopback, same, formOnlyInSandbox)),
		rebindEntry(Scenario{"RebindSixToFourLoopback", Should, FeatureDNSRebindingProtection}, "loopback as a 6to4 AAAA", rebindAAAA(dns.SixToFour, loopback, same, formOnlyInSandbox)),
		rebindEntry(Scenario{"RebindIPv4MappedMetadata", Should, FeatureDNSRebindingProtection}, "the metadata address as an IPv4-mapped AAAA", rebindAAAA(dns.IPv4Mapped, metadata(false), unmapped, metadataOnlyInSandbox)),
		rebindEntry(Scenario{"RebindNAT64Metadata", Should, FeatureDNSRebindingProtection}, "the metadata address as a NAT64 AAAA", rebindAAAA(dns.NAT64, metadata(false), same, formOnlyInSandbox)),
		rebindEntry(Scenario{"RebindSixToFourMetadata", Should, FeatureDNSRebindingProtection}, "the metadata address as a 6to4 AAAA", rebindAAAA(dns.SixToFour, metadata(false), same, formOnlyInSandbox)),
	)

	// GEP-4894: sensitive localhost endpoints MUST be protected by TLS. This
	// holds for every implementation that verifies ServerOnly TLS, with or
	// without a rebinding guard, so these specs belong to FeatureTLS: gating
	// them on DNSRebindingProtection would exempt exactly the
	// implementations the TLS check is the last line for. A canary may be
	// connected to; its answer must never reach the client.
	DescribeTable("never delivers a rebinding target's answer through ServerOnly TLS",
		func(ctx SpecContext, shortName string, c rebindCase) {
			runRebind(ctx, shortName, c, true)
		},
		rebindEntry(Scenario{"RebindTLSLoopback", Must, FeatureTLS}, "loopback after the upstream", rebindA(loopback, "")),
		rebindEntry(Scenario{"RebindTLSLoopbackFlipFlop", Must, FeatureTLS}, "loopback and the upstream in turn", rebindFlipFlop(loopback)),
		rebindEntry(Scenario{"RebindTLSMixedLoopbackFirst", Must, FeatureTLS}, "one answer: loopback, then the upstream", rebindMixed(loopback, false)),
		rebindEntry(Scenario{"RebindTLSIPv4MappedLoopback", Must, FeatureTLS}, "loopback as an IPv4-mapped AAAA", rebindAAAA(dns.IPv4Mapped, loopback, unmapped, "")),
		rebindEntry(Scenario{"RebindTLSCNAMELocalhost", Must, FeatureTLS}, "a CNAME to localhost.", rebindCNAME("localhost.", localhosts)),
		rebindEntry(Scenario{"RebindTLSMetadata", Must, FeatureTLS}, "the IPv4 metadata address", rebindA(metadata(false), metadataOnlyInSandbox)),
		rebindEntry(Scenario{"RebindTLSPodAddress", Must, FeatureTLS}, "an in-cluster pod address", rebindA(pod, podOnlyInSandbox)),
	)
})

// runRebind plays one rebinding attack: the implementation reaches the
// public upstream, DNS then points elsewhere with TTL 0, and for the Never
// window every probe (on a fresh client connection, with the upstream's
// connections dropped so the implementation dials anew) must keep away from
// the canaries. Through ServerOnly TLS (withTLS) a canary may be connected
// to, but its answer must never reach the client.
func runRebind(ctx context.Context, shortName string, c rebindCase, withTLS bool) {
	if c.sandbox != "" {
		needsSandbox(c.sandbox)
	}
	n := config.Environment.Network
	s := newSpec(ctx, shortName)
	cfg := upstream.Config{Role: "public"}
	manifest := "rebinding/cleartext.yaml"
	if withTLS {
		cfg.TLS = upstream.TLSValid
		manifest = "rebinding/server-only-tls.yaml"
		s.createCAConfigMap(ctx, "upstream-ca", s.ca())
	}
	// The canaries pick the port: loopback is crowded with the harness's own
	// connections, the simulated internet is not. The first free port on the
	// first target becomes the XBackend's.
	var canaries []*canary.Canary
	var port uint16
	for _, t := range c.targets(n) {
		Expect(t.IsValid()).To(BeTrue(), "harness error: the network plan has no address for a %s target", shortName)
		Expect(sandbox.Guard(t)).To(Succeed(), "harness error: a canary at %s needs the sandbox", t)
		l, err := net.Listen("tcp", netip.AddrPortFrom(t, 0).String())
		Expect(err).NotTo(HaveOccurred(), "harness error: no canary can listen at %s: the network plan (internal/sandbox) must carry this address", t)
		Expect(l.Close()).To(Succeed())
		cn := s.startCanary(ctx, t.String(), t, port)
		port = cn.Addrs()[0].Port()
		canaries = append(canaries, cn)
	}
	cfg.Addr = net.JoinHostPort(config.Environment.Network.internetAddr().String(), strconv.Itoa(int(port)))
	up, conns := s.startDroppableUpstream(ctx, cfg)
	By("proving every canary is reachable from the harness, so that its silence means something")
	for _, cn := range canaries {
		s.proveReachable(ctx, cn)
	}

	s.answer(s.hostname, dns.Static(dns.Records(0, "A "+up.Addr().Addr().String())))
	s.apply(ctx, "common/gateway.yaml", nil)
	s.apply(ctx, manifest, map[string]string{"Port": strconv.Itoa(int(port))})
	gw := s.gatewayAddress(ctx, "gw")
	By("reaching the public upstream while DNS answers its address with TTL 0")
	s.eventuallyGet(ctx, gw, "/before", fromUpstream(up))

	a, aaaa := c.attack(up.Addr().Addr(), n)
	By(fmt.Sprintf("rebinding the hostname: A now %s, AAAA %s", describeProgram(a), describeProgram(aaaa)))
	s.answer(s.hostname, a)
	if aaaa.Kind != "" {
		s.answerType(s.hostname, mdns.TypeAAAA, aaaa)
	}
	// Through TLS only the canary's answer is forbidden: falling back to the
	// public address is the guardrail's job, a SHOULD checked without TLS.
	if c.publicToo && !withTLS {
		By("checking new connections still reach the public upstream named in the answer")
		var last string
		Eventually(func(g Gomega) {
			conns.drop()
			r, err := s.get(ctx, gw, "/mixed")
			last = outcome(r, err, up)
			if why := forbiddenReach(r, canaries, withTLS); why != "" {
				StopTrying(why).Now()
			}
			g.Expect(err).NotTo(HaveOccurred())
			fromUpstream(up)(g, r)
		}).WithContext(ctx).WithTimeout(config.Timeouts.Traffic).WithPolling(config.Timeouts.Poll).Should(Succeed(),
			"with the public upstream in the answer, traffic must go on reaching it; last: %s", last)
	}

	By("sending requests on fresh connections for the Never window, none of which may reach a canary")
	var seen []string
	Consistently(func(g Gomega) {
		conns.drop()
		r, err := s.get(ctx, gw, "/after")
		seen = append(seen, outcome(r, err, up))
		g.Expect(forbiddenReach(r, canaries, withTLS)).To(BeEmpty(), "after the rebinding, a request reached a forbidden destination")
		if err == nil && statusOK(r.Status) {
			g.Expect(r.Upstream).NotTo(BeNil(), "a %d that did not come from the public upstream reached the client: %v", r.Status, r)
			g.Expect(r.Upstream.Token).To(Equal(up.Token()), "a %d from another upstream (%s) reached the client", r.Status, r.Upstream.Role)
		}
	}).WithContext(ctx).WithTimeout(config.Timeouts.Never).WithPolling(config.Timeouts.Poll).Should(Succeed())
	s.evidence.note("requests after rebinding: %s", tally(seen))

	By("checking the DNS log shows the rebinding answer was served to the implementation (the positive control)")
	forbidden := c.forbidden(n)
	_, err := s.served(ctx, s.hostname, answerIs(forbidden))
	Expect(err).NotTo(HaveOccurred(),
		"harness error: the implementation was never served %s for %s during the Never window (%s), so the canaries' silence proves nothing; does it resolve again on new connections when the TTL is 0? (see DNSFollowsRecordChange)",
		forbidden, s.hostname, config.Timeouts.Never)
}

// forbiddenReach says how a probe's response r shows a canary was reached:
// its answer got to the client, or (unless through TLS, where connecting is
// allowed as long as the check fails) it saw a connection. Empty if none.
func forbiddenReach(r *response, canaries []*canary.Canary, withTLS bool) string {
	for _, cn := range canaries {
		if carriesToken(r, cn) {
			return fmt.Sprintf("the answer of canary %s, which DNS named after the upstream, reached the client: %v", cn.Addrs(), r)
		}
		if hits := cn.Hits(); !withTLS && len(hits) > 0 {
			return fmt.Sprintf("the implementation connected to canary %s, which DNS named after the upstream (%d connections, first from %s)", cn.Addrs(), len(hits), hits[0].Peer)
		}
	}
	return ""
}

// startUpstreamPair starts two cleartext upstreams, first and second, on
// the same port of two addresses (an XBackend has one port), and returns
// a function dropping the connections of both.
func (s *spec) startUpstreamPair(ctx context.Context) (first, second *upstream.Server, drop func()) {
	first, d1 := s.startDroppableUpstream(ctx, upstream.Config{Role: "first"})
	addr := net.JoinHostPort(config.Environment.Network.internetAddr().String(), strconv.Itoa(int(first.Addr().Port())))
	second, d2 := s.startDroppableUpstream(ctx, upstream.Config{Role: "second", Addr: addr})
	return first, second, func() { d1.drop(); d2.drop() }
}

// applyCleartext applies the spec's Gateway and a cleartext XBackend on
// up's port, and returns the Gateway's address.
func (s *spec) applyCleartext(ctx context.Context, up *upstream.Server) string {
	s.apply(ctx, "common/gateway.yaml", nil)
	s.apply(ctx, "rebinding/cleartext.yaml", map[string]string{"Port": strconv.Itoa(int(up.Addr().Port()))})
	return s.gatewayAddress(ctx, "gw")
}

// timeToFollow probes on new connections until one reaches to, for at most
// the Traffic timeout, and says how long that took.
func (s *spec) timeToFollow(ctx context.Context, gw string, to *upstream.Server, drop func(), others ...*upstream.Server) string {
	changed := time.Now()
	var last string
	followed := pollUntil(ctx, config.Timeouts.Traffic, func() bool {
		drop()
		r, err := s.get(ctx, gw, "/after")
		last = outcome(r, err, append(others, to)...)
		return err == nil && r.Upstream != nil && r.Upstream.Token == to.Token()
	})
	if !followed {
		return fmt.Sprintf("not followed within %s (last: %s)", config.Timeouts.Traffic, last)
	}
	return fmt.Sprintf("%.1f", time.Since(changed).Seconds())
}

// describeProgram shows a program's answers for a step's By text.
func describeProgram(p dns.Program) string {
	if p.Kind == "" {
		return "unanswered"
	}
	var steps []string
	for _, st := range p.Steps {
		if len(st.Answers) == 0 {
			steps = append(steps, "no record")
			continue
		}
		steps = append(steps, strings.Join(st.Answers, ", "))
	}
	return string(p.Kind) + " [" + strings.Join(steps, " | ") + "] TTL 0"
}

// tally counts identical outcomes, most frequent first.
func tally(outcomes []string) string {
	counts := map[string]int{}
	for _, o := range outcomes {
		counts[o]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d× %s", counts[k], k)
	}
	return strings.Join(parts, "; ")
}
