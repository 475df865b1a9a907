package rebinding

import (
	"context"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// answerScenarios check DNS answers of other shapes than one A record: several
// addresses in one answer, and a name that does not exist.
func answerScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("DNSSeveralAddressesServed", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.DNSSeveralA},
		Description: "serves the external hostname when DNS answers it with two addresses",
		Source:      apitext.DNSTrust,
		Run:         severalAddresses,
	}, {
		// The API says nothing of a name that does not resolve: recorded.
		Scenario:    verdict.Observe.Scenario("DNSNXDomainAnswer", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.DNSNXDOMAIN},
		Description: "records what a client is answered when the external hostname does not exist (NXDOMAIN)",
		Source:      apitext.Unspecified,
		Run:         nxdomain,
	}, {
		// Nor of a DNS server that never answers: recorded.
		Scenario:    verdict.Observe.Scenario("DNSNoAnswerResponse", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.DNSNoAnswer},
		Description: "records what a client is answered when DNS never answers for the external hostname",
		Source:      apitext.Unspecified,
		Run:         noAnswer,
	}}
}

func severalAddresses(ctx context.Context, s *harness.T) {
	first, second := startUpstreamPair(ctx, s)
	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(5, "A "+first.Host(), "A "+second.Host())))
	gw := applyCleartext(ctx, s, first)

	By("sending requests through the Gateway until one is served by an upstream at an answered address")
	r := s.EventuallyGet(ctx, gw, "/several", func(g Gomega, r *harness.Response) {
		g.Expect(r.Upstream).To(harness.Present("an upstream's answer"), "not served by an upstream: %v", r)
		g.Expect(r.Upstream.Token).To(BeElementOf(first.Token, second.Token), "served by an upstream at no answered address (%s)", r.Upstream.Role)
	})
	s.Note("served by %s", r.Upstream.Role)
	seen := map[string]int{}
	s.Sample(ctx, s.Timeouts().Poll*10, func() {
		if r, err := s.Get(ctx, gw, "/several"); err == nil && r.Upstream != nil {
			seen[r.Upstream.Token]++
		}
	})
	s.Observe("upstreams used", fmt.Sprintf("first %d, second %d", seen[first.Token], seen[second.Token]))
}

func nxdomain(ctx context.Context, s *harness.T) {
	unresolved(ctx, s, dns.NXDomain(), "/nxdomain", "answer to a client when the hostname does not exist")
}

func noAnswer(ctx context.Context, s *harness.T) {
	unresolved(ctx, s, dns.Step{Drop: true}, "/no-answer", "answer to a client when DNS never answers")
}

// unresolved records what the Gateway answers while DNS answers the
// spec's hostname with step, which gives no address.
func unresolved(ctx context.Context, s *harness.T, step dns.Step, path, measurement string) {
	up := s.StartUpstream(ctx, harness.UpstreamConfig{Role: "unreachable"})
	s.Answer(ctx, s.Hostname, dns.Static(step))
	gw := applyCleartext(ctx, s, up)

	By("probing until the Gateway answers, for at most the Traffic timeout")
	outcome := "no response"
	s.Measure(ctx, s.Timeouts().Traffic, func(g Gomega) {
		r, err := s.Get(ctx, gw, path)
		outcome = harness.Outcome(r, err, up)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(r.Status).To(BeNumerically(">=", 500))
	})
	s.Observe(measurement, outcome)
}
