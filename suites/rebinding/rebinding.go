package rebinding

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// rebindCase is one rebinding attack: once the implementation has reached
// the public upstream, DNS answers for the spec's hostname (TTL 0) point
// somewhere the implementation must never connect to.
type rebindCase struct {
	// sandbox, when set, is why the case needs the network sandbox.
	sandbox string
	// targets are the forbidden destinations; a canary listens on each, on
	// the XBackend's port.
	targets func(n harness.Network) []netip.Addr
	// attack returns the programs that answer A and AAAA queries from then
	// on; a zero Program leaves the type without one (NODATA).
	attack func(public netip.Addr, n harness.Network) (a, aaaa dns.Program)
	// forbidden is the answer data (an address in the exact form served, or
	// a CNAME target) the DNS log must show was served: the positive control.
	forbidden func(n harness.Network) string
	// publicToo says the answer still holds the public upstream, which must
	// keep being reached.
	publicToo bool
}

func loopback(n harness.Network) netip.Addr { return n.Loopback }
func pod(n harness.Network) netip.Addr      { return n.Pod }

// metadata returns the metadata address of the family asked for.
func metadata(v6 bool) func(harness.Network) netip.Addr {
	return func(n harness.Network) netip.Addr {
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
func rebindA(target func(harness.Network) netip.Addr, sandbox string) rebindCase {
	return rebindCase{
		sandbox: sandbox,
		targets: func(n harness.Network) []netip.Addr { return []netip.Addr{target(n)} },
		attack: func(_ netip.Addr, n harness.Network) (dns.Program, dns.Program) {
			return dns.Static(dns.Records(0, "A "+target(n).String())), dns.Program{}
		},
		forbidden: func(n harness.Network) string { return target(n).String() },
	}
}

// rebindFlipFlop alternates the target and the public upstream on every A
// query: an implementation that checks one lookup and dials after another
// (time of check, time of use) connects to the target.
func rebindFlipFlop(target func(harness.Network) netip.Addr) rebindCase {
	c := rebindA(target, "")
	c.attack = func(public netip.Addr, n harness.Network) (dns.Program, dns.Program) {
		return dns.RoundRobin(dns.Records(0, "A "+target(n).String()), dns.Records(0, "A "+public.String())), dns.Program{}
	}
	return c
}

// rebindMixed answers the public upstream and the target in one A answer.
func rebindMixed(target func(harness.Network) netip.Addr, publicFirst bool) rebindCase {
	c := rebindA(target, "")
	c.publicToo = true
	c.attack = func(public netip.Addr, n harness.Network) (dns.Program, dns.Program) {
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
func rebindAAAA(form func(netip.Addr) netip.Addr, target func(harness.Network) netip.Addr, canaryAt func(netip.Addr) netip.Addr, sandbox string) rebindCase {
	return rebindCase{
		sandbox: sandbox,
		targets: func(n harness.Network) []netip.Addr { return []netip.Addr{canaryAt(form(target(n)))} },
		attack: func(_ netip.Addr, n harness.Network) (dns.Program, dns.Program) {
			return dns.Static(dns.Records(0)), dns.Static(dns.Records(0, "AAAA "+form(target(n)).String()))
		},
		forbidden: func(n harness.Network) string { return form(target(n)).String() },
	}
}

// rebindCNAME answers A and AAAA queries with a CNAME out of the zone, to a
// name the implementation's own resolver knows.
func rebindCNAME(name string, targets func(harness.Network) []netip.Addr) rebindCase {
	return rebindCase{
		targets: targets,
		attack: func(netip.Addr, harness.Network) (dns.Program, dns.Program) {
			p := dns.Static(dns.Records(0, "CNAME "+name))
			return p, p
		},
		forbidden: func(harness.Network) string { return name },
	}
}

func same(a netip.Addr) netip.Addr { return a }

// unmapped is where a dial to an IPv4-mapped address arrives: the IPv4
// address itself.
func unmapped(a netip.Addr) netip.Addr { return a.Unmap() }

// localhosts are where the name localhost leads.
func localhosts(n harness.Network) []netip.Addr {
	return []netip.Addr{n.Loopback, netip.IPv6Loopback()}
}

// inCluster are where a cluster-local name could lead: the pod canary in the
// sandbox, and loopback everywhere.
func inCluster(n harness.Network) []netip.Addr {
	if n.Pod.IsValid() {
		return []netip.Addr{n.Loopback, n.Pod}
	}
	return []netip.Addr{n.Loopback}
}

// rebind declares one rebinding attack.
type rebind struct {
	shortName   string
	level       verdict.Level
	description string
	c           rebindCase
}

func rebindTests() []harness.Test {
	var tests []harness.Test
	add := func(feature verdict.Feature, source apitext.Sentence, prefix string, withTLS bool, rs []rebind) {
		for _, r := range rs {
			tests = append(tests, harness.Test{
				Scenario:    verdict.Scenario{ShortName: r.shortName, Level: r.level, Feature: feature, FailClosed: true},
				Description: prefix + r.description,
				Source:      source,
				Sandbox:     r.c.sandbox,
				Run:         func(ctx context.Context, s *harness.Spec) { runRebind(ctx, s, r.c, withTLS) },
			})
		}
	}
	should := verdict.Should
	// GEP-4894 trusts DNS ("Any meaningful egress functionality must trust
	// DNS resolution") and recommends guardrails: refusing what a rebinding
	// answer points at is a SHOULD, checked for every implementation.
	add(verdict.FeatureDNSRebindingProtection, apitext.Guardrails, "never connects where a rebinding DNS answer points: ", false, []rebind{
		{"RebindLoopback", should, "loopback after the upstream", rebindA(loopback, "")},
		{"RebindLoopbackFlipFlop", should, "loopback and the upstream in turn (time of check, time of use)", rebindFlipFlop(loopback)},
		{"RebindMetadataIPv4", should, "the IPv4 metadata address", rebindA(metadata(false), metadataOnlyInSandbox)},
		{"RebindMetadataIPv6", should, "the IPv6 metadata address in AAAA", rebindAAAA(same, metadata(true), same, metadataOnlyInSandbox)},
		{"RebindPodAddress", should, "an in-cluster pod address", rebindA(pod, podOnlyInSandbox)},
		{"RebindMixedPublicFirst", should, "one answer: the upstream, then loopback", rebindMixed(loopback, true)},
		{"RebindMixedLoopbackFirst", should, "one answer: loopback, then the upstream", rebindMixed(loopback, false)},
		{"RebindCNAMEClusterLocal", should, "a CNAME to a cluster-local Service name", rebindCNAME("x.svc.cluster.local.", inCluster)},
		{"RebindCNAMELocalhost", should, "a CNAME to localhost.", rebindCNAME("localhost.", localhosts)},
		{"RebindIPv4MappedLoopback", should, "loopback as an IPv4-mapped AAAA", rebindAAAA(dns.IPv4Mapped, loopback, unmapped, "")},
		{"RebindNAT64Loopback", should, "loopback as a NAT64 AAAA", rebindAAAA(dns.NAT64, loopback, same, formOnlyInSandbox)},
		{"RebindSixToFourLoopback", should, "loopback as a 6to4 AAAA", rebindAAAA(dns.SixToFour, loopback, same, formOnlyInSandbox)},
		{"RebindIPv4MappedMetadata", should, "the metadata address as an IPv4-mapped AAAA", rebindAAAA(dns.IPv4Mapped, metadata(false), unmapped, metadataOnlyInSandbox)},
		{"RebindNAT64Metadata", should, "the metadata address as a NAT64 AAAA", rebindAAAA(dns.NAT64, metadata(false), same, formOnlyInSandbox)},
		{"RebindSixToFourMetadata", should, "the metadata address as a 6to4 AAAA", rebindAAAA(dns.SixToFour, metadata(false), same, formOnlyInSandbox)},
	})
	// GEP-4894: sensitive localhost endpoints MUST be protected by TLS. This
	// holds for every implementation that verifies ServerOnly TLS, with or
	// without a rebinding guard, so these specs belong to FeatureTLS: gating
	// them on DNSRebindingProtection would exempt exactly the
	// implementations the TLS check is the last line for. A canary may be
	// connected to; its answer must never reach the client.
	must := verdict.Must
	add(verdict.FeatureTLS, apitext.LocalhostEndpoints, "never delivers a rebinding target's answer through ServerOnly TLS: ", true, []rebind{
		{"RebindTLSLoopback", must, "loopback after the upstream", rebindA(loopback, "")},
		{"RebindTLSLoopbackFlipFlop", must, "loopback and the upstream in turn", rebindFlipFlop(loopback)},
		{"RebindTLSMixedLoopbackFirst", must, "one answer: loopback, then the upstream", rebindMixed(loopback, false)},
		{"RebindTLSIPv4MappedLoopback", must, "loopback as an IPv4-mapped AAAA", rebindAAAA(dns.IPv4Mapped, loopback, unmapped, "")},
		{"RebindTLSCNAMELocalhost", must, "a CNAME to localhost.", rebindCNAME("localhost.", localhosts)},
		{"RebindTLSMetadata", must, "the IPv4 metadata address", rebindA(metadata(false), metadataOnlyInSandbox)},
		{"RebindTLSPodAddress", must, "an in-cluster pod address", rebindA(pod, podOnlyInSandbox)},
	})
	return tests
}

// runRebind plays one rebinding attack: the implementation reaches the
// public upstream, DNS then points elsewhere with TTL 0, and for the Never
// window every probe (on a fresh client connection, with the upstream's
// connections dropped so the implementation dials anew) must keep away from
// the canaries. Through ServerOnly TLS (withTLS) a canary may be connected
// to, but its answer must never reach the client.
func runRebind(ctx context.Context, s *harness.Spec, c rebindCase, withTLS bool) {
	n := s.Env().Network
	cfg := harness.UpstreamConfig{Role: "public"}
	manifest := "cleartext.yaml"
	if withTLS {
		cfg.TLS = upstream.TLSValid
		manifest = "server-only-tls.yaml"
		s.CreateCAConfigMap(ctx, "upstream-ca", s.CA())
	}
	// The canaries pick the port: loopback is crowded with the harness's own
	// connections, the simulated internet is not. The first free port on the
	// first target becomes the XBackend's.
	var canaries []*harness.Canary
	var port uint16
	for _, t := range c.targets(n) {
		Expect(t.IsValid()).To(BeTrue(), "harness error: the network plan has no address for a %s target", s.ShortName)
		cn := s.StartCanary(ctx, t.String(), t, port)
		port = cn.Port()
		canaries = append(canaries, cn)
	}
	cfg.Addr = fmt.Sprintf(":%d", port)
	up := s.StartUpstream(ctx, cfg)
	By("proving every canary is reachable from the harness, so that its silence means something")
	for _, cn := range canaries {
		s.ProveReachable(ctx, cn)
	}

	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(0, "A "+up.Host())))
	s.ApplyGateway(ctx)
	s.Apply(ctx, manifest, map[string]string{"Port": up.Port()})
	gw := s.GatewayAddress(ctx, "gw")
	By("reaching the public upstream while DNS answers its address with TTL 0")
	s.EventuallyGet(ctx, gw, "/before", harness.FromUpstream(up))

	a, aaaa := c.attack(up.Addr.Addr(), n)
	By(fmt.Sprintf("rebinding the hostname: A now %s, AAAA %s", describeProgram(a), describeProgram(aaaa)))
	s.Answer(ctx, s.Hostname, a)
	if aaaa.Kind != "" {
		s.AnswerType(ctx, s.Hostname, mdns.TypeAAAA, aaaa)
	}
	// Through TLS only the canary's answer is forbidden: falling back to the
	// public address is the guardrail's job, a SHOULD checked without TLS.
	if c.publicToo && !withTLS {
		By("checking new connections still reach the public upstream named in the answer")
		var last string
		Eventually(func(g Gomega) {
			up.Drop(ctx)
			r, err := s.Get(ctx, gw, "/mixed")
			last = harness.Outcome(r, err, up)
			if why := forbiddenReach(ctx, r, canaries, withTLS); why != "" {
				StopTrying(why).Now()
			}
			g.Expect(err).NotTo(HaveOccurred())
			harness.FromUpstream(up)(g, r)
		}).WithContext(ctx).WithTimeout(s.Timeouts().Traffic).WithPolling(s.Timeouts().Poll).Should(Succeed(),
			"with the public upstream in the answer, traffic must go on reaching it; last: %s", last)
	}

	By("sending requests on fresh connections for the Never window, none of which may reach a canary")
	var seen []string
	Consistently(func(g Gomega) {
		up.Drop(ctx)
		r, err := s.Get(ctx, gw, "/after")
		seen = append(seen, harness.Outcome(r, err, up))
		g.Expect(forbiddenReach(ctx, r, canaries, withTLS)).To(BeEmpty(), "after the rebinding, a request reached a forbidden destination")
		if err == nil && harness.StatusOK(r.Status) {
			g.Expect(r.Upstream).NotTo(BeNil(), "a %d that did not come from the public upstream reached the client: %v", r.Status, r)
			g.Expect(r.Upstream.Token).To(Equal(up.Token), "a %d from another upstream (%s) reached the client", r.Status, r.Upstream.Role)
		}
	}).WithContext(ctx).WithTimeout(s.Timeouts().Never).WithPolling(s.Timeouts().Poll).Should(Succeed())
	s.Note("requests after rebinding: %s", harness.Tally(seen))

	By("checking the DNS log shows the rebinding answer was served to the implementation (the positive control)")
	forbidden := c.forbidden(n)
	_, err := s.Served(ctx, s.Hostname, harness.AnswerIs(forbidden))
	Expect(err).NotTo(HaveOccurred(),
		"harness error: the implementation was never served %s for %s during the Never window (%s), so the canaries' silence proves nothing; does it resolve again on new connections when the TTL is 0? (see DNSFollowsRecordChange)",
		forbidden, s.Hostname, s.Timeouts().Never)
}

// forbiddenReach says how a probe's response r shows a canary was reached:
// its answer got to the client, or (unless through TLS, where connecting is
// allowed as long as the check fails) it saw a connection. Empty if none.
func forbiddenReach(ctx context.Context, r *harness.Response, canaries []*harness.Canary, withTLS bool) string {
	for _, cn := range canaries {
		if harness.ServedBy(r, cn.Token) {
			return fmt.Sprintf("the answer of canary %s, which DNS named after the upstream, reached the client: %v", cn.Addrs, r)
		}
		if hits := cn.Hits(ctx); !withTLS && len(hits) > 0 {
			return fmt.Sprintf("the implementation connected to canary %s, which DNS named after the upstream (%d connections, first from %s)", cn.Addrs, len(hits), hits[0].Peer)
		}
	}
	return ""
}
