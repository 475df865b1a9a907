package admission

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"

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

// defaultClusterDomain is the domain the CRD itself rejects hostnames under.
const defaultClusterDomain = "cluster.local"

// loopbackV4 is where the loopback literals below point.
var loopbackV4 = netip.MustParseAddr("127.0.0.1")

// target is a hostname the CRD admits although it names no external host:
// the implementation must never route to it. Whether it says so in status
// (Accepted=False on the XBackend, ResolvedRefs=False on the route) is its
// choice, recorded but not required.
type target struct {
	shortName string
	level     verdict.Level
	source    apitext.Sentence
	// host returns the hostname and where a dial to it would land (a canary
	// listens there, on the XBackend's port), or an invalid address when it
	// names nothing the harness may bind; it may skip the spec.
	host func(context.Context, *harness.T) (string, netip.Addr)
	// public says the host is an address of the simulated internet, where
	// an upstream listens instead of a canary: a literal the egress
	// guardrail would let through, so only honouring the rule stops it.
	public bool
	// inCluster says the host is an in-cluster Service name, which the
	// rogue DNS answers as the cluster's resolver would (clusterAnswer).
	inCluster bool
}

// Catalog family A, items 4 and 4b.
func targetScenarios() []harness.Scenario {
	var scenarios []harness.Scenario
	for _, t := range []target{
		{"AdmissionIPLiteralPublicNotRouted", verdict.Must, apitext.NoIPLiterals, nil, true, false},
		{"AdmissionIPLiteralPrivateNotRouted", verdict.Must, apitext.NoIPLiterals, podLiteral, false, false},
		{"AdmissionIPLiteralShortFormNotRouted", verdict.Must, apitext.NoIPLiterals, literal("127.1", loopbackV4), false, false},
		{"AdmissionIPLiteralIntegerNotRouted", verdict.Must, apitext.NoIPLiterals, literal("2130706433", loopbackV4), false, false},
		{"AdmissionLocalhostNotRouted", verdict.Should, apitext.NoIPLiterals, literal("localhost", loopbackV4), false, false},
		{"AdmissionShortServiceNameNotRouted", verdict.Should, apitext.NoIPLiterals, shortServiceName, false, true},
		{"AdmissionCustomClusterDomainNotRouted", verdict.Must, apitext.TrustDomains, underClusterDomain, false, true},
	} {
		scenarios = append(scenarios, harness.Scenario{
			Scenario:    t.level.Scenario(t.shortName, verdict.FeatureExternalHostname, verdict.FailClosed),
			Description: "never routes to a hostname the CRD admits but that names no external host",
			Source:      t.source,
			Run:         t.notRouted,
		})
	}
	return scenarios
}

// literal is a target known in advance, landing at canaryAt.
func literal(host string, canaryAt netip.Addr) func(context.Context, *harness.T) (string, netip.Addr) {
	return func(context.Context, *harness.T) (string, netip.Addr) { return host, canaryAt }
}

// podLiteral is the sandbox's in-cluster pod address written as a literal:
// a private (RFC 1918) address with a canary, inside the sandbox only.
func podLiteral(_ context.Context, s *harness.T) (string, netip.Addr) {
	if pod := s.Env().Network.Pod; pod.IsValid() {
		return pod.String(), pod
	}
	return "10.0.0.1", netip.Addr{}
}

// shortServiceName is a short in-cluster name of a Service in the spec's
// own namespace (as kubernetes.default.svc is of the API server's): its
// own, so the rogue DNS's answer for it is the spec's alone.
func shortServiceName(_ context.Context, s *harness.T) (string, netip.Addr) {
	return serviceName(s) + ".svc", netip.Addr{}
}

// serviceName is the spec's in-cluster Service, as service.namespace.
func serviceName(s *harness.T) string { return "api." + s.Namespace }

// underClusterDomain is a Service name under the cluster's own DNS domain,
// when that domain is not the cluster.local the CRD already rejects.
func underClusterDomain(ctx context.Context, s *harness.T) (string, netip.Addr) {
	domain := s.ClusterDomain()
	switch domain {
	case "":
		Skip("the cluster's DNS domain is unknown (no --cluster-domain, no CoreDNS Corefile naming it), so there is no custom cluster domain to test")
	case defaultClusterDomain:
		Skip("the cluster's DNS domain is cluster.local, which the CRD itself rejects (AdmissionRejectsClusterLocalHostname)")
	}
	return serviceName(s) + ".svc." + domain, netip.Addr{}
}

// clusterAnswer makes the rogue DNS answer host as the cluster's resolver
// would: with the address of an in-cluster Service, where up listens, after
// the pod canary's where the sandbox has one. Clusters may give Pods and
// Services addresses that are not private (GKE's privately used public
// ranges), so up sits on the simulated internet, which the egress
// guardrail lets through: only honouring the name rule keeps the
// implementation from routing there. (In a cluster provider the cluster's
// own DNS answers these names; the canary then sees only what it does.)
func clusterAnswer(ctx context.Context, s *harness.T, host string, up *harness.Upstream) {
	GinkgoHelper()
	answers := []string{"A " + up.Host()}
	if pod := s.Env().Network.Pod; pod.IsValid() {
		answers = append([]string{"A " + pod.String()}, answers...)
	}
	By(fmt.Sprintf("answering %s as the cluster's resolver would: %v", host, answers))
	s.Answer(ctx, host, dns.Static(dns.Records(0, answers...)))
	s.AnswerType(ctx, host, mdns.TypeAAAA, dns.Static(dns.Records(0)))
}

// notRouted creates an XBackend for the target and a route to it; once the
// implementation has reacted (a response from the Gateway, or a refusal in
// status), no request may be served for the Never window, and the target
// (its canary, or the upstream at a public literal) sees nothing.
func (t target) notRouted(ctx context.Context, s *harness.T) {
	var host string
	var canaryAt netip.Addr
	var up *harness.Upstream
	switch {
	case t.public:
		up = s.StartUpstream(ctx, harness.UpstreamConfig{Role: "at-the-literal", TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1}})
		host = up.Host()
	case t.inCluster:
		host, _ = t.host(ctx, s)
		up = s.StartUpstream(ctx, harness.UpstreamConfig{Role: "in-cluster-service", TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1}})
		canaryAt = s.Env().Network.Pod
	default:
		host, canaryAt = t.host(ctx, s)
	}
	port := strconv.Itoa(harness.ListenerPort)
	if up != nil {
		port = up.Port()
	}
	// A canary on the implementation's loopback listens where that loopback
	// is: in a cluster, inside the pods that serve the Gateway.
	s.ApplyGateway(ctx)
	s.LoopbackOf(ctx, "gw")
	var canaries []*harness.Canary
	if canaryAt.IsValid() {
		p := uint16(0)
		if up != nil {
			p = up.Addr.Port()
		}
		c := s.StartCanary(ctx, "target", canaryAt, p)
		port = strconv.Itoa(int(c.Port()))
		s.ProveReachable(ctx, c)
		canaries = append(canaries, c)
	}
	if t.inCluster {
		clusterAnswer(ctx, s, host, up)
	}

	By(fmt.Sprintf("creating an XBackend for %q, which the CRD admits", host))
	xb := s.Render("not-routed-target.yaml", map[string]string{"Target": host, "Port": port})[0]
	err := s.Client().Create(ctx, xb)
	if apierrors.IsInvalid(err) {
		s.Note("the API server rejects %q (%v): nothing can route to it", host, err)
		return
	}
	Expect(err).NotTo(HaveOccurred(), "create the XBackend for %q", host)
	s.DeleteAtEnd(xb)
	s.Apply(ctx, "route-to-target.yaml", map[string]string{"Port": port})

	By("checking the route is attached, so the Gateway would send requests to the XBackend if it served it")
	s.EventuallyRouteCondition(ctx, "to-target", "gw", gatewayv1.RouteConditionAccepted, metav1.ConditionTrue, "")
	defer func() { s.Observe("status", statusSummary(ctx, s)) }()
	if len(canaries) == 0 && up == nil && !s.Env().Network.Sandboxed {
		s.Note("no request sent: %q names no loopback address, and outside the sandbox the implementation must not be made to dial it", host)
		return
	}
	gw := s.GatewayAddress(ctx, "gw")
	By("waiting until the implementation has reacted to the route: a response from the Gateway, or a refusal in status")
	s.EventuallyReacted(ctx, gw, "/", "target", "to-target", "gw")
	By("checking no request is served and nothing reaches the target")
	s.ConsistentlyNotServed(ctx, gw, "/", canaries...)
	if up != nil {
		Expect(up.Events(ctx, upstream.KindRequest)).To(BeEmpty(), "the implementation sent requests to %s at %s", host, up.Addr)
	}
}

// statusSummary records what the implementation said about the target in
// status, which the API leaves to it.
func statusSummary(ctx context.Context, s *harness.T) string {
	resolved := "no ResolvedRefs condition"
	if c := s.RouteCondition(ctx, "to-target", "gw", gatewayv1.RouteConditionResolvedRefs); c != nil {
		resolved = fmt.Sprintf("ResolvedRefs=%s (%s)", c.Status, c.Reason)
	}
	return fmt.Sprintf("XBackend Accepted %s; route %s", s.AcceptedSummary(ctx, "target", "gw"), resolved)
}
