package suites

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	xv1alpha1 "sigs.k8s.io/gateway-api/apisx/v1alpha1"
)

// foreignController is the controllerName of the other implementation
// whose status.parents entries an implementation must leave alone.
const foreignController = gatewayv1.GatewayController("example.com/xbcheck-other-controller")

// Catalog group B, items 6 and 7: the status.parents an implementation
// keeps on an XBackend.
var _ = Describe("Status", func() {
	It("reports one status.parents entry per Gateway, from the GatewayClass's controller, Accepted at the current generation",
		Scenario{"StatusXBackendParentPerGateway", Must, FeatureResourceBackend}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "StatusXBackendParentPerGateway")
			up := s.plainRoute(ctx)

			By("waiting until the XBackend is Accepted for the Gateway at its current generation")
			s.eventuallyXBackendAccepted(ctx, "external", "gw", metav1.ConditionTrue)
			By("checking the GatewayClass's controller wrote exactly one entry, naming the Gateway as its parentRef")
			controller := controllerName(ctx)
			xb := s.xbackend(ctx, Default, "external")
			ours := ourParents(xb, controller)
			Expect(ours).To(HaveLen(1), "want one status.parents entry of %s (for Gateway gw), got %d: %s", controller, len(ours), describeParents(xb.Status.Ancestors))
			ref := ours[0].AncestorRef
			Expect(string(ref.Name)).To(Equal("gw"), "the entry's parentRef names %q, not the Gateway gw", ref.Name)
			if ref.Group != nil {
				Expect(*ref.Group).To(Equal(gatewayv1.Group(gatewayv1.GroupName)), "parentRef group")
			}
			if ref.Kind != nil {
				Expect(*ref.Kind).To(Equal(gatewayv1.Kind("Gateway")), "parentRef kind")
			}
			if ref.Namespace != nil {
				Expect(string(*ref.Namespace)).To(Equal(s.namespace), "parentRef namespace")
			}
			s.evidence.note("XBackend for upstream %s; status.parents: %s", up.Addr(), describeParents(xb.Status.Ancestors))
		})

	It("reports one status.parents entry for each of two Gateways using the XBackend",
		Scenario{"StatusParentPerGatewayOfTwo", Must, FeatureResourceBackend}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "StatusParentPerGatewayOfTwo")
			s.twoGateways(ctx, nil)
			By("checking the controller's entries are exactly one for gw and one for gw2")
			s.eventuallyOurParents(ctx, "gw", "gw2")
		})

	It("removes a Gateway's status.parents entry when no route of that Gateway uses the XBackend any more",
		Scenario{"StatusParentRemovedWithRoute", Must, FeatureResourceBackend}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "StatusParentRemovedWithRoute")
			s.twoGateways(ctx, nil)
			s.eventuallyOurParents(ctx, "gw", "gw2")
			By("deleting the route of gw2, so the XBackend is used through gw only")
			s.deleteRoute(ctx, "via-gw2")
			By("checking the entry for gw2 is removed and the one for gw stays")
			s.eventuallyOurParents(ctx, "gw")
		})

	It("leaves the status.parents entries of other controllers alone",
		Scenario{"StatusForeignParentsKept", Must, FeatureResourceBackend}.Labels(), func(ctx SpecContext) {
			s := newSpec(ctx, "StatusForeignParentsKept")
			var foreign xv1alpha1.BackendAncestorStatus
			s.twoGateways(ctx, func() {
				By("writing an entry of another controller for Gateway gw before any route uses the XBackend")
				xb := s.xbackend(ctx, Default, "external")
				foreign = xv1alpha1.BackendAncestorStatus{
					ControllerName: foreignController,
					AncestorRef:    gatewayv1.ParentReference{Name: "gw"},
					Conditions: []metav1.Condition{{
						Type: string(gatewayv1.PolicyConditionAccepted), Status: metav1.ConditionTrue,
						Reason: string(gatewayv1.PolicyReasonAccepted), Message: "written by xbcheck playing another controller",
						ObservedGeneration: xb.Generation, LastTransitionTime: metav1.Now(),
					}},
				}
				s.addForeignParent(ctx, "external", foreign)
			})
			s.eventuallyOurParents(ctx, "gw", "gw2")
			By("checking the other controller's entry survived the implementation's status writes")
			s.expectForeignParent(ctx, foreign)
			By("deleting the route of gw2 and checking the other controller's entry survives that too")
			s.deleteRoute(ctx, "via-gw2")
			s.eventuallyOurParents(ctx, "gw")
			s.expectForeignParent(ctx, foreign)
		})
})

// twoGateways starts an upstream for the spec's host, creates Gateways gw
// and gw2 and the XBackend "external", runs beforeRoutes, then creates one
// route per Gateway to the XBackend (via-gw, via-gw2).
func (s *spec) twoGateways(ctx context.Context, beforeRoutes func()) {
	up := s.plainUpstream(ctx, "upstream", s.hostname)
	port := portOf(up)
	s.apply(ctx, "common/gateway.yaml", nil)
	s.apply(ctx, "routing/xbackend.yaml", map[string]string{"Name": "external", "Host": s.hostname, "Port": port})
	if beforeRoutes != nil {
		beforeRoutes()
	}
	s.apply(ctx, "routing/two-gateways.yaml", map[string]string{"Port": port})
}

// eventuallyOurParents waits until the implementation's status.parents
// entries on XBackend "external" are exactly one per Gateway named, each
// Accepted=True at the current generation.
func (s *spec) eventuallyOurParents(ctx context.Context, gateways ...string) {
	for _, gw := range gateways {
		s.eventuallyXBackendAccepted(ctx, "external", gw, metav1.ConditionTrue)
	}
	controller := controllerName(ctx)
	var seen []xv1alpha1.BackendAncestorStatus
	EventuallyWithOffset(1, func(g Gomega) {
		xb := s.xbackend(ctx, g, "external")
		seen = xb.Status.Ancestors
		g.Expect(parentNames(ourParents(xb, controller))).To(Equal(gateways),
			"want entries of %s for exactly the Gateways %v", controller, gateways)
	}).WithContext(ctx).WithTimeout(config.Timeouts.Status).WithPolling(config.Timeouts.Poll).
		Should(Succeed(), func() string { return "status.parents seen last: " + describeParents(seen) })
}

// expectForeignParent checks the other controller's entry is still on
// XBackend "external", as it was written.
func (s *spec) expectForeignParent(ctx context.Context, want xv1alpha1.BackendAncestorStatus) {
	xb := s.xbackend(ctx, Default, "external")
	got := ourParents(xb, want.ControllerName)
	ExpectWithOffset(1, got).To(HaveLen(1), "the entry of %s was removed or duplicated; status.parents: %s", want.ControllerName, describeParents(xb.Status.Ancestors))
	ExpectWithOffset(1, got[0].AncestorRef.Name).To(Equal(want.AncestorRef.Name), "the entry of %s was rewritten", want.ControllerName)
	ExpectWithOffset(1, got[0].Conditions).To(HaveLen(1), "the conditions of %s's entry were rewritten: %s", want.ControllerName, describeParents(got))
	ExpectWithOffset(1, got[0].Conditions[0].Message).To(Equal(want.Conditions[0].Message), "the conditions of %s's entry were rewritten", want.ControllerName)
}

// deleteRoute deletes HTTPRoute name of the spec's namespace.
func (s *spec) deleteRoute(ctx context.Context, name string) {
	r := &gatewayv1.HTTPRoute{}
	r.Namespace, r.Name = s.namespace, name
	ExpectWithOffset(1, client.IgnoreNotFound(k8sClient.Delete(ctx, r))).To(Succeed(), "delete HTTPRoute %s/%s", s.namespace, name)
	s.evidence.note("deleted HTTPRoute %s", name)
}
