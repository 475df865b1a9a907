package routing

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// foreignController is the controllerName of the other implementation
// whose status entries an implementation must leave alone.
const foreignController = gatewayv1.GatewayController("example.com/xbcheck-other-controller")

// Catalog group B, items 6 and 7: the per-Gateway status entries an
// implementation keeps on an XBackend.
func statusScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("StatusXBackendParentPerGateway", verdict.FeatureResourceBackend),
		Covers:      []dimension.Class{dimension.StatusPerGateway},
		Source:      apitext.StatusEntries,
		Description: "reports one status entry per Gateway, from the GatewayClass's controller, Accepted at the current generation",
		Run:         ancestorPerGateway,
	}, {
		Scenario:    verdict.Must.Scenario("StatusParentPerGatewayOfTwo", verdict.FeatureResourceBackend),
		Covers:      []dimension.Class{dimension.StatusPerGateway, dimension.TopoTwoGateways},
		Source:      apitext.StatusEntries,
		Description: "reports one status entry for each of two Gateways using the XBackend",
		Run:         statusParentPerGatewayOfTwo,
	}, {
		Scenario:    verdict.Must.Scenario("StatusParentRemovedWithRoute", verdict.FeatureResourceBackend),
		Covers:      []dimension.Class{dimension.StatusRemoved},
		Source:      apitext.ControllerEntries,
		Description: "removes a Gateway's status entry when no route of that Gateway uses the XBackend any more",
		Run:         statusParentRemovedWithRoute,
	}, {
		Scenario:    verdict.Must.Scenario("StatusNoEntryForOtherControllersGateway", verdict.FeatureResourceBackend),
		Covers:      []dimension.Class{dimension.TopoForeignGateway},
		Source:      apitext.ControllerEntries,
		Description: "writes no status entry for a Gateway of another controller that a route using the XBackend also names",
		Run:         noEntryForForeignGateway,
	}, {
		Scenario:    verdict.Must.Scenario("StatusForeignParentsKept", verdict.FeatureResourceBackend),
		Covers:      []dimension.Class{dimension.StatusForeignKept},
		Source:      apitext.ControllerEntries,
		Description: "leaves the status entries of other controllers alone",
		Run:         foreignAncestorsKept,
	}}
}

func ancestorPerGateway(ctx context.Context, s *harness.T) {
	up := plainRoute(ctx, s)
	By("waiting until the XBackend is Accepted for the Gateway at its current generation")
	s.EventuallyAccepted(ctx, "external", "gw", metav1.ConditionTrue)
	By("checking the GatewayClass's controller wrote exactly one entry for a Gateway, naming gw (entries for other ancestors, a mesh, are allowed)")
	controller := s.Env().ControllerName
	entries, _ := s.Ancestors(ctx, Default, "external")
	ours := harness.GatewayEntries(entries, controller)
	Expect(ours).To(HaveLen(1), "want one status entry of %s for a Gateway (gw), got %d: %s", controller, len(ours), harness.DescribeAncestors(entries))
	ref := ours[0].Ref
	Expect(string(ref.Name)).To(Equal("gw"), "the entry names %q, not the Gateway gw", ref.Name)
	if ref.Namespace != nil {
		Expect(string(*ref.Namespace)).To(Equal(s.Namespace), "the entry's namespace")
	}
	s.Note("XBackend for upstream %s; %s: %s", up.Addr, s.Harness().Schema.StatusField(), harness.DescribeAncestors(entries))
}

func foreignAncestorsKept(ctx context.Context, s *harness.T) {
	var foreign gatewayapi.Ancestor
	twoGateways(ctx, s, func() {
		By("writing an entry of another controller for Gateway gw before any route uses the XBackend")
		_, generation := s.Ancestors(ctx, Default, "external")
		foreign = gatewayapi.Ancestor{
			ControllerName: foreignController,
			Ref:            gatewayv1.ParentReference{Name: "gw"},
			Conditions: []metav1.Condition{{
				Type: string(gatewayv1.PolicyConditionAccepted), Status: metav1.ConditionTrue,
				Reason: string(gatewayv1.PolicyReasonAccepted), Message: "written by xbcheck playing another controller",
				ObservedGeneration: generation, LastTransitionTime: metav1.Now(),
			}},
		}
		s.AddForeignAncestor(ctx, "external", foreign)
	})
	s.EventuallyAncestors(ctx, "external", "gw", "gw2")
	By("checking the other controller's entry survived the implementation's status writes")
	expectForeign(ctx, s, foreign)
	By("deleting the route of gw2 and checking the other controller's entry survives that too")
	s.DeleteRoute(ctx, "via-gw2")
	s.EventuallyAncestors(ctx, "external", "gw")
	expectForeign(ctx, s, foreign)
}

func noEntryForForeignGateway(ctx context.Context, s *harness.T) {
	up := plainUpstream(ctx, s, "upstream", s.Hostname)
	s.ApplyGateway(ctx)
	s.Apply(ctx, "xbackend.yaml", map[string]string{"Name": "external", "Host": s.Hostname, "Port": up.Port()})
	By("creating Gateway gw-foreign of a GatewayClass of " + string(foreignController) + ", then one route naming gw and gw-foreign")
	s.Apply(ctx, "foreign-gateway.yaml", map[string]string{"ForeignController": string(foreignController)})
	s.Apply(ctx, "via-both.yaml", map[string]string{"Port": up.Port()})
	By("checking the controller's entries for Gateways are exactly one, for gw")
	s.EventuallyAncestors(ctx, "external", "gw")
	By("checking, for the Never window, that no Gateway entry of the controller names gw-foreign")
	controller := s.Env().ControllerName
	var seen []gatewayapi.Ancestor
	Consistently(func(g Gomega) {
		entries, _ := s.Ancestors(ctx, g, "external")
		seen = entries
		g.Expect(harness.GatewayNames(harness.OfController(entries, controller))).To(Equal([]string{"gw"}),
			"%s manages gw only; gw-foreign belongs to %s", controller, foreignController)
	}).WithContext(ctx).WithTimeout(s.Timeouts().Never).WithPolling(s.Timeouts().Poll).
		Should(Succeed(), func() string {
			return s.Harness().Schema.StatusField() + " seen last: " + harness.DescribeAncestors(seen)
		})
}

// twoGateways starts an upstream for the spec's host, creates Gateways gw
// and gw2 and the XBackend "external", runs beforeRoutes, then creates one
// route per Gateway to the XBackend (via-gw, via-gw2).
func twoGateways(ctx context.Context, s *harness.T, beforeRoutes func()) {
	GinkgoHelper()
	up := plainUpstream(ctx, s, "upstream", s.Hostname)
	s.ApplyGateway(ctx)
	s.Apply(ctx, "xbackend.yaml", map[string]string{"Name": "external", "Host": s.Hostname, "Port": up.Port()})
	if beforeRoutes != nil {
		beforeRoutes()
	}
	s.Apply(ctx, "two-gateways.yaml", map[string]string{"Port": up.Port()})
}

// expectForeign checks the other controller's entry is still on XBackend
// "external", as it was written.
func expectForeign(ctx context.Context, s *harness.T, want gatewayapi.Ancestor) {
	GinkgoHelper()
	entries, _ := s.Ancestors(ctx, Default, "external")
	got := harness.OfController(entries, want.ControllerName)
	Expect(got).To(HaveLen(1), "the entry of %s was removed or duplicated; %s: %s", want.ControllerName, s.Harness().Schema.StatusField(), harness.DescribeAncestors(entries))
	Expect(got[0].Ref.Name).To(Equal(want.Ref.Name), "the entry of %s was rewritten", want.ControllerName)
	Expect(got[0].Conditions).To(HaveLen(1), "the conditions of %s's entry were rewritten: %s", want.ControllerName, harness.DescribeAncestors(got))
	Expect(got[0].Conditions[0].Message).To(Equal(want.Conditions[0].Message), "the conditions of %s's entry were rewritten", want.ControllerName)
}

// statusParentPerGatewayOfTwo is the run function of
// StatusParentPerGatewayOfTwo: reports one status entry for each of two
// Gateways using the XBackend.
func statusParentPerGatewayOfTwo(ctx context.Context, s *harness.T) {
	twoGateways(ctx, s, nil)
	By("checking the controller's entries are exactly one for gw and one for gw2")
	s.EventuallyAncestors(ctx, "external", "gw", "gw2")
}

// statusParentRemovedWithRoute is the run function of
// StatusParentRemovedWithRoute: removes a Gateway's status entry when no
// route of that Gateway uses the XBackend any more.
func statusParentRemovedWithRoute(ctx context.Context, s *harness.T) {
	twoGateways(ctx, s, nil)
	s.EventuallyAncestors(ctx, "external", "gw", "gw2")
	By("deleting the route of gw2, so the XBackend is used through gw only")
	s.DeleteRoute(ctx, "via-gw2")
	By("checking the entry for gw2 is removed and the one for gw stays")
	s.EventuallyAncestors(ctx, "external", "gw")
}
