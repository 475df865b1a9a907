package suites

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

	"github.com/xbcheck/xbcheck/fakes/canary"
)

// defaultClusterDomain is the domain the CRD itself rejects hostnames under.
const defaultClusterDomain = "cluster.local"

// loopbackV4 is where the loopback literals below point.
var loopbackV4 = netip.MustParseAddr("127.0.0.1")

// Catalog group A, items 4 and 4b: hostnames the CRD admits although
// they name no external host. The API server lets them in; the
// implementation must refuse them and never route to them.
var _ = Describe("Admission of targets", func() {
	DescribeTable("does not route to an IP literal the CRD admits",
		notRouted,
		notRoutedEntry("AdmissionIPLiteralPrivateNotRouted", Must, literal("10.0.0.1"), netip.Addr{}),
		notRoutedEntry("AdmissionIPLiteralShortFormNotRouted", Must, literal("127.1"), loopbackV4),
		notRoutedEntry("AdmissionIPLiteralIntegerNotRouted", Must, literal("2130706433"), loopbackV4),
	)

	DescribeTable("does not route to a local or in-cluster name the CRD admits",
		notRouted,
		notRoutedEntry("AdmissionLocalhostNotRouted", Should, literal("localhost"), loopbackV4),
		notRoutedEntry("AdmissionShortServiceNameNotRouted", Should, literal("kubernetes.default.svc"), netip.Addr{}),
		notRoutedEntry("AdmissionCustomClusterDomainNotRouted", Should, underClusterDomain, netip.Addr{}),
	)
})

// notRoutedEntry declares one target no XBackend may reach; canaryAt is
// the loopback address it names, where a canary listens, or invalid when
// it names nothing the harness may bind outside the sandbox.
func notRoutedEntry(shortName string, level Level, target func(context.Context) string, canaryAt netip.Addr) TableEntry {
	return Entry(shortName, Scenario{shortName, level, FeatureExternalHostname}.Labels(), shortName, target, canaryAt)
}

// literal is a target known in advance.
func literal(host string) func(context.Context) string {
	return func(context.Context) string { return host }
}

// underClusterDomain is a Service name under the cluster's own DNS domain,
// when that domain is not the cluster.local the CRD already rejects.
func underClusterDomain(ctx context.Context) string {
	domain := clusterDomain(ctx)
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
func notRouted(ctx SpecContext, shortName string, target func(context.Context) string, canaryAt netip.Addr) {
	host := target(ctx)
	s := newSpec(ctx, shortName)
	port := strconv.Itoa(ListenerPort)
	var canaries []*canary.Canary
	if canaryAt.IsValid() {
		c := s.startCanary(ctx, "target", canaryAt, 0)
		port = strconv.Itoa(int(c.Addrs()[0].Port()))
		s.proveReachable(ctx, c)
		canaries = append(canaries, c)
	}

	By(fmt.Sprintf("creating an XBackend for %q, which the CRD admits", host))
	xb := s.render("admission/not-routed-target.yaml", map[string]string{"Target": host, "Port": port})[0]
	err := k8sClient.Create(ctx, xb)
	if apierrors.IsInvalid(err) {
		s.evidence.note("the API server rejects %q (%v): nothing can route to it", host, err)
		return
	}
	Expect(err).NotTo(HaveOccurred(), "create the XBackend for %q", host)
	s.apply(ctx, "common/gateway.yaml", nil)
	s.apply(ctx, "admission/route-to-target.yaml", map[string]string{"Port": port})

	By("checking the implementation refuses the XBackend: Accepted=False for the Gateway")
	s.eventuallyXBackendAccepted(ctx, "target", "gw", metav1.ConditionFalse)
	By("checking the route is attached, so the Gateway would send requests to the XBackend if it served it")
	s.eventuallyRouteCondition(ctx, "to-target", "gw", gatewayv1.RouteConditionAccepted, metav1.ConditionTrue, "")
	if len(canaries) == 0 && !config.Environment.Network.Sandboxed {
		s.evidence.note("no request sent: %q names no loopback address, and outside the sandbox the implementation must not be made to dial it", host)
		return
	}
	By("checking no request is served and nothing reaches the target")
	s.consistentlyNotServed(ctx, s.gatewayAddress(ctx, "gw"), "/", canaries...)
}
