package routing

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// unreferencedScenarios: an XBackend no route names is associated with no
// Gateway, whether no route ever named it or the last one is gone.
func unreferencedScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("StatusEntryRemovedWithLastRoute", verdict.FeatureResourceBackend),
		Source:      apitext.StatusEntries,
		Description: "removes its status entry for the Gateway once the only route naming the XBackend is deleted",
		Run:         entryRemovedWithLastRoute,
	}, {
		Scenario:    verdict.Must.Scenario("StatusNoEntryForUnreferencedXBackend", verdict.FeatureResourceBackend),
		Source:      apitext.StatusEntries,
		Description: "writes no status entry for the Gateway on an XBackend that no route names, beside one that a route attached to that Gateway does",
		Run:         noEntryForUnreferenced,
	}}
}

func entryRemovedWithLastRoute(ctx context.Context, s *harness.T) {
	plainRoute(ctx, s)
	s.EventuallyAncestors(ctx, "external", "gw")
	By("deleting to-external, the only route naming the XBackend")
	s.DeleteRoute(ctx, "to-external")
	By("checking the controller's entry for gw is removed")
	s.EventuallyAncestors(ctx, "external")
}

func noEntryForUnreferenced(ctx context.Context, s *harness.T) {
	up := plainUpstream(ctx, s, "upstream", s.Hostname)
	s.ApplyGateway(ctx)
	By("creating the XBackend unused, which no route names, beside external and the route to-external")
	s.Apply(ctx, "xbackend.yaml", map[string]string{"Name": "unused", "Host": s.Hostname, "Port": up.Port()})
	s.Apply(ctx, "plain-http.yaml", map[string]string{"Port": up.Port()})
	By("checking the controller wrote its entry for gw on external, so it has looked at the namespace's XBackends")
	s.EventuallyAncestors(ctx, "external", "gw")
	By("checking, for the Never window, that no Gateway entry of the controller is on unused")
	controller := s.Env().ControllerName
	var seen []gatewayapi.Ancestor
	Consistently(func(g Gomega) {
		entries, _ := s.Ancestors(ctx, g, "unused")
		seen = entries
		g.Expect(harness.GatewayNames(harness.OfController(entries, controller))).To(BeEmpty(),
			"no route names XBackend unused, so it is associated with no Gateway of %s", controller)
	}).WithContext(ctx).WithTimeout(s.Timeouts().Never).WithPolling(s.Timeouts().Poll).
		Should(Succeed(), func() string {
			return s.Harness().Schema.StatusField() + " of unused seen last: " + harness.DescribeAncestors(seen)
		})
}
