package routing

import (
	"context"
	"embed"
	"fmt"
	"net"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

//go:embed *.yaml
var manifests embed.FS

// A weighted split of 3:1 is judged on splitRequests fresh requests: it
// passes when the weight-3 XBackend answered at least heavyAtLeast of them.
// With these numbers a correct 3:1 split fails with probability 0.28% and a
// split that ignores the weights (1:1) passes with probability 0.60%
// (TestWeightedSplitErrorRates computes both).
const (
	splitRequests = 100
	heavyAtLeast  = 63
)

// Family is catalog family B.
func Family() harness.Family {
	scenarios := []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("RoutingPlainHTTP", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.TopoOneGateway, dimension.ProtoCleartext},
		Description: "routes plain HTTP to an external host on the XBackend's port",
		Source:      apitext.OnTheWire, // MUST rests on the Backend describing the connection; Port itself says "should"
		Run:         plainHTTP,
	}}
	for _, u := range []unresolvable{
		{"RoutingMissingXBackend", "missing-backend.yaml", "to-missing", "/missing", gatewayv1.RouteReasonBackendNotFound},
		{"RoutingUnknownBackendKind", "unknown-kind.yaml", "to-unknown-kind", "/unknown", gatewayv1.RouteReasonInvalidKind},
	} {
		scenarios = append(scenarios, harness.Scenario{
			Scenario:    verdict.Must.Scenario(u.shortName, verdict.FeatureResourceBackend),
			Description: "reports an unresolvable backendRef with reason " + string(u.reason) + " and answers its requests with 500",
			Source:      apitext.InvalidBackendRef,
			Run:         u.run,
		})
	}
	scenarios = append(scenarios, []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("RoutingCrossNamespaceRefNotPermitted", verdict.FeatureResourceBackend),
		Covers:      []dimension.Class{dimension.TopoCrossNamespace},
		Description: "refuses an XBackend of another namespace without a ReferenceGrant (RefNotPermitted) and sends it nothing",
		Source:      apitext.RefNotPermitted,
		Run:         crossNamespaceRefNotPermitted,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingCrossNamespaceWithGrantRefused", verdict.FeatureResourceBackend, verdict.FailClosed),
		Covers:      []dimension.Class{dimension.TopoRefGrant},
		Description: "refuses an XBackend of another namespace even with a ReferenceGrant: Backends live in the route's namespace",
		Source:      apitext.SameNamespace,
		Run:         crossNamespaceWithGrantRefused,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingFollowsPortChange", verdict.FeatureResourceBackend),
		Covers:      []dimension.Class{dimension.StatusGeneration},
		Description: "follows a change of the XBackend's port: status at the new generation, traffic to the new port",
		Source:      apitext.OnTheWire,
		Run:         followsPortChange,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingFollowsHostnameChange", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.StatusGeneration},
		Description: "follows a change of the XBackend's hostname: status at the new generation, traffic to the new host",
		Source:      apitext.OnTheWire,
		Run:         followsHostnameChange,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingHostnameToIPLiteralRefused", verdict.FeatureExternalHostname, verdict.FailClosed),
		Description: "stops routing once the XBackend's hostname is changed to an IP literal, and routes again when it is changed back",
		Source:      apitext.NoIPLiterals,
		Run:         hostnameToIPLiteral,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingBackendRefPortAbsent", verdict.FeatureResourceBackend),
		Description: "serves a backendRef without a port on the XBackend's port",
		Source:      apitext.OnTheWire,
		Run:         backendRefPortAbsent,
	}, {
		Scenario:    verdict.Observe.Scenario("RoutingBackendRefPortMismatch", verdict.FeatureResourceBackend),
		Description: "observes which port serves a backendRef whose port differs from the XBackend's",
		Source:      apitext.BackendPort,
		Releases:    harness.BackendRefPortAllowed,
		Run:         backendRefPortMismatch,
	}, {
		Scenario:    verdict.Observe.Scenario("RoutingHostHeaderSeenUpstream", verdict.FeatureExternalHostname),
		Description: "observes the Host header the upstream sees",
		Source:      apitext.Unspecified,
		Run:         hostHeaderSeen,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingURLRewriteHostnameWins", verdict.FeatureHTTPRouteHostRewrite),
		Description: "sends the URLRewrite filter's hostname as the Host header upstream",
		Source:      apitext.RewriteHostname,
		Run:         urlRewriteHostnameWins,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingWeightedSplit", verdict.FeatureResourceBackend),
		Covers:      []dimension.Class{dimension.TopoWeights},
		Description: "splits requests between two XBackends by weight",
		Source:      apitext.Weight,
		Run:         weightedSplit,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingDeletedXBackendStops", verdict.FeatureResourceBackend),
		Covers:      []dimension.Class{dimension.StatusBackendGone},
		Description: "stops traffic to a deleted XBackend with 500 and reports it as BackendNotFound",
		Source:      apitext.InvalidGets500,
		Run:         deletedXBackendStops,
	}}...)
	scenarios = append(scenarios, statusScenarios()...)
	scenarios = append(scenarios, topologyScenarios()...)
	scenarios = append(scenarios, matchScenarios()...)
	scenarios = append(scenarios, unreferencedScenarios()...)
	return harness.Family{Name: "Routing", Manifests: manifests, Scenarios: scenarios}
}

func plainHTTP(ctx context.Context, s *harness.T) {
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1}})
	s.ResolveTo(ctx, up, 5)
	s.ApplyGateway(ctx)
	s.Apply(ctx, "plain-http.yaml", map[string]string{"Port": up.Port()})

	By("sending a request through the Gateway")
	r := s.EventuallyGet(ctx, s.GatewayAddress(ctx, "gw"), "/plain?probe=1", harness.FromUpstream(up))
	By("checking the upstream saw cleartext HTTP on the XBackend's port")
	Expect(r.Upstream.TLSVersion).To(BeEmpty(), "the upstream saw TLS %s on a cleartext XBackend", r.Upstream.TLSVersion)
	Expect(r.Upstream.Protocol).To(Equal("HTTP/1.1"))
	Expect(r.Upstream.LocalAddr).To(HaveSuffix(":"+up.ListenPort()), "the connection arrived on another port")
	Expect(r.Upstream.Path).To(Equal("/plain?probe=1"))
	Expect(r.Status).To(Equal(http.StatusOK))
}

func followsPortChange(ctx context.Context, s *harness.T) {
	first := plainRoute(ctx, s)
	second := s.StartUpstream(ctx, harness.UpstreamConfig{Role: "second-port", TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1},
		Addr: first.Host() + ":0"})
	followsChange(ctx, s, first, second, "port", func() int64 {
		By("changing the XBackend's port to the second upstream's (the route's backendRef names no port)")
		return s.SetXBackendPort(ctx, "external", int(second.Addr.Port()))
	})
}

func followsHostnameChange(ctx context.Context, s *harness.T) {
	first := plainRoute(ctx, s)
	next := "next." + s.Hostname
	second := s.StartUpstream(ctx, harness.UpstreamConfig{Role: "second-host", Hostname: next, TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1},
		Addr: ":" + first.Port()})
	s.Answer(ctx, next, dns.Static(dns.Records(5, "A "+second.Host())))
	followsChange(ctx, s, first, second, "host", func() int64 {
		By("changing the XBackend's hostname to a name that resolves to the second upstream")
		return s.PatchXBackend(ctx, "external", map[string]any{"externalHostname": map[string]any{"hostname": next}})
	})
}

// followsChange waits until plainRoute's XBackend is served by first and
// Accepted, makes change to it (which returns the XBackend's generation
// after it), and checks Accepted is reported for that generation and
// requests now reach second, at the new what.
func followsChange(ctx context.Context, s *harness.T, first, second *harness.Upstream, what string, change func() int64) {
	GinkgoHelper()
	gw := s.GatewayAddress(ctx, "gw")
	s.EventuallyGet(ctx, gw, "/", harness.FromUpstream(first))
	before := s.EventuallyAccepted(ctx, "external", "gw", metav1.ConditionTrue)

	generation := change()
	Expect(generation).To(BeNumerically(">", before.ObservedGeneration), "the API server did not bump the XBackend's generation")
	By("checking Accepted is reported for the new generation")
	s.EventuallyAccepted(ctx, "external", "gw", metav1.ConditionTrue)
	By("checking requests now reach the new " + what)
	s.EventuallyGet(ctx, gw, "/", harness.FromUpstream(second))
}

func hostnameToIPLiteral(ctx context.Context, s *harness.T) {
	up := plainRoute(ctx, s)
	gw := s.GatewayAddress(ctx, "gw")
	By("waiting until the XBackend is served by name")
	s.EventuallyGet(ctx, gw, "/", harness.FromUpstream(up))
	By("changing the XBackend's hostname to " + up.Host() + ", the upstream's own address, which the CRD admits")
	s.PatchXBackend(ctx, "external", map[string]any{"externalHostname": map[string]any{"hostname": up.Host()}})
	By("waiting until the implementation refuses it (until then it may still serve the old hostname)")
	converging := upstreamRefusal(ctx, gw, up)
	converging.Converging = true
	s.AwaitRefusal(ctx, converging)
	By("checking that every request keeps failing with a 5xx and the upstream sees no request")
	s.ConsistentlyRefused(ctx, upstreamRefusal(ctx, gw, up))
	By("changing the hostname back to " + s.Hostname)
	s.PatchXBackend(ctx, "external", map[string]any{"externalHostname": map[string]any{"hostname": s.Hostname}})
	s.EventuallyGet(ctx, gw, "/", harness.FromUpstream(up))
}

// upstreamRefusal is the refusal of route to-external: up's answers must
// not reach the client, and up must see no request from now on.
func upstreamRefusal(ctx context.Context, gw string, up *harness.Upstream) harness.Refusal {
	GinkgoHelper()
	before := len(up.Log(ctx))
	return harness.Refusal{
		Gateway: gw, Path: "/", XBackend: "external", Route: "to-external",
		Served: func(r *harness.Response) bool { return harness.ServedBy(r, up.Token) },
		Violation: func(ctx context.Context) string {
			for _, e := range up.LogSince(ctx, before) {
				if e.Kind == upstream.KindRequest {
					return fmt.Sprintf("upstream %s at %s answered a request from %s after the XBackend became refused", up.Name(), up.Addr, e.Remote)
				}
			}
			return ""
		},
	}
}

func hostHeaderSeen(ctx context.Context, s *harness.T) {
	up := plainRoute(ctx, s)
	gw := s.GatewayAddress(ctx, "gw")
	served, r, last := s.MeasureServed(ctx, gw, "/host", up)
	if !served {
		s.Observe("Host header seen upstream", fmt.Sprintf("no request reached the upstream within %s (last: %s)", s.Timeouts().Traffic, last))
		return
	}
	host := r.Upstream.Host
	var which string
	switch harness.HostOnly(host) {
	case s.Hostname:
		which = "the externalHostname"
	case harness.HostOnly(gw):
		which = "the client's Host, passed through"
	default:
		which = "neither the externalHostname nor the client's Host"
	}
	s.Observe("Host header seen upstream", fmt.Sprintf("%q: %s (client sent %q, externalHostname %q)", host, which, gw, s.Hostname))
}

func weightedSplit(ctx context.Context, s *harness.T) {
	heavy, light, gw := twoXBackends(ctx, s, "heavy", "light", "weighted-split.yaml")

	By("waiting until each upstream has answered once through the Gateway")
	seen := map[string]bool{}
	s.EventuallyGet(ctx, gw, "/split", func(g Gomega, r *harness.Response) {
		g.Expect(r.Upstream).NotTo(BeNil(), "not served by an upstream: %v", r)
		seen[r.Upstream.Token] = true
		g.Expect(seen).To(HaveLen(2), "only %v has answered so far", r.Upstream.Role)
	})
	By(fmt.Sprintf("sending %d requests on fresh connections and counting which upstream answered each", splitRequests))
	counts := map[string]int{}
	for i := range splitRequests {
		r, err := s.Get(ctx, gw, "/split")
		Expect(err).NotTo(HaveOccurred(), "request %d", i)
		Expect(r.Upstream).NotTo(BeNil(), "request %d was not served by an upstream: %v", i, r)
		counts[r.Upstream.Token]++
	}
	s.Note("weight 3 got %d, weight 1 got %d of %d", counts[heavy.Token], counts[light.Token], splitRequests)
	Expect(counts[heavy.Token]+counts[light.Token]).To(Equal(splitRequests), "some requests were answered by neither upstream")
	Expect(counts[light.Token]).To(BeNumerically(">=", 1), "the weight-1 XBackend got no request of %d", splitRequests)
	Expect(counts[heavy.Token]).To(BeNumerically(">=", heavyAtLeast),
		"the weight-3 XBackend got %d of %d requests, the weight-1 one %d: a 3:1 split gives it %d or more with probability 99.7%%",
		counts[heavy.Token], splitRequests, counts[light.Token], heavyAtLeast)
}

func deletedXBackendStops(ctx context.Context, s *harness.T) {
	up := plainRoute(ctx, s)
	gw := s.GatewayAddress(ctx, "gw")
	s.EventuallyGet(ctx, gw, "/", harness.FromUpstream(up))
	By("deleting the XBackend")
	xb := &unstructured.Unstructured{}
	xb.SetGroupVersionKind(gatewayapi.XBackend)
	xb.SetNamespace(s.Namespace)
	xb.SetName("external")
	Expect(s.Client().Delete(ctx, xb)).To(Succeed())
	By("checking requests get 500")
	s.EventuallyGet(ctx, gw, "/", harness.AnsweredWith(http.StatusInternalServerError))
	By("checking the route reports ResolvedRefs=False with reason BackendNotFound")
	s.EventuallyRouteCondition(ctx, "to-external", "gw", gatewayv1.RouteConditionResolvedRefs, metav1.ConditionFalse, gatewayv1.RouteReasonBackendNotFound)
	By("checking no later request reaches the upstream")
	s.ConsistentlyNotServed(ctx, gw, "/")
}

// plainUpstream starts a cleartext HTTP/1.1 upstream named role and makes
// host resolve to it.
func plainUpstream(ctx context.Context, s *harness.T, role, host string) *harness.Upstream {
	GinkgoHelper()
	up := s.StartUpstream(ctx, harness.UpstreamConfig{Role: role, Hostname: host, TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1}})
	s.Answer(ctx, host, dns.Static(dns.Records(5, "A "+up.Host())))
	return up
}

// twoXBackends starts a plain upstream for each of names a and b, at
// <name>.<hostname>, applies the spec's Gateway, an XBackend of
// xbackend.yaml for each and route, the manifest of the routes to them;
// it returns the two upstreams and the Gateway's address.
func twoXBackends(ctx context.Context, s *harness.T, a, b, route string) (*harness.Upstream, *harness.Upstream, string) {
	GinkgoHelper()
	names := []string{a, b}
	ups := make([]*harness.Upstream, len(names))
	for i, name := range names {
		ups[i] = plainUpstream(ctx, s, name, name+"."+s.Hostname)
	}
	s.ApplyGateway(ctx)
	for i, name := range names {
		s.Apply(ctx, "xbackend.yaml", map[string]string{"Name": name, "Host": name + "." + s.Hostname, "Port": ups[i].Port()})
	}
	s.Apply(ctx, route, nil)
	return ups[0], ups[1], s.GatewayAddress(ctx, "gw")
}

// plainRoute sets up plain-http.yaml: the Gateway, the XBackend "external"
// for the spec's host and the route "to-external", served by the upstream
// it returns.
func plainRoute(ctx context.Context, s *harness.T) *harness.Upstream {
	GinkgoHelper()
	up := plainUpstream(ctx, s, "upstream", s.Hostname)
	s.ApplyGateway(ctx)
	s.Apply(ctx, "plain-http.yaml", map[string]string{"Port": up.Port()})
	return up
}

// crossNamespaceRoute puts the XBackend "external" in a second namespace
// of the spec, served by the upstream it returns, and a route to it in
// the spec's namespace; with a ReferenceGrant in the second namespace
// when grant is set.
func crossNamespaceRoute(ctx context.Context, s *harness.T, grant bool) *harness.Upstream {
	GinkgoHelper()
	other := s.NewNamespace(ctx, s.ShortName+"Backends")
	up := plainUpstream(ctx, s, "other-namespace", s.Hostname)
	vars := map[string]string{"BackendNamespace": other, "Port": up.Port()}
	s.ApplyGateway(ctx)
	s.Apply(ctx, "xbackend.yaml", map[string]string{"Namespace": other, "Name": "external", "Host": s.Hostname, "Port": up.Port()})
	if grant {
		s.Apply(ctx, "reference-grant.yaml", vars)
	}
	s.Apply(ctx, "cross-namespace.yaml", vars)
	return up
}

// expectNotServedBy checks that requests through the spec's Gateway get
// 500 and that up never sees a connection.
func expectNotServedBy(ctx context.Context, s *harness.T, up *harness.Upstream) {
	GinkgoHelper()
	gw := s.GatewayAddress(ctx, "gw")
	s.EventuallyGet(ctx, gw, "/", harness.AnsweredWith(http.StatusInternalServerError))
	s.ConsistentlyNotServed(ctx, gw, "/")
	Expect(up.Log(ctx)).To(BeEmpty(), "the implementation connected to upstream %s at %s", up.Name(), up.Addr)
}

// observeRouting records, without a verdict, the ResolvedRefs condition
// of route and which of the upstreams (if any) serves requests through
// the spec's Gateway.
func observeRouting(ctx context.Context, s *harness.T, name, route string, ups ...*harness.Upstream) {
	var cond *metav1.Condition
	s.Measure(ctx, s.Timeouts().Status, func(g Gomega) {
		cond = s.RouteCondition(ctx, route, "gw", gatewayv1.RouteConditionResolvedRefs)
		g.Expect(cond).NotTo(BeNil())
	})
	status := fmt.Sprintf("no ResolvedRefs condition for the route's generation within %s", s.Timeouts().Status)
	if cond != nil {
		status = fmt.Sprintf("ResolvedRefs=%s (%s)", cond.Status, cond.Reason)
	}
	gw := s.GatewayAddress(ctx, "gw")
	var last *harness.Response
	var lastErr error
	served := s.Measure(ctx, s.Timeouts().Traffic, func(g Gomega) {
		last, lastErr = s.Get(ctx, gw, "/")
		g.Expect(lastErr).NotTo(HaveOccurred())
		g.Expect(last.Status).To(Equal(http.StatusOK))
		g.Expect(last.Upstream).NotTo(BeNil())
	})
	traffic := fmt.Sprintf("not served within %s (last: %s)", s.Timeouts().Traffic, harness.Outcome(last, lastErr, ups...))
	if served {
		by := last.Upstream.Role
		for _, up := range ups {
			if up.Token == last.Upstream.Token {
				by = up.Name()
			}
		}
		traffic = fmt.Sprintf("served by %s on port %s", by, portOfAddr(last.Upstream.LocalAddr))
	}
	s.Observe(name, status+"; "+traffic)
}

// portOfAddr is the port of a host:port, or the whole string if it has none.
func portOfAddr(hostport string) string {
	if _, port, err := net.SplitHostPort(hostport); err == nil {
		return port
	}
	return hostport
}

// crossNamespaceRefNotPermitted is the run function of
// RoutingCrossNamespaceRefNotPermitted: refuses an XBackend of another
// namespace without a ReferenceGrant (RefNotPermitted) and sends it nothing.
func crossNamespaceRefNotPermitted(ctx context.Context, s *harness.T) {
	up := crossNamespaceRoute(ctx, s, false)
	By("checking the route reports ResolvedRefs=False with reason RefNotPermitted")
	s.EventuallyRouteCondition(ctx, "to-other-namespace", "gw", gatewayv1.RouteConditionResolvedRefs, metav1.ConditionFalse, gatewayv1.RouteReasonRefNotPermitted)
	By("checking requests get 500 and none reaches the other namespace's upstream")
	expectNotServedBy(ctx, s, up)
}

// crossNamespaceWithGrantRefused is the run function of
// RoutingCrossNamespaceWithGrantRefused: refuses an XBackend of another
// namespace even with a ReferenceGrant: Backends live in the route's
// namespace.
func crossNamespaceWithGrantRefused(ctx context.Context, s *harness.T) {
	up := crossNamespaceRoute(ctx, s, true)
	By("checking the route reports ResolvedRefs=False although a ReferenceGrant allows the reference")
	s.EventuallyRouteCondition(ctx, "to-other-namespace", "gw", gatewayv1.RouteConditionResolvedRefs, metav1.ConditionFalse, "")
	By("checking requests get 500 and none reaches the other namespace's upstream")
	expectNotServedBy(ctx, s, up)
}

// backendRefPortAbsent is the run function of RoutingBackendRefPortAbsent:
// serves a backendRef without a port on the XBackend's port.
func backendRefPortAbsent(ctx context.Context, s *harness.T) {
	up := plainUpstream(ctx, s, "xbackend-port", s.Hostname)
	s.ApplyGateway(ctx)
	s.Apply(ctx, "xbackend.yaml", map[string]string{"Name": "external", "Host": s.Hostname, "Port": up.Port()})
	s.Apply(ctx, "port-absent.yaml", nil)
	By("sending a request through the Gateway")
	r := s.EventuallyGet(ctx, s.GatewayAddress(ctx, "gw"), "/", harness.FromUpstream(up))
	By("checking the connection arrived on the XBackend's port, the only port the reference names")
	Expect(r.Upstream.LocalAddr).To(HaveSuffix(":"+up.ListenPort()), "the connection arrived on another port")
}

// backendRefPortMismatch is the run function of
// RoutingBackendRefPortMismatch: observes which port serves a backendRef
// whose port differs from the XBackend's.
func backendRefPortMismatch(ctx context.Context, s *harness.T) {
	up := plainUpstream(ctx, s, "xbackend-port", s.Hostname)
	refPort := s.StartUpstream(ctx, harness.UpstreamConfig{Role: "backendref-port", TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1},
		Addr: up.Host() + ":0"})
	s.ApplyGateway(ctx)
	s.Apply(ctx, "xbackend.yaml", map[string]string{"Name": "external", "Host": s.Hostname, "Port": up.Port()})
	s.Apply(ctx, "port-mismatch.yaml", map[string]string{"RefPort": refPort.Port()})
	observeRouting(ctx, s, "backendRef port differs from the XBackend's", "to-external", up, refPort)
}

// urlRewriteHostnameWins is the run function of
// RoutingURLRewriteHostnameWins: sends the URLRewrite filter's hostname as
// the Host header upstream.
func urlRewriteHostnameWins(ctx context.Context, s *harness.T) {
	up := plainUpstream(ctx, s, "upstream", s.Hostname)
	rewrite := "rewritten." + s.Hostname
	s.ApplyGateway(ctx)
	s.Apply(ctx, "url-rewrite-hostname.yaml", map[string]string{"Port": up.Port(), "RewriteHost": rewrite})
	By("sending a request through the Gateway")
	r := s.EventuallyGet(ctx, s.GatewayAddress(ctx, "gw"), "/rewrite", harness.FromUpstream(up))
	By("checking the upstream saw the filter's hostname, not the client's Host or the externalHostname")
	Expect(harness.HostOnly(r.Upstream.Host)).To(Equal(rewrite), "the upstream saw Host %q; the route's URLRewrite hostname is %q", r.Upstream.Host, rewrite)
}

// unresolvable is a route, in manifest file, whose backendRef cannot be
// resolved, the reason the route must report, and the path it serves.
type unresolvable struct {
	shortName, file, route, path string
	reason                       gatewayv1.RouteConditionReason
}

// run applies the manifest and expects ResolvedRefs=False with u.reason
// and a 500 for the route's requests.
func (u unresolvable) run(ctx context.Context, s *harness.T) {
	s.ApplyGateway(ctx)
	s.Apply(ctx, u.file, nil)
	By("checking the route reports ResolvedRefs=False with reason " + string(u.reason))
	s.EventuallyRouteCondition(ctx, u.route, "gw", gatewayv1.RouteConditionResolvedRefs, metav1.ConditionFalse, u.reason)
	By("checking requests through the Gateway get 500")
	s.EventuallyGet(ctx, s.GatewayAddress(ctx, "gw"), u.path, harness.AnsweredWith(http.StatusInternalServerError))
}
