package routing

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// topologyScenarios route to XBackends in other shapes than one route with
// one rule: several rules of one route, and several routes to one
// XBackend.
func topologyScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("RoutingSeveralRulesEachToItsXBackend", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.TopoSeveralRules},
		Description: "sends each rule's requests to that rule's XBackend",
		Source:      apitext.OnTheWire,
		Run:         severalRules,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingTwoRoutesToOneXBackend", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.TopoTwoRoutes},
		Description: "serves the requests of two routes naming one XBackend through it",
		Source:      apitext.OnTheWire,
		Run:         twoRoutes,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingXBackendCreatedAfterRoute", verdict.FeatureExternalHostname),
		Covers:      []dimension.Class{dimension.StatusLateBackend},
		Description: "resolves a backendRef once the XBackend it names is created after the route, and serves through it",
		Source:      apitext.InvalidBackendRef,
		Run:         lateXBackend,
	}}
}

func severalRules(ctx context.Context, s *harness.T) {
	one, two, gw := twoXBackends(ctx, s, "one", "two", "several-rules.yaml")

	By("sending /one through the Gateway: the first rule's XBackend must serve it")
	s.EventuallyGet(ctx, gw, "/one", harness.FromUpstream(one))
	By("sending /two through the Gateway: the second rule's XBackend must serve it")
	s.EventuallyGet(ctx, gw, "/two", harness.FromUpstream(two))
	By("sending /one again: still the first rule's XBackend")
	s.EventuallyGet(ctx, gw, "/one", harness.FromUpstream(one))
}

func twoRoutes(ctx context.Context, s *harness.T) {
	up := plainUpstream(ctx, s, "upstream", s.Hostname)
	s.ApplyGateway(ctx)
	s.Apply(ctx, "xbackend.yaml", map[string]string{"Name": "external", "Host": s.Hostname, "Port": up.Port()})
	s.Apply(ctx, "two-routes.yaml", nil)
	gw := s.GatewayAddress(ctx, "gw")

	By("sending /a, of the first route, through the Gateway")
	s.EventuallyGet(ctx, gw, "/a", harness.FromUpstream(up))
	By("sending /b, of the second route, through the Gateway")
	s.EventuallyGet(ctx, gw, "/b", harness.FromUpstream(up))
}

func lateXBackend(ctx context.Context, s *harness.T) {
	up := plainUpstream(ctx, s, "upstream", s.Hostname)
	s.ApplyGateway(ctx)
	s.Apply(ctx, "late-route.yaml", nil)
	By("checking the route reports ResolvedRefs=False with reason BackendNotFound while the XBackend is missing")
	s.EventuallyRouteCondition(ctx, "to-late", "gw", gatewayv1.RouteConditionResolvedRefs, metav1.ConditionFalse, gatewayv1.RouteReasonBackendNotFound)

	By("creating the XBackend the route names")
	s.Apply(ctx, "xbackend.yaml", map[string]string{"Name": "late", "Host": s.Hostname, "Port": up.Port()})
	By("checking the route reports ResolvedRefs=True")
	s.EventuallyRouteCondition(ctx, "to-late", "gw", gatewayv1.RouteConditionResolvedRefs, metav1.ConditionTrue, "")
	By("checking requests through the Gateway reach the upstream")
	s.EventuallyGet(ctx, s.GatewayAddress(ctx, "gw"), "/late", harness.FromUpstream(up))
}
