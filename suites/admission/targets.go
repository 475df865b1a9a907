package admission

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// defaultClusterDomain is the domain the CRD itself rejects hostnames under.
const defaultClusterDomain = "cluster.local"

// loopbackV4 is where the loopback literals below point.
var loopbackV4 = netip.MustParseAddr("127.0.0.1")

// target is a hostname the CRD admits although it names no external host:
// the implementation must refuse it and never route to it.
type target struct {
	shortName string
	level     verdict.Level
	// host returns the hostname; it may skip the spec when the run has none.
	host func(context.Context, *harness.Spec) string
	// canaryAt is the loopback address the host names, where a canary
	// listens; invalid when it names nothing the harness may bind outside
	// the sandbox.
	canaryAt netip.Addr
}

// Catalog group A, items 4 and 4b.
func targetTests() []harness.Test {
	var tests []harness.Test
	for _, t := range []target{
		{"AdmissionIPLiteralPrivateNotRouted", verdict.Must, literal("10.0.0.1"), netip.Addr{}},
		{"AdmissionIPLiteralShortFormNotRouted", verdict.Must, literal("127.1"), loopbackV4},
		{"AdmissionIPLiteralIntegerNotRouted", verdict.Must, literal("2130706433"), loopbackV4},
		{"AdmissionLocalhostNotRouted", verdict.Should, literal("localhost"), loopbackV4},
		{"AdmissionShortServiceNameNotRouted", verdict.Should, literal("kubernetes.default.svc"), netip.Addr{}},
		{"AdmissionCustomClusterDomainNotRouted", verdict.Should, underClusterDomain, netip.Addr{}},
	} {
		tests = append(tests, harness.Test{
			Scenario:    verdict.Scenario{ShortName: t.shortName, Level: t.level, Feature: verdict.FeatureExternalHostname},
			Description: "does not route to a hostname the CRD admits but that names no external host",
			Run:         func(ctx context.Context, s *harness.Spec) { notRouted(ctx, s, t) },
		})
	}
	return tests
}

// literal is a target known in advance.
func literal(host string) func(context.Context, *harness.Spec) string {
	return func(context.Context, *harness.Spec) string { return host }
}

// underClusterDomain is a Service name under the cluster's own DNS domain,
// when that domain is not the cluster.local the CRD already rejects.
func underClusterDomain(ctx context.Context, s *harness.Spec) string {
	domain := s.ClusterDomain(ctx)
	switch domain {
	case "":
		Skip("the cluster's DNS domain is unknown (no --cluster-domain, no kube-system/coredns ConfigMap), so there is no custom cluster domain to test")
	case defaultClusterDomain:
		Skip("the cluster's DNS domain is cluster.local, which the CRD itself rejects (AdmissionRejectsClusterLocalHostname)")
	}
	return "kubernetes.default.svc." + domain
}

// notRouted creates an XBackend for the target and a route to it, then
// checks the implementation refuses it (Accepted=False) and, where the
// harness may watch the target, that no request is served and the
// target's canary sees nothing.
func notRouted(ctx context.Context, s *harness.Spec, t target) {
	host := t.host(ctx, s)
	port := strconv.Itoa(harness.ListenerPort)
	var canaries []*harness.Canary
	if t.canaryAt.IsValid() {
		c := s.StartCanary(ctx, "target", t.canaryAt, 0)
		port = strconv.Itoa(int(c.Port()))
		s.ProveReachable(ctx, c)
		canaries = append(canaries, c)
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
	s.ApplyGateway(ctx)
	s.Apply(ctx, "route-to-target.yaml", map[string]string{"Port": port})

	By("checking the implementation refuses the XBackend: Accepted=False for the Gateway")
	s.EventuallyAccepted(ctx, "target", "gw", metav1.ConditionFalse)
	By("checking the route is attached, so the Gateway would send requests to the XBackend if it served it")
	s.EventuallyRouteCondition(ctx, "to-target", "gw", gatewayv1.RouteConditionAccepted, metav1.ConditionTrue, "")
	if len(canaries) == 0 && !s.Env().Network.Sandboxed {
		s.Note("no request sent: %q names no loopback address, and outside the sandbox the implementation must not be made to dial it", host)
		return
	}
	By("checking no request is served and nothing reaches the target")
	s.ConsistentlyNotServed(ctx, s.GatewayAddress(ctx, "gw"), "/", canaries...)
}
