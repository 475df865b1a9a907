package backendtls

import (
	"context"
	"net"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// rewriteScenarios check the Host header and the SNI apart: a route filter
// that rewrites Host must not move the SNI, which tls.validation.hostname
// fixes.
func rewriteScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("TLSURLRewriteKeepsSNI", verdict.FeatureTLS),
		Description: "sends validation.hostname as SNI when a URLRewrite filter rewrites the Host header",
		Source:      apitext.SNI,
		Run:         urlRewriteKeepsSNI,
	}}
}

// routeAcceptsFilter waits for the Accepted condition of route on the
// spec's Gateway and skips the spec when the implementation refused the
// route (as it must for a filter it does not support).
func routeAcceptsFilter(ctx context.Context, s *harness.T, route string) {
	GinkgoHelper()
	var cond *metav1.Condition
	s.Measure(ctx, s.Timeouts().Status, func(g Gomega) {
		cond = s.RouteCondition(ctx, route, "gw", gatewayv1.RouteConditionAccepted)
		g.Expect(cond).NotTo(BeNil())
	})
	if cond != nil && cond.Status == metav1.ConditionFalse {
		Skip("the implementation does not accept the route's URLRewrite filter (" + cond.Reason + ": " + cond.Message + "); the HTTPRouteHostRewrite specs cover that")
	}
}

// hostOnly is a Host header without its port.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// urlRewriteKeepsSNI is the run function of TLSURLRewriteKeepsSNI: sends
// validation.hostname as SNI when a URLRewrite filter rewrites the Host
// header.
func urlRewriteKeepsSNI(ctx context.Context, s *harness.T) {
	rewrite := "rewritten." + s.Hostname
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid})
	s.CreateCAConfigMap(ctx, "ca", s.CA())
	s.ResolveTo(ctx, up, 5)
	s.ApplyGateway(ctx)
	vars := map[string]string{"Port": up.Port(), "CAConfigMap": "ca", "ValidationHostname": s.Hostname, "RewriteHost": rewrite}
	s.Apply(ctx, "server-only.yaml", vars)
	s.Apply(ctx, "route-rewrite.yaml", vars)
	gw := s.GatewayAddress(ctx, "gw")
	routeAcceptsFilter(ctx, s, "to-external")
	By("sending a request through the Gateway")
	r := s.EventuallyGet(ctx, gw, "/tls", harness.FromUpstream(up))
	By("checking the upstream saw the filter's Host and validation.hostname as SNI")
	Expect(hostOnly(r.Upstream.Host)).To(Equal(rewrite), "the route's URLRewrite hostname is %q, the upstream saw Host %q", rewrite, r.Upstream.Host)
	Expect(r.Upstream.SNI).To(Equal(s.Hostname), "the SNI must stay tls.validation.hostname %q whatever Host is sent; the filter's hostname is %q", s.Hostname, rewrite)
}
