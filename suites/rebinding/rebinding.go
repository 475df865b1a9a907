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
	// targets are where a connection to the forbidden destinations lands; a
	// canary listens on each, on the XBackend's port.
	targets func(e attackEnv) []netip.Addr
	// attack returns the programs that answer A and AAAA queries for the
	// hostname from then on; a zero Program leaves the type without one
	// (NODATA).
	attack func(e attackEnv) (a, aaaa dns.Program)
	// chased, when set, answers the names outside the zone that the
	// attack's CNAME leads to, as the implementation's recursive resolver
	// would.
	chased func(e attackEnv) []chasedName
	// forbidden is the answer data (an address in the exact form served, or
	// a CNAME target) the DNS log must show was served: the positive
	// control. The query types it is served in follow from attack.
	forbidden func(e attackEnv) string
	// publicToo says the answer still holds the public upstream, which must
	// keep being reached.
	publicToo bool
	// absent says why the run's network plan may have no address for a
	// target (an in-cluster one); the spec then skips with it.
	absent string
}

// attackEnv is what an attack is built from.
type attackEnv struct {
	n         harness.Network
	namespace string
	// public is the public upstream's address; invalid for targets, which
	// are asked before it starts.
	public netip.Addr
}

// chasedName is the program for one name outside the zone.
type chasedName struct {
	name    string
	qtype   uint16
	program dns.Program
}

func loopback(n harness.Network) netip.Addr { return n.Loopback }

// pod, service and node are the plan's in-cluster addresses (a pod, a
// ClusterIP, the node's), which only some runs have: invalid elsewhere,
// and the spec skips.
func pod(n harness.Network) netip.Addr     { return n.Pod }
func service(n harness.Network) netip.Addr { return n.Service }
func node(n harness.Network) netip.Addr    { return n.Node }

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

// fixed is an address that is the same in every network plan.
func fixed(addr string) func(harness.Network) netip.Addr {
	a := netip.MustParseAddr(addr)
	return func(harness.Network) netip.Addr { return a }
}

// Why the sandbox-only cases cannot run on loopback.
const (
	metadataOnlyInSandbox = "the metadata address is a canary only inside the sandbox; outside it, it is the real cloud metadata service"
	podOnlyInSandbox      = "an in-cluster pod address is a canary only inside the sandbox (10.244.0.10) or with the fakes in a cluster (their pod's)"
	serviceOnlyInCluster  = "a ClusterIP is a canary only with the fakes in a cluster (a port of their canary Service)"
	nodeOnlyOnOwnNode     = "the node's address is a canary only on a node xbcheck runs in its own sandbox (--provider node)"
	formOnlyInSandbox     = "the canary stands in for the translator at the embedded form's own address, which exists only inside the sandbox; outside it a dial would leave the machine"
	edgeOnlyInSandbox     = "the range's edge addresses are canaries only inside the sandbox; outside it they may belong to a real network"
)

// rebindTo answers the targets, all of one family, in one answer from now
// on: A records for IPv4 targets; AAAA records and no A record for IPv6
// ones (the reference data plane, like most, asks for both). A connection
// to a target lands at landing(target), where its canary listens.
func rebindTo(sandbox string, landing func(harness.Network, netip.Addr) netip.Addr, targets ...func(harness.Network) netip.Addr) rebindCase {
	addrs := func(n harness.Network) []netip.Addr {
		out := make([]netip.Addr, len(targets))
		for i, t := range targets {
			out[i] = t(n)
		}
		return out
	}
	return rebindCase{
		sandbox: sandbox,
		targets: func(e attackEnv) []netip.Addr {
			var out []netip.Addr
			for _, a := range addrs(e.n) {
				if at := landing(e.n, a); !slices.Contains(out, at) {
					out = append(out, at)
				}
			}
			return out
		},
		attack: func(e attackEnv) (dns.Program, dns.Program) {
			as := addrs(e.n)
			if as[0].Is4() {
				return dns.Static(dns.Records(0, records("A", as...)...)), dns.Program{}
			}
			return dns.Static(dns.Records(0)), dns.Static(dns.Records(0, records("AAAA", as...)...))
		},
		forbidden: func(e attackEnv) string { return addrs(e.n)[0].String() },
	}
}

// records writes one answer record of type rrtype per address.
func records(rrtype string, addrs ...netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = rrtype + " " + a.String()
	}
	return out
}

// rebindPlanned answers the target in A records from now on, when the
// run's plan has one; absent says why it may not.
func rebindPlanned(target func(harness.Network) netip.Addr, absent string) rebindCase {
	c := rebindA(target, "")
	c.absent = absent
	return c
}

// rebindA answers the target in A records from now on.
func rebindA(target func(harness.Network) netip.Addr, sandbox string) rebindCase {
	return rebindTo(sandbox, same, target)
}

// rebindFlipFlop alternates the target and the public upstream on every A
// query: an implementation that checks one lookup and dials after another
// (time of check, time of use) connects to the target.
func rebindFlipFlop(target func(harness.Network) netip.Addr) rebindCase {
	c := rebindA(target, "")
	c.attack = func(e attackEnv) (dns.Program, dns.Program) {
		return dns.RoundRobin(dns.Records(0, "A "+target(e.n).String()), dns.Records(0, "A "+e.public.String())), dns.Program{}
	}
	return c
}

// rebindMixed answers the public upstream and the target in one A answer.
func rebindMixed(target func(harness.Network) netip.Addr, publicFirst bool) rebindCase {
	c := rebindA(target, "")
	c.publicToo = true
	c.attack = func(e attackEnv) (dns.Program, dns.Program) {
		records := []string{"A " + e.public.String(), "A " + target(e.n).String()}
		if !publicFirst {
			slices.Reverse(records)
		}
		return dns.Static(dns.Records(0, records...)), dns.Program{}
	}
	return c
}

// rebindAAAA answers no A record and the target in an IPv6 form in AAAA;
// the canary listens where a dial to that form arrives.
func rebindAAAA(form func(netip.Addr) netip.Addr, target func(harness.Network) netip.Addr, canaryAt func(harness.Network, netip.Addr) netip.Addr, sandbox string) rebindCase {
	return rebindTo(sandbox, canaryAt, func(n harness.Network) netip.Addr { return form(target(n)) })
}

// rebindEdges answers the first and last usable addresses of prefix in one
// answer: a guardrail that covers only part of the range lets one through.
func rebindEdges(prefix string) rebindCase {
	first, last := rangeEdges(netip.MustParsePrefix(prefix))
	return rebindTo(edgeOnlyInSandbox, same, fixed(first.String()), fixed(last.String()))
}

// rangeEdges returns the first and last usable address of p: the network
// address and the all-ones address left out.
func rangeEdges(p netip.Prefix) (first, last netip.Addr) {
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	top, _ := netip.AddrFromSlice(b)
	return p.Addr().Next(), top.Prev()
}

// rebindCNAME answers A and AAAA queries with a CNAME out of the zone to
// the name, followed by what a recursive resolver finds when it chases it
// (v4, and v6 when valid), and answers that name itself the same way: a
// stub resolver takes the chased addresses from the answer, a resolver
// that chases the CNAME itself asks for the name.
func rebindCNAME(name func(attackEnv) string, v4 func(harness.Network) netip.Addr, v6 func(harness.Network) netip.Addr) rebindCase {
	return rebindCase{
		targets: func(e attackEnv) []netip.Addr {
			out := []netip.Addr{v4(e.n)}
			if a := v6(e.n); a.IsValid() {
				out = append(out, a)
			}
			return out
		},
		attack: func(e attackEnv) (dns.Program, dns.Program) {
			cname := "CNAME " + name(e)
			a := dns.Static(dns.Records(0, cname, "A "+v4(e.n).String()))
			aaaa := dns.Static(dns.Records(0, cname))
			if v6 := v6(e.n); v6.IsValid() {
				aaaa = dns.Static(dns.Records(0, cname, "AAAA "+v6.String()))
			}
			return a, aaaa
		},
		chased: func(e attackEnv) []chasedName {
			aaaa := dns.Static(dns.Records(0))
			if v6 := v6(e.n); v6.IsValid() {
				aaaa = dns.Static(dns.Records(0, "AAAA "+v6.String()))
			}
			return []chasedName{
				{name(e), mdns.TypeA, dns.Static(dns.Records(0, "A "+v4(e.n).String()))},
				{name(e), mdns.TypeAAAA, aaaa},
			}
		},
		forbidden: name,
	}
}

func same(_ harness.Network, a netip.Addr) netip.Addr { return a }

// unmapped is where a dial to an IPv4-mapped address arrives: the IPv4
// address itself.
func unmapped(_ harness.Network, a netip.Addr) netip.Addr { return a.Unmap() }

// ownLoopback is where a dial to the unspecified address arrives: the
// host's own loopback of that family.
func ownLoopback(n harness.Network, a netip.Addr) netip.Addr {
	if a.Is6() {
		return netip.IPv6Loopback()
	}
	return n.Loopback
}

// localhost. is where the name leads on every host.
func localhostName(attackEnv) string { return "localhost." }

func ipv6Loopback(harness.Network) netip.Addr { return netip.IPv6Loopback() }
func noAddress(harness.Network) netip.Addr    { return netip.Addr{} }

// clusterService is a Service name of the spec's own namespace under the
// default cluster domain: where a cluster's resolver answers with a pod or
// Service address.
func clusterService(e attackEnv) string { return "api." + e.namespace + ".svc.cluster.local." }

// inCluster is where a cluster-local name leads: the pod canary in the
// sandbox, the host's loopback outside it.
func inCluster(n harness.Network) netip.Addr {
	if n.Pod.IsValid() {
		return n.Pod
	}
	return n.Loopback
}

// rebind declares one rebinding attack.
type rebind struct {
	shortName   string
	level       verdict.Level
	description string
	c           rebindCase
	// source, when set, replaces the group's API sentence.
	source apitext.Sentence
}

// The XBackends an attack is applied with: the upstream in cleartext, or
// through ServerOnly TLS verified with the scenario's CA.
const (
	cleartext     = "cleartext.yaml"
	serverOnlyTLS = "server-only-tls.yaml"
)

// rebindGroup is rebinding attacks checked the same way: the feature, the
// API sentence and the level they rest on, and the manifest of the
// XBackend every attack of the group is applied with.
type rebindGroup struct {
	feature  verdict.Feature
	source   apitext.Sentence
	prefix   string
	manifest string
	rs       []rebind
}

func rebindGroups() []rebindGroup {
	should, must := verdict.Should, verdict.Must
	return []rebindGroup{{
		// GEP-4894 trusts DNS ("Any meaningful egress functionality must
		// trust DNS resolution") and recommends guardrails: refusing what a
		// rebinding answer points at is a SHOULD, checked for every
		// implementation.
		feature: verdict.FeatureDNSRebindingProtection, source: apitext.Guardrails, manifest: cleartext,
		prefix: "never connects where a rebinding DNS answer points: ",
		rs: []rebind{
			{"RebindLoopback", should, "loopback after the upstream", rebindA(loopback, ""), ""},
			{"RebindLoopbackFlipFlop", should, "loopback and the upstream in turn (time of check, time of use)", rebindFlipFlop(loopback), ""},
			{"RebindMetadataIPv4", should, "the IPv4 metadata address", rebindA(metadata(false), metadataOnlyInSandbox), ""},
			{"RebindMetadataIPv6", should, "the IPv6 metadata address in AAAA", rebindAAAA(ident, metadata(true), same, metadataOnlyInSandbox), ""},
			{"RebindPodAddress", should, "an in-cluster pod address", rebindPlanned(pod, podOnlyInSandbox), ""},
			{"RebindServiceAddress", should, "a ClusterIP of the cluster", rebindPlanned(service, serviceOnlyInCluster), ""},
			{"RebindNodeAddress", should, "the address of the implementation's node", rebindPlanned(node, nodeOnlyOnOwnNode), ""},
			{"RebindMixedPublicFirst", should, "one answer: the upstream, then loopback", rebindMixed(loopback, true), ""},
			{"RebindMixedLoopbackFirst", should, "one answer: loopback, then the upstream", rebindMixed(loopback, false), ""},
			{"RebindCNAMEClusterLocal", should, "a CNAME to a cluster-local Service name, chased to its address", rebindCNAME(clusterService, inCluster, noAddress), ""},
			{"RebindCNAMELocalhost", should, "a CNAME to localhost., chased to loopback", rebindCNAME(localhostName, loopback, ipv6Loopback), ""},
			{"RebindIPv4MappedLoopback", should, "loopback as an IPv4-mapped AAAA", rebindAAAA(dns.IPv4Mapped, loopback, unmapped, ""), ""},
			{"RebindNAT64Loopback", should, "loopback as a NAT64 AAAA", rebindAAAA(dns.NAT64, loopback, same, formOnlyInSandbox), ""},
			{"RebindSixToFourLoopback", should, "loopback as a 6to4 AAAA", rebindAAAA(dns.SixToFour, loopback, same, formOnlyInSandbox), ""},
			{"RebindIPv4MappedMetadata", should, "the metadata address as an IPv4-mapped AAAA", rebindAAAA(dns.IPv4Mapped, metadata(false), unmapped, metadataOnlyInSandbox), ""},
			{"RebindNAT64Metadata", should, "the metadata address as a NAT64 AAAA", rebindAAAA(dns.NAT64, metadata(false), same, formOnlyInSandbox), ""},
			{"RebindSixToFourMetadata", should, "the metadata address as a 6to4 AAAA", rebindAAAA(dns.SixToFour, metadata(false), same, formOnlyInSandbox), ""},
			// The ranges at their edges, not only at the addresses examples show.
			{"RebindLoopbackRangeEnd", should, "the last address of 127.0.0.0/8, 127.255.255.254", rebindA(fixed("127.255.255.254"), ""), ""},
			{"RebindUnspecified", should, "0.0.0.0, which a dial takes to the host's own loopback", rebindTo("", ownLoopback, fixed("0.0.0.0")), ""},
			{"RebindIPv6Loopback", should, "the IPv6 loopback ::1 in AAAA", rebindTo("", same, ipv6Loopback), ""},
			{"RebindPrivate10RangeEdges", should, "the first and last addresses of 10.0.0.0/8 in one answer", rebindEdges("10.0.0.0/8"), ""},
			{"RebindPrivate172RangeEdges", should, "the first and last addresses of 172.16.0.0/12 in one answer", rebindEdges("172.16.0.0/12"), ""},
			{"RebindPrivate192RangeEdges", should, "the first and last addresses of 192.168.0.0/16 in one answer", rebindEdges("192.168.0.0/16"), ""},
			{"RebindCGNATRangeEdges", should, "the first and last addresses of carrier-grade NAT 100.64.0.0/10 in one answer", rebindEdges("100.64.0.0/10"), ""},
			{"RebindLinkLocalRangeEdges", should, "the first and last addresses of link-local 169.254.0.0/16 in one answer", rebindEdges("169.254.0.0/16"), ""},
			{"RebindULARangeEdges", should, "the first and last addresses of unique local fc00::/7 in one AAAA answer", rebindEdges("fc00::/7"), ""},
		},
	}, {
		// GEP-4894: sensitive localhost endpoints MUST be protected by TLS.
		// This holds for every implementation that verifies ServerOnly TLS,
		// with or without a rebinding guard, so these specs belong to
		// FeatureTLS: gating them on DNSRebindingProtection would exempt
		// exactly the implementations the TLS check is the last line for. A
		// canary may be connected to; its answer must never reach the
		// client.
		feature: verdict.FeatureTLS, source: apitext.LocalhostEndpoints, manifest: serverOnlyTLS,
		prefix: "never delivers a rebinding target's answer through ServerOnly TLS: ",
		rs: []rebind{
			{"RebindTLSLoopback", must, "loopback after the upstream", rebindA(loopback, ""), ""},
			{"RebindTLSLoopbackFlipFlop", must, "loopback and the upstream in turn", rebindFlipFlop(loopback), ""},
			{"RebindTLSMixedLoopbackFirst", must, "one answer: loopback, then the upstream", rebindMixed(loopback, false), ""},
			{"RebindTLSIPv4MappedLoopback", must, "loopback as an IPv4-mapped AAAA", rebindAAAA(dns.IPv4Mapped, loopback, unmapped, ""), ""},
			{"RebindTLSCNAMELocalhost", must, "a CNAME to localhost., chased to loopback", rebindCNAME(localhostName, loopback, ipv6Loopback), ""},
			{"RebindTLSMetadata", must, "the IPv4 metadata address", rebindA(metadata(false), metadataOnlyInSandbox), ""},
			{"RebindTLSPodAddress", must, "an in-cluster pod address", rebindPlanned(pod, podOnlyInSandbox), ""},
			{"RebindTLSServiceAddress", must, "a ClusterIP of the cluster", rebindPlanned(service, serviceOnlyInCluster), ""},
			{"RebindTLSLoopbackRangeEnd", must, "the last address of 127.0.0.0/8, 127.255.255.254", rebindA(fixed("127.255.255.254"), ""), ""},
			{"RebindTLSIPv6Loopback", must, "the IPv6 loopback ::1 in AAAA", rebindTo("", same, ipv6Loopback), ""},
			// Not a localhost endpoint: what makes it a MUST is the name
			// check, which the canary's certificate cannot pass.
			{"RebindTLSCGNATRangeEdges", must, "the first and last addresses of carrier-grade NAT 100.64.0.0/10 in one answer", rebindEdges("100.64.0.0/10"), apitext.HostnameAuthenticates},
		},
	}}
}

func rebindScenarios() []harness.Scenario {
	var scenarios []harness.Scenario
	for _, g := range rebindGroups() {
		for _, r := range g.rs {
			source := g.source
			if r.source != "" {
				source = r.source
			}
			scenarios = append(scenarios, harness.Scenario{
				Scenario:    r.level.Scenario(r.shortName, g.feature, verdict.FailClosed),
				Description: g.prefix + r.description,
				Source:      source,
				Sandbox:     r.c.sandbox,
				Run:         attack{r.c, g.manifest}.run,
				Covers:      covers(r.shortName),
			})
		}
	}
	return scenarios
}

func ident(a netip.Addr) netip.Addr { return a }

// attack is one rebinding attack and the manifest of the XBackend it is
// applied with (cleartext or serverOnlyTLS).
type attack struct {
	c        rebindCase
	manifest string
}

// run plays the attack: the implementation reaches the public upstream,
// DNS then points elsewhere with TTL 0, and every probe (on a fresh client
// connection, with the upstream's connections dropped so the
// implementation dials anew) must keep away from the canaries for the
// window the package doc describes. Through ServerOnly TLS a canary may be
// connected to, but its answer must never reach the client.
func (at attack) run(ctx context.Context, s *harness.T) {
	c, manifest := at.c, at.manifest
	withTLS := manifest == serverOnlyTLS
	e := attackEnv{n: s.Env().Network, namespace: s.Namespace}
	cfg := harness.UpstreamConfig{Role: "public"}
	if withTLS {
		cfg.TLS = upstream.TLSValid
		s.CreateCAConfigMap(ctx, "upstream-ca", s.CA())
	}
	// A canary on the implementation's loopback listens where that loopback
	// is: in a cluster, inside the pods that serve the Gateway.
	s.ApplyGateway(ctx)
	s.LoopbackOf(ctx, "gw")
	// The canaries pick the port: loopback is crowded with the harness's own
	// connections, the simulated internet is not. The first free port on the
	// first target becomes the XBackend's.
	var canaries []*harness.Canary
	var port uint16
	for _, t := range c.targets(e) {
		if !t.IsValid() {
			Skip(c.absent)
		}
		cn := s.StartCanary(ctx, t.String(), t, port)
		port = cn.Port()
		canaries = append(canaries, cn)
	}
	cfg.Addr = fmt.Sprintf(":%d", port)
	up := s.StartUpstream(ctx, cfg)
	e.public = up.Addr.Addr()
	By("proving every canary is reachable from the harness, so that its silence means something")
	for _, cn := range canaries {
		s.ProveReachable(ctx, cn)
	}

	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(0, "A "+up.Host())))
	s.Apply(ctx, manifest, map[string]string{"Port": up.Port()})
	gw := s.GatewayAddress(ctx, "gw")
	By("reaching the public upstream while DNS answers its address with TTL 0")
	s.EventuallyGet(ctx, gw, "/before", harness.FromUpstream(up))

	a, aaaa := c.attack(e)
	forbidden := c.forbidden(e)
	if c.chased != nil {
		for _, ch := range c.chased(e) {
			By(fmt.Sprintf("answering %s %s outside the zone as a recursive resolver would: %s", ch.name, mdns.TypeToString[ch.qtype], describeProgram(ch.program)))
			s.AnswerType(ctx, ch.name, ch.qtype, ch.program)
		}
	}
	w := &window{s: s, gw: gw, up: up, canaries: canaries, withTLS: withTLS, forbidden: forbidden,
		types: servedIn(forbidden, a, aaaa), since: len(s.DNSLog(ctx))}
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

	By(fmt.Sprintf("sending requests on fresh connections until the implementation has been served %s and has asked DNS again after it, none of which may reach a canary", forbidden))
	w.watch(ctx)
}

// servedIn lists the query types whose programs serve the forbidden data.
func servedIn(forbidden string, a, aaaa dns.Program) []string {
	match := harness.AnswerIs(forbidden)
	holds := func(p dns.Program) bool {
		for _, st := range p.Steps {
			for _, answer := range st.Answers {
				if match(answer) {
					return true
				}
			}
		}
		return false
	}
	var types []string
	if holds(a) {
		types = append(types, "A")
	}
	if holds(aaaa) {
		types = append(types, "AAAA")
	}
	return types
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
