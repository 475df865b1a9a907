package routing

import (
	"context"
	"net/http"

	. "github.com/onsi/ginkgo/v2"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// matchScenarios reach an XBackend through the parts of a route and a
// Gateway that pick which requests it gets: a header match, a wildcard
// hostname, and a route of another namespace on a Gateway that admits it.
func matchScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("RoutingHeaderMatchSelectsXBackend", verdict.FeatureExternalHostname),
		Description: "sends the requests an Exact header match selects to that rule's XBackend, and the others to the catch-all rule's",
		Source:      apitext.HeaderMatch,
		Run:         headerMatch,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingQueryParamMatchSelectsXBackend", verdict.FeatureHTTPRouteQueryParamMatching),
		Description: "sends the requests an Exact query parameter match selects to that rule's XBackend, and those whose value only resembles it to the catch-all rule's",
		Source:      apitext.QueryParamMatch,
		Run:         queryParamMatch,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingWildcardHostnameSelectsXBackend", verdict.FeatureExternalHostname),
		Description: "serves requests for a name under a route's wildcard hostname, one label or two below it, through its XBackend",
		Source:      apitext.WildcardHostname,
		Run:         wildcardHostname,
	}, {
		Scenario:    verdict.Must.Scenario("RoutingRouteFromOtherNamespace", verdict.FeatureExternalHostname),
		Description: "serves a route of another namespace, on a Gateway whose listener admits routes from all namespaces, through the XBackend of the route's namespace",
		Source:      apitext.RoutesFromAll,
		Run:         routeFromOtherNamespace,
	}}
}

// ruleHeader is the header the first rule of header-match.yaml matches.
const ruleHeader = "x-xbcheck-rule"

func headerMatch(ctx context.Context, s *harness.T) {
	one, two, gw := twoXBackends(ctx, s, "one", "two", "header-match.yaml")

	By("sending a request with " + ruleHeader + ": one: the header-matching rule's XBackend must serve it")
	s.EventuallyGetWith(ctx, gw, "/", http.Header{ruleHeader: {"one"}}, harness.FromUpstream(one))
	By("sending a request without the header: only the catch-all rule matches it")
	s.EventuallyGet(ctx, gw, "/", harness.FromUpstream(two))
	By("sending a request with " + ruleHeader + ": other, a value the match does not name: the catch-all rule's XBackend")
	s.EventuallyGetWith(ctx, gw, "/", http.Header{ruleHeader: {"other"}}, harness.FromUpstream(two))
}

// queryValue is the value the first rule of query-match.yaml matches
// exactly, and lookalikes a regular expression of it, anchored or not,
// would also match.
const (
	queryValue     = "v1.0"
	queryLookalike = "v1x0"
	queryLonger    = "v1.0.1"
)

func queryParamMatch(ctx context.Context, s *harness.T) {
	one, two, gw := twoXBackends(ctx, s, "one", "two", "query-match.yaml")

	By("sending /?variant=" + queryValue + ": the query-matching rule's XBackend must serve it")
	s.EventuallyGet(ctx, gw, "/?variant="+queryValue, harness.FromUpstream(one))
	for _, other := range []string{queryLookalike, queryLonger} {
		By("sending /?variant=" + other + ", which is not exactly " + queryValue + ": only the catch-all rule matches it")
		s.EventuallyGet(ctx, gw, "/?variant="+other, harness.FromUpstream(two))
	}
}

func wildcardHostname(ctx context.Context, s *harness.T) {
	wildcard := "wild." + s.Hostname // as wildcard-hostname.yaml writes it
	up := plainUpstream(ctx, s, "upstream", s.Hostname)
	s.ApplyGateway(ctx)
	s.Apply(ctx, "xbackend.yaml", map[string]string{"Name": "external", "Host": s.Hostname, "Port": up.Port()})
	s.Apply(ctx, "wildcard-hostname.yaml", nil)
	gw := s.GatewayAddress(ctx, "gw")

	for _, host := range []string{"test." + wildcard, "foo.test." + wildcard} {
		By("sending a request for " + host + ", which *." + wildcard + " matches")
		s.EventuallyGetWith(ctx, gw, "/", http.Header{"Host": {host}}, harness.FromUpstream(up))
	}
}

func routeFromOtherNamespace(ctx context.Context, s *harness.T) {
	other := s.NewNamespace(ctx, s.ShortName+"Routes")
	up := plainUpstream(ctx, s, "upstream", s.Hostname)
	s.Apply(ctx, "gateway-from-all.yaml", nil)
	s.Apply(ctx, "xbackend.yaml", map[string]string{"Namespace": other, "Name": "external", "Host": s.Hostname, "Port": up.Port()})
	s.Apply(ctx, "route-other-namespace.yaml", map[string]string{"Namespace": other, "GatewayNamespace": s.Namespace})

	By("sending a request through the Gateway: the route of namespace " + other + " must serve it")
	s.EventuallyGet(ctx, s.GatewayAddress(ctx, "gw"), "/", harness.FromUpstream(up))
}
