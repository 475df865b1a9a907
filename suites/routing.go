package suites

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	xv1alpha1 "sigs.k8s.io/gateway-api/apisx/v1alpha1"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// splitRequests is how many fresh requests a weighted split is judged on.
const splitRequests = 40

// Catalog group B: routing to an external host, and the status an
// implementation reports for it. Status of the XBackend itself (items 6
// and 7) is in status_specs.go.
var _ = Describe("Routing", func() {
	It("routes plain HTTP to an external host on the XBackend's port", Scenario{"RoutingPlainHTTP", Must, FeatureExternalHostname}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "RoutingPlainHTTP")
		up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1}})
		s.resolveTo(up, 5)
		port := strconv.Itoa(int(up.Addr().Port()))
		s.apply(ctx, "common/gateway.yaml", nil)
		s.apply(ctx, "routing/plain-http.yaml", map[string]string{"Port": port})

		By("sending a request through the Gateway")
		r := s.eventuallyGet(ctx, s.gatewayAddress(ctx, "gw"), "/plain?probe=1", fromUpstream(up))
		By("checking the upstream saw cleartext HTTP on the XBackend's port")
		Expect(r.Upstream.TLSVersion).To(BeEmpty(), "the upstream saw TLS %s on a cleartext XBackend", r.Upstream.TLSVersion)
		Expect(r.Upstream.Protocol).To(Equal("HTTP/1.1"))
		Expect(r.Upstream.LocalAddr).To(HaveSuffix(":"+port), "the connection arrived on another port")
		Expect(r.Upstream.Path).To(Equal("/plain?probe=1"))
		Expect(r.Status).To(Equal(http.StatusOK))
	})

	DescribeTable("reports an unresolvable backendRef with its typed reason and answers its requests with 500",
		func(ctx SpecContext, shortName, file, route, path string, reason gatewayv1.RouteConditionReason) {
			s := newSpec(ctx, shortName)
			s.apply(ctx, "common/gateway.yaml", nil)
			s.apply(ctx, file, nil)
			By("checking the route reports ResolvedRefs=False with reason " + string(reason))
			s.eventuallyRouteCondition(ctx, route, "gw", gatewayv1.RouteConditionResolvedRefs, metav1.ConditionFalse, reason)
			By("checking requests through the Gateway get 500")
			s.eventuallyGet(ctx, s.gatewayAddress(ctx, "gw"), path, answeredWith(http.StatusInternalServerError))
		},
		Entry("RoutingMissingXBackend", Scenario{"RoutingMissingXBackend", Must, FeatureResourceBackend}.Labels(),
			"RoutingMissingXBackend", "routing/missing-backend.yaml", "to-missing", "/missing", gatewayv1.RouteReasonBackendNotFound),
		Entry("RoutingUnknownBackendKind", Scenario{"RoutingUnknownBackendKind", Must, FeatureResourceBackend}.Labels(),
			"RoutingUnknownBackendKind", "routing/unknown-kind.yaml", "to-unknown-kind", "/unknown", gatewayv1.RouteReasonInvalidKind),
	)

	It("refuses an XBackend of another namespace without a ReferenceGrant (RefNotPermitted) and sends it nothing",
		Scenario{"RoutingCrossNamespaceRefNotPermitted", Must, FeatureResourceBackend}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "RoutingCrossNamespaceRefNotPermitted")
			up := s.crossNamespaceRoute(ctx, false)
			By("checking the route reports ResolvedRefs=False with reason RefNotPermitted")
			s.eventuallyRouteCondition(ctx, "to-other-namespace", "gw", gatewayv1.RouteConditionResolvedRefs, metav1.ConditionFalse, gatewayv1.RouteReasonRefNotPermitted)
			By("checking requests get 500 and none reaches the other namespace's upstream")
			s.expectNotServedBy(ctx, up)
		})

	It("refuses an XBackend of another namespace even with a ReferenceGrant: Backends live in the route's namespace (GEP-4894)",
		Scenario{"RoutingCrossNamespaceWithGrantRefused", Should, FeatureResourceBackend}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "RoutingCrossNamespaceWithGrantRefused")
			up := s.crossNamespaceRoute(ctx, true)
			By("checking the route reports ResolvedRefs=False although a ReferenceGrant allows the reference")
			s.eventuallyRouteCondition(ctx, "to-other-namespace", "gw", gatewayv1.RouteConditionResolvedRefs, metav1.ConditionFalse, "")
			By("checking requests get 500 and none reaches the other namespace's upstream")
			s.expectNotServedBy(ctx, up)
		})

	It("follows a change of the XBackend's port: status at the new generation, traffic to the new port",
		Scenario{"RoutingFollowsPortChange", Must, FeatureResourceBackend}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "RoutingFollowsPortChange")
			first := s.plainRoute(ctx)
			second := s.startUpstream(ctx, upstream.Config{Role: "second-port", TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1},
				Addr: net.JoinHostPort(first.Addr().Addr().String(), "0")})
			gw := s.gatewayAddress(ctx, "gw")
			s.eventuallyGet(ctx, gw, "/", fromUpstream(first))
			before := s.eventuallyXBackendAccepted(ctx, "external", "gw", metav1.ConditionTrue)

			By("changing the XBackend's port, and the route's backendRef with it, to the second upstream's")
			generation := s.patchXBackend(ctx, "external", map[string]any{"port": map[string]any{"port": second.Addr().Port()}})
			Expect(generation).To(BeNumerically(">", before.ObservedGeneration), "the API server did not bump the XBackend's generation")
			s.setRoutePort(ctx, "to-external", second.Addr().Port())
			By("checking Accepted is reported for the new generation")
			s.eventuallyXBackendAccepted(ctx, "external", "gw", metav1.ConditionTrue)
			By("checking requests now reach the new port")
			s.eventuallyGet(ctx, gw, "/", fromUpstream(second))
		})

	It("follows a change of the XBackend's hostname: status at the new generation, traffic to the new host",
		Scenario{"RoutingFollowsHostnameChange", Must, FeatureExternalHostname}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "RoutingFollowsHostnameChange")
			first := s.plainRoute(ctx)
			next := "next." + s.hostname
			second := s.startUpstream(ctx, upstream.Config{Role: "second-host", Hostname: next, TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1},
				Addr: net.JoinHostPort(config.Environment.Network.internetAddr().String(), portOf(first))})
			s.answer(next, dns.Static(dns.Records(5, "A "+second.Addr().Addr().String())))
			gw := s.gatewayAddress(ctx, "gw")
			s.eventuallyGet(ctx, gw, "/", fromUpstream(first))
			before := s.eventuallyXBackendAccepted(ctx, "external", "gw", metav1.ConditionTrue)

			By("changing the XBackend's hostname to a name that resolves to the second upstream")
			generation := s.patchXBackend(ctx, "external", map[string]any{"externalHostname": map[string]any{"hostname": next}})
			Expect(generation).To(BeNumerically(">", before.ObservedGeneration), "the API server did not bump the XBackend's generation")
			By("checking Accepted is reported for the new generation")
			s.eventuallyXBackendAccepted(ctx, "external", "gw", metav1.ConditionTrue)
			By("checking requests now reach the new host")
			s.eventuallyGet(ctx, gw, "/", fromUpstream(second))
		})

	It("observes how a backendRef without a port is served",
		Scenario{"RoutingBackendRefPortAbsent", Observe, FeatureResourceBackend}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "RoutingBackendRefPortAbsent")
			up := s.plainUpstream(ctx, "xbackend-port", s.hostname)
			s.apply(ctx, "common/gateway.yaml", nil)
			s.apply(ctx, "routing/xbackend.yaml", map[string]string{"Name": "external", "Host": s.hostname, "Port": portOf(up)})
			s.apply(ctx, "routing/port-absent.yaml", nil)
			s.observeRouting(ctx, "backendRef without port", "to-external", up)
		})

	It("observes which port serves a backendRef whose port differs from the XBackend's",
		Scenario{"RoutingBackendRefPortMismatch", Observe, FeatureResourceBackend}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "RoutingBackendRefPortMismatch")
			up := s.plainUpstream(ctx, "xbackend-port", s.hostname)
			refPort := s.startUpstream(ctx, upstream.Config{Role: "backendref-port", TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1},
				Addr: net.JoinHostPort(up.Addr().Addr().String(), "0")})
			s.apply(ctx, "common/gateway.yaml", nil)
			s.apply(ctx, "routing/xbackend.yaml", map[string]string{"Name": "external", "Host": s.hostname, "Port": portOf(up)})
			s.apply(ctx, "routing/port-mismatch.yaml", map[string]string{"RefPort": portOf(refPort)})
			s.observeRouting(ctx, "backendRef port differs from the XBackend's", "to-external", up, refPort)
		})

	It("observes the Host header the upstream sees",
		Scenario{"RoutingHostHeaderSeenUpstream", Observe, FeatureExternalHostname}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "RoutingHostHeaderSeenUpstream")
			up := s.plainRoute(ctx)
			gw := s.gatewayAddress(ctx, "gw")
			var r *response
			if !measure(ctx, config.Timeouts.Traffic, func(g Gomega) {
				var err error
				r, err = s.get(ctx, gw, "/host")
				g.Expect(err).NotTo(HaveOccurred())
				fromUpstream(up)(g, r)
			}) {
				s.observe("Host header seen upstream", fmt.Sprintf("no request reached the upstream within %s (last: %v)", config.Timeouts.Traffic, r))
				return
			}
			host := r.Upstream.Host
			var which string
			switch hostOnly(host) {
			case s.hostname:
				which = "the externalHostname"
			case hostOnly(gw):
				which = "the client's Host, passed through"
			default:
				which = "neither the externalHostname nor the client's Host"
			}
			s.observe("Host header seen upstream", fmt.Sprintf("%q: %s (client sent %q, externalHostname %q)", host, which, gw, s.hostname))
		})

	It("sends the URLRewrite filter's hostname as the Host header upstream",
		Scenario{"RoutingURLRewriteHostnameWins", Must, FeatureExternalHostname}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "RoutingURLRewriteHostnameWins")
			up := s.plainUpstream(ctx, "upstream", s.hostname)
			rewrite := "rewritten." + s.hostname
			s.apply(ctx, "common/gateway.yaml", nil)
			s.apply(ctx, "routing/url-rewrite-hostname.yaml", map[string]string{"Port": portOf(up), "RewriteHost": rewrite})
			By("sending a request through the Gateway")
			r := s.eventuallyGet(ctx, s.gatewayAddress(ctx, "gw"), "/rewrite", fromUpstream(up))
			By("checking the upstream saw the filter's hostname, not the client's Host or the externalHostname")
			Expect(hostOnly(r.Upstream.Host)).To(Equal(rewrite), "the upstream saw Host %q; the route's URLRewrite hostname is %q", r.Upstream.Host, rewrite)
		})

	It("splits requests between two XBackends by weight",
		Scenario{"RoutingWeightedSplit", Should, FeatureResourceBackend}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "RoutingWeightedSplit")
			heavy := s.plainUpstream(ctx, "heavy", "heavy."+s.hostname)
			light := s.plainUpstream(ctx, "light", "light."+s.hostname)
			s.apply(ctx, "common/gateway.yaml", nil)
			s.apply(ctx, "routing/xbackend.yaml", map[string]string{"Name": "heavy", "Host": "heavy." + s.hostname, "Port": portOf(heavy)})
			s.apply(ctx, "routing/xbackend.yaml", map[string]string{"Name": "light", "Host": "light." + s.hostname, "Port": portOf(light)})
			s.apply(ctx, "routing/weighted-split.yaml", map[string]string{"HeavyPort": portOf(heavy), "LightPort": portOf(light)})
			gw := s.gatewayAddress(ctx, "gw")

			By("waiting until each upstream has answered once through the Gateway")
			seen := map[string]bool{}
			s.eventuallyGet(ctx, gw, "/split", func(g Gomega, r *response) {
				g.Expect(r.Upstream).NotTo(BeNil(), "not served by an upstream: %v", r)
				seen[r.Upstream.Token] = true
				g.Expect(seen).To(HaveLen(2), "only %v has answered so far", r.Upstream.Role)
			})
			By(fmt.Sprintf("sending %d requests on fresh connections and counting which upstream answered each", splitRequests))
			counts := map[string]int{}
			for i := range splitRequests {
				r, err := s.get(ctx, gw, "/split")
				Expect(err).NotTo(HaveOccurred(), "request %d", i)
				Expect(r.Upstream).NotTo(BeNil(), "request %d was not served by an upstream: %v", i, r)
				counts[r.Upstream.Token]++
			}
			s.evidence.note("weight 3 got %d, weight 1 got %d of %d", counts[heavy.Token()], counts[light.Token()], splitRequests)
			Expect(counts[heavy.Token()]+counts[light.Token()]).To(Equal(splitRequests), "some requests were answered by neither upstream")
			Expect(counts[light.Token()]).To(BeNumerically(">=", 1), "the weight-1 XBackend got no request of %d", splitRequests)
			Expect(counts[heavy.Token()]).To(BeNumerically(">", counts[light.Token()]),
				"the weight-3 XBackend got %d requests, the weight-1 one %d: the split ignores the weights", counts[heavy.Token()], counts[light.Token()])
		})

	It("stops traffic to a deleted XBackend with 500 and reports it as BackendNotFound",
		Scenario{"RoutingDeletedXBackendStops", Must, FeatureResourceBackend}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "RoutingDeletedXBackendStops")
			up := s.plainRoute(ctx)
			gw := s.gatewayAddress(ctx, "gw")
			s.eventuallyGet(ctx, gw, "/", fromUpstream(up))
			By("deleting the XBackend")
			xb := &xv1alpha1.XBackend{}
			xb.Namespace, xb.Name = s.namespace, "external"
			Expect(k8sClient.Delete(ctx, xb)).To(Succeed())
			By("checking requests get 500")
			s.eventuallyGet(ctx, gw, "/", answeredWith(http.StatusInternalServerError))
			By("checking the route reports ResolvedRefs=False with reason BackendNotFound")
			s.eventuallyRouteCondition(ctx, "to-external", "gw", gatewayv1.RouteConditionResolvedRefs, metav1.ConditionFalse, gatewayv1.RouteReasonBackendNotFound)
			By("checking no later request reaches the upstream")
			s.consistentlyNotServed(ctx, gw, "/")
		})
})

// plainUpstream starts a cleartext HTTP/1.1 upstream named role and makes
// host resolve to it.
func (s *spec) plainUpstream(ctx context.Context, role, host string) *upstream.Server {
	up := s.startUpstream(ctx, upstream.Config{Role: role, Hostname: host, TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1}})
	s.answer(host, dns.Static(dns.Records(5, "A "+up.Addr().Addr().String())))
	return up
}

// plainRoute sets up routing/plain-http.yaml: the Gateway, the XBackend
// "external" for the spec's host and the route "to-external", served by
// the upstream it returns.
func (s *spec) plainRoute(ctx context.Context) *upstream.Server {
	up := s.plainUpstream(ctx, "upstream", s.hostname)
	s.apply(ctx, "common/gateway.yaml", nil)
	s.apply(ctx, "routing/plain-http.yaml", map[string]string{"Port": portOf(up)})
	return up
}

// crossNamespaceRoute puts the XBackend "external" in a second namespace
// of the spec, served by the upstream it returns, and a route to it in
// the spec's namespace; with a ReferenceGrant in the second namespace
// when grant is set.
func (s *spec) crossNamespaceRoute(ctx context.Context, grant bool) *upstream.Server {
	other := namespaceFor(ctx, s.shortName+"Backends")
	up := s.plainUpstream(ctx, "other-namespace", s.hostname)
	vars := map[string]string{"BackendNamespace": other, "Port": portOf(up)}
	s.apply(ctx, "common/gateway.yaml", nil)
	s.apply(ctx, "routing/xbackend.yaml", map[string]string{"Namespace": other, "Name": "external", "Host": s.hostname, "Port": portOf(up)})
	if grant {
		s.apply(ctx, "routing/reference-grant.yaml", vars)
	}
	s.apply(ctx, "routing/cross-namespace.yaml", vars)
	return up
}

// expectNotServedBy checks that requests through the spec's Gateway get
// 500 and that up never sees a connection.
func (s *spec) expectNotServedBy(ctx context.Context, up *upstream.Server) {
	gw := s.gatewayAddress(ctx, "gw")
	s.eventuallyGet(ctx, gw, "/", answeredWith(http.StatusInternalServerError))
	s.consistentlyNotServed(ctx, gw, "/")
	ExpectWithOffset(1, up.Log().Entries()).To(BeEmpty(), "the implementation connected to upstream %s at %s", up.Role(), up.Addr())
}

// setRoutePort sets the port of every backendRef of HTTPRoute name.
func (s *spec) setRoutePort(ctx context.Context, name string, port uint16) {
	EventuallyWithOffset(1, func(g Gomega) {
		r := &gatewayv1.HTTPRoute{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, r)).To(Succeed())
		p := gatewayv1.PortNumber(port)
		for i := range r.Spec.Rules {
			for j := range r.Spec.Rules[i].BackendRefs {
				r.Spec.Rules[i].BackendRefs[j].Port = &p
			}
		}
		g.Expect(k8sClient.Update(ctx, r)).To(Succeed())
	}).WithContext(ctx).WithTimeout(config.Timeouts.Status).WithPolling(config.Timeouts.Poll).Should(Succeed(), "set the backendRef port of HTTPRoute %s", name)
	s.evidence.note("set the backendRef port of HTTPRoute %s to %d", name, port)
}

// observeRouting records, without a verdict, the ResolvedRefs condition
// of route and which of the upstreams (if any) serves requests through
// the spec's Gateway.
func (s *spec) observeRouting(ctx context.Context, name, route string, ups ...*upstream.Server) {
	var cond *metav1.Condition
	measure(ctx, config.Timeouts.Status, func(g Gomega) {
		cond = s.routeCondition(ctx, route, "gw", gatewayv1.RouteConditionResolvedRefs)
		g.Expect(cond).NotTo(BeNil())
	})
	status := fmt.Sprintf("no ResolvedRefs condition for the route's generation within %s", config.Timeouts.Status)
	if cond != nil {
		status = fmt.Sprintf("ResolvedRefs=%s (%s)", cond.Status, cond.Reason)
	}
	gw := s.gatewayAddress(ctx, "gw")
	var last *response
	var lastErr error
	served := measure(ctx, config.Timeouts.Traffic, func(g Gomega) {
		last, lastErr = s.get(ctx, gw, "/")
		g.Expect(lastErr).NotTo(HaveOccurred())
		g.Expect(last.Status).To(Equal(http.StatusOK))
		g.Expect(last.Upstream).NotTo(BeNil())
	})
	traffic := fmt.Sprintf("not served within %s (last: %v, error %v)", config.Timeouts.Traffic, last, lastErr)
	if served {
		traffic = fmt.Sprintf("served by %s on port %s", last.Upstream.Role, portOfAddr(last.Upstream.LocalAddr))
	}
	s.observe(name, status+"; "+traffic)
}

// portOf is the port an upstream listens on, as a manifest placeholder.
func portOf(up *upstream.Server) string {
	return strconv.Itoa(int(up.Addr().Port()))
}

// portOfAddr is the port of a host:port, or the whole string if it has none.
func portOfAddr(hostport string) string {
	if _, port, err := net.SplitHostPort(hostport); err == nil {
		return port
	}
	return hostport
}

// hostOnly is a Host header without its port.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}
