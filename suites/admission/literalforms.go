package admission

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// literalForm is an IPv4 address spelled in the inet_aton parts that
// netip and the CRD's isIP do not read but resolver libraries do (glibc's
// getaddrinfo turns 0313.0.0161.05 into 203.0.113.5 without asking DNS):
// an IP literal all the same, which no XBackend may route to.
type literalForm struct {
	shortName string
	base      string // "octal" or "hexadecimal"
	// part spells one non-zero byte; a zero byte is written 0 in every form.
	part func(b byte) string
}

// literalFormScenarios are catalog family A, item 4c: the IP literals of
// item 4 in octal and hexadecimal parts.
func literalFormScenarios() []harness.Scenario {
	var scenarios []harness.Scenario
	for _, f := range []literalForm{
		{"AdmissionIPLiteralOctalNotRouted", "octal", func(b byte) string { return "0" + strconv.FormatUint(uint64(b), 8) }},
		{"AdmissionIPLiteralHexNotRouted", "hexadecimal", func(b byte) string { return "0x" + strconv.FormatUint(uint64(b), 16) }},
	} {
		scenarios = append(scenarios, harness.Scenario{
			Scenario:    verdict.Must.Scenario(f.shortName, verdict.FeatureExternalHostname, verdict.FailClosed),
			Description: "never routes to an IPv4 address written in " + f.base + " parts, even when DNS answers that text with the address",
			Source:      apitext.NoIPLiterals,
			Run:         f.notRouted,
		})
	}
	return scenarios
}

// spell writes the IPv4 address a in f's parts, or "" when a is not IPv4.
func (f literalForm) spell(a [4]byte) string {
	parts := make([]string, len(a))
	for i, b := range a {
		parts[i] = "0"
		if b != 0 {
			parts[i] = f.part(b)
		}
	}
	return strings.Join(parts, ".")
}

// notRouted starts an upstream on the simulated internet, writes its
// address in f's parts as the XBackend's externalHostname, and makes the
// rogue DNS answer that text with the upstream's address too, as a resolver
// that reads inet_aton forms would: however the implementation reads the
// name, only refusing it as the IP literal it is keeps the upstream unseen.
func (f literalForm) notRouted(ctx context.Context, s *harness.T) {
	up := s.StartUpstream(ctx, harness.UpstreamConfig{Role: "at-the-literal", TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1}})
	addr := up.Addr.Addr()
	if !addr.Is4() {
		Skip(fmt.Sprintf("the upstream listens at %s, not an IPv4 address, which has no %s inet_aton form", addr, f.base))
	}
	host := f.spell(addr.As4())
	By(fmt.Sprintf("answering %s in DNS with %s, the address it spells", host, up.Host()))
	s.Answer(ctx, host, dns.Static(dns.Records(0, "A "+up.Host())))
	s.AnswerType(ctx, host, mdns.TypeAAAA, dns.Static(dns.Records(0)))

	By(fmt.Sprintf("creating an XBackend for %q, %s in %s parts", host, up.Host(), f.base))
	xb := s.Render("not-routed-target.yaml", map[string]string{"Target": host, "Port": up.Port()})[0]
	err := s.Client().Create(ctx, xb)
	if apierrors.IsInvalid(err) {
		s.Note("the API server rejects %q (%v): nothing can route to it", host, err)
		return
	}
	Expect(err).NotTo(HaveOccurred(), "create the XBackend for %q", host)
	s.DeleteAtEnd(xb)
	s.ApplyGateway(ctx)
	s.Apply(ctx, "route-to-target.yaml", nil)

	By("checking the route is attached, so the Gateway would send requests to the XBackend if it served it")
	s.EventuallyRouteCondition(ctx, "to-target", "gw", gatewayv1.RouteConditionAccepted, metav1.ConditionTrue, "")
	defer func() { s.Observe("status", statusSummary(ctx, s)) }()
	gw := s.GatewayAddress(ctx, "gw")
	By("waiting until the implementation has reacted to the route: a response from the Gateway, or a refusal in status")
	s.EventuallyReacted(ctx, gw, "/", "target", "to-target", "gw")
	By("checking no request is served and nothing reaches the upstream at the literal")
	s.ConsistentlyNotServed(ctx, gw, "/")
	Expect(up.Events(ctx, upstream.KindRequest)).To(BeEmpty(), "the implementation sent requests to %s at %s", host, up.Addr)
}
