package rebinding

import (
	"context"
	"embed"
	"fmt"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

//go:embed *.yaml
var manifests embed.FS

// Family is catalog family E.
func Family() harness.Family {
	scenarios := []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("DNSResolvesExternalHostname", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.DNSSingleA},
		Description: "resolves the external hostname through DNS",
		Source:      apitext.NoIPLiterals,
		Run:         resolves,
	}, {
		Scenario:    verdict.Should.Scenario("DNSFollowsRecordChange", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.DNSTTLExpiry},
		Description: "sends new connections to a changed DNS record within the Traffic timeout",
		Source:      apitext.TTL,
		Run:         followsRecordChange,
	}, {
		Scenario:    verdict.Observe.Scenario("DNSTTLFollowDelay", verdict.FeatureExternalHostname),
		Description: "measures how long new connections take to follow a changed A record",
		Source:      apitext.TTL,
		Run:         ttlFollowDelay,
	}, {
		Scenario:    verdict.Observe.Scenario("DNSTTLCNAMEShorterThanA", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.DNSCNAME},
		Description: "measures which TTL rules a CNAME chain whose CNAME TTL is shorter than its A TTL",
		Source:      apitext.TTL,
		Run:         ttlCNAMEShorterThanA,
	}, {
		Scenario:    verdict.Observe.Scenario("DNSServFailAfterGoodAnswer", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.DNSSERVFAIL},
		Description: "records whether the last good answer is kept when DNS starts failing",
		Source:      apitext.Unspecified,
		Run:         servFailAfterGoodAnswer,
	}}
	scenarios = append(scenarios, rebindScenarios()...)
	scenarios = append(scenarios, answerScenarios()...)
	scenarios = append(scenarios, ipv6Scenarios()...)
	return harness.Family{Name: "DNS and egress safety", Manifests: manifests, Scenarios: scenarios}
}

func resolves(ctx context.Context, s *harness.T) {
	up := s.StartUpstream(ctx, harness.UpstreamConfig{Role: "public"})
	s.ResolveTo(ctx, up, 5)
	s.ApplyGateway(ctx)
	s.Apply(ctx, "cleartext.yaml", map[string]string{"Port": up.Port()})

	By("sending a request through the Gateway to the upstream the hostname resolves to")
	s.EventuallyGet(ctx, s.GatewayAddress(ctx, "gw"), "/resolve", harness.FromUpstream(up))
	By("checking the DNS log shows the implementation asked for the hostname and was served the upstream's address")
	q, err := s.Served(ctx, s.Hostname, harness.AnswerIs(up.Host()))
	Expect(err).NotTo(HaveOccurred(), "the DNS log has no %s query answered with %s: the implementation did not resolve the hostname through the DNS server it was given (%s)",
		s.Hostname, up.Host(), s.Env().DNSServer)
	s.Note("the implementation asked %s %s over %s from %s", q.Type, q.Name, q.Transport, q.Peer)
}

func followsRecordChange(ctx context.Context, s *harness.T) {
	first, second := startUpstreamPair(ctx, s)
	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(1, "A "+first.Host())))
	gw := applyCleartext(ctx, s, first)

	By("reaching the first upstream while DNS answers its address with TTL 1s")
	s.EventuallyGet(ctx, gw, "/before", harness.FromUpstream(first))
	By("changing the A record to the second upstream's address")
	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(1, "A "+second.Host())))
	By("checking new connections reach the second upstream once the TTL has passed")
	var last string
	Eventually(func(g Gomega) {
		first.Drop(ctx)
		second.Drop(ctx)
		r, err := s.Get(ctx, gw, "/after")
		last = harness.Outcome(r, err, first, second)
		g.Expect(err).NotTo(HaveOccurred())
		harness.FromUpstream(second)(g, r)
	}).WithContext(ctx).WithTimeout(s.Timeouts().Traffic).WithPolling(s.Timeouts().Poll).Should(Succeed(),
		"%s after the A record changed (TTL 1s), new connections still do not reach the second upstream (last: %s): the implementation ignores the DNS TTL; see the DNS log in the evidence for when it asked again",
		s.Timeouts().Traffic, last)
}

func servFailAfterGoodAnswer(ctx context.Context, s *harness.T) {
	up := s.StartUpstream(ctx, harness.UpstreamConfig{Role: "public"})
	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(1, "A "+up.Host())))
	gw := applyCleartext(ctx, s, up)
	s.EventuallyGet(ctx, gw, "/before", harness.FromUpstream(up))

	By("answering SERVFAIL from now on, and waiting until the implementation has been served one")
	s.Answer(ctx, s.Hostname, dns.Static(dns.ServFail()))
	servFail := mdns.RcodeToString[mdns.RcodeServerFailure]
	served := s.Measure(ctx, s.Timeouts().Traffic, func(g Gomega) {
		up.Drop(ctx)
		_, _ = s.Get(ctx, gw, "/servfail")
		g.Expect(s.DNSLog(ctx)).To(ContainElement(HaveField("Rcode", servFail)))
	})
	if !served {
		s.Observe("after SERVFAIL", fmt.Sprintf("not asked: the implementation did not query DNS again within %s of a TTL 1s answer", s.Timeouts().Traffic))
		return
	}
	By("sending requests on new connections for the Never window")
	var seen []string
	kept := 0
	s.Sample(ctx, s.Timeouts().Never, func() {
		up.Drop(ctx)
		r, err := s.Get(ctx, gw, "/after")
		if err == nil && r.Upstream != nil && r.Upstream.Token == up.Token {
			kept++
		}
		seen = append(seen, harness.Outcome(r, err, up))
	})
	decision := "mixed"
	switch kept {
	case len(seen):
		decision = "last good answer kept"
	case 0:
		decision = "requests fail"
	}
	s.Observe("after SERVFAIL", fmt.Sprintf("%s: %d of %d requests reached the upstream (%s)", decision, kept, len(seen), harness.Tally(seen)))
}

// startUpstreamPair starts two cleartext upstreams, first and second, on
// the same port of two addresses (an XBackend has one port).
func startUpstreamPair(ctx context.Context, s *harness.T) (first, second *harness.Upstream) {
	GinkgoHelper()
	first = s.StartUpstream(ctx, harness.UpstreamConfig{Role: "first"})
	second = s.StartUpstream(ctx, harness.UpstreamConfig{Role: "second", Addr: ":" + first.Port()})
	return first, second
}

// applyCleartext applies the spec's Gateway and a cleartext XBackend on
// up's port, and returns the Gateway's address.
func applyCleartext(ctx context.Context, s *harness.T, up *harness.Upstream) string {
	GinkgoHelper()
	s.ApplyGateway(ctx)
	s.Apply(ctx, "cleartext.yaml", map[string]string{"Port": up.Port()})
	return s.GatewayAddress(ctx, "gw")
}

// timeToFollow probes on new connections until one reaches to, for at most
// the Traffic timeout, and says how long that took.
func timeToFollow(ctx context.Context, s *harness.T, gw string, to *harness.Upstream, others ...*harness.Upstream) string {
	changed := time.Now()
	var last string
	followed := s.Measure(ctx, s.Timeouts().Traffic, func(g Gomega) {
		for _, up := range append(others, to) {
			up.Drop(ctx)
		}
		r, err := s.Get(ctx, gw, "/after")
		last = harness.Outcome(r, err, append(others, to)...)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(r.Upstream).NotTo(BeNil())
		g.Expect(r.Upstream.Token).To(Equal(to.Token))
	})
	if !followed {
		return fmt.Sprintf("not followed within %s (last: %s)", s.Timeouts().Traffic, last)
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

// ttlFollowDelay is the run function of DNSTTLFollowDelay: measures how long
// new connections take to follow a changed A record.
func ttlFollowDelay(ctx context.Context, s *harness.T) {
	first, second := startUpstreamPair(ctx, s)
	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(3, "A "+first.Host())))
	gw := applyCleartext(ctx, s, first)
	s.EventuallyGet(ctx, gw, "/before", harness.FromUpstream(first))
	By("changing the A record (TTL 3s) to the second upstream and timing new connections")
	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(3, "A "+second.Host())))
	s.Observe("seconds until new connections follow a changed A record (TTL 3s)", timeToFollow(ctx, s, gw, second, first))
}

// ttlCNAMEShorterThanA is the run function of DNSTTLCNAMEShorterThanA:
// measures which TTL rules a CNAME chain whose CNAME TTL is shorter than its
// A TTL.
func ttlCNAMEShorterThanA(ctx context.Context, s *harness.T) {
	first, second := startUpstreamPair(ctx, s)
	firstName, secondName := "first."+s.Hostname, "second."+s.Hostname
	s.Answer(ctx, firstName, dns.Static(dns.Records(10, "A "+first.Host())))
	s.Answer(ctx, secondName, dns.Static(dns.Records(10, "A "+second.Host())))
	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(0, "1 CNAME "+firstName+".", "10 A "+first.Host())))
	gw := applyCleartext(ctx, s, first)
	s.EventuallyGet(ctx, gw, "/before", harness.FromUpstream(first))
	By("pointing the CNAME (TTL 1s) at the second upstream's name (A TTL 10s) and timing new connections")
	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(0, "1 CNAME "+secondName+".", "10 A "+second.Host())))
	s.Observe("seconds until new connections follow a changed CNAME (CNAME TTL 1s, A TTL 10s)", timeToFollow(ctx, s, gw, second, first))
}
