package suites

import (
	"context"
	"fmt"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	xv1alpha1 "sigs.k8s.io/gateway-api/apisx/v1alpha1"
)

// controllerName is the GatewayClass controllerName of the implementation
// under test, read once per spec that needs it.
func controllerName(ctx context.Context) gatewayv1.GatewayController {
	gc := &gatewayv1.GatewayClass{}
	ExpectWithOffset(2, k8sClient.Get(ctx, client.ObjectKey{Name: config.Environment.GatewayClass}, gc)).To(Succeed())
	return gc.Spec.ControllerName
}

// xbackend reads an XBackend of the spec's namespace.
func (s *spec) xbackend(ctx context.Context, g Gomega, name string) *xv1alpha1.XBackend {
	xb := &xv1alpha1.XBackend{}
	g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, xb)).To(Succeed())
	return xb
}

// xbackendParent returns the status.parents entry our controller wrote for
// the spec's Gateway gateway, or nil.
func xbackendParent(xb *xv1alpha1.XBackend, controller gatewayv1.GatewayController, namespace, gateway string) *xv1alpha1.BackendAncestorStatus {
	for i, p := range xb.Status.Ancestors {
		ns := namespace
		if p.AncestorRef.Namespace != nil {
			ns = string(*p.AncestorRef.Namespace)
		}
		if p.ControllerName == controller && string(p.AncestorRef.Name) == gateway && ns == namespace {
			return &xb.Status.Ancestors[i]
		}
	}
	return nil
}

// eventuallyXBackendAccepted waits until the implementation reports, for
// the spec's Gateway gateway, Accepted with the given status on XBackend
// name at its current generation, and returns that condition.
func (s *spec) eventuallyXBackendAccepted(ctx context.Context, name, gateway string, status metav1.ConditionStatus) metav1.Condition {
	controller := controllerName(ctx)
	var cond metav1.Condition
	var seen []xv1alpha1.BackendAncestorStatus
	EventuallyWithOffset(1, func(g Gomega) {
		xb := s.xbackend(ctx, g, name)
		seen = xb.Status.Ancestors
		p := xbackendParent(xb, controller, s.namespace, gateway)
		g.Expect(p).NotTo(BeNil(), "XBackend %s/%s has no status.parents entry from %s for Gateway %s", s.namespace, name, controller, gateway)
		c := meta.FindStatusCondition(p.Conditions, "Accepted")
		g.Expect(c).NotTo(BeNil(), "the parent entry has no Accepted condition")
		g.Expect(c.Status).To(Equal(status), "Accepted is %s (%s: %s), want %s", c.Status, c.Reason, c.Message, status)
		g.Expect(c.ObservedGeneration).To(Equal(xb.Generation), "Accepted was computed for generation %d, the XBackend is at %d", c.ObservedGeneration, xb.Generation)
		cond = *c
	}).WithContext(ctx).WithTimeout(config.Timeouts.Status).WithPolling(config.Timeouts.Poll).Should(Succeed(), func() string { return fmt.Sprintf("status.parents seen last: %+v", seen) })
	s.evidence.note("XBackend %s Accepted=%s reason %s: %s", name, cond.Status, cond.Reason, cond.Message)
	return cond
}

// eventuallyRouteCondition waits until HTTPRoute route reports condType
// with status (and reason, when not empty) for the spec's Gateway gateway.
func (s *spec) eventuallyRouteCondition(ctx context.Context, route, gateway string, condType gatewayv1.RouteConditionType, status metav1.ConditionStatus, reason gatewayv1.RouteConditionReason) metav1.Condition {
	var cond metav1.Condition
	var seen []gatewayv1.RouteParentStatus
	EventuallyWithOffset(1, func(g Gomega) {
		r := &gatewayv1.HTTPRoute{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: route}, r)).To(Succeed())
		seen = r.Status.Parents
		var found *metav1.Condition
		for _, p := range r.Status.Parents {
			if string(p.ParentRef.Name) == gateway {
				found = meta.FindStatusCondition(p.Conditions, string(condType))
			}
		}
		g.Expect(found).NotTo(BeNil(), "HTTPRoute %s/%s has no %s condition for Gateway %s", s.namespace, route, condType, gateway)
		g.Expect(found.Status).To(Equal(status), "%s is %s (%s: %s), want %s", condType, found.Status, found.Reason, found.Message, status)
		if reason != "" {
			g.Expect(found.Reason).To(Equal(string(reason)), "%s reason", condType)
		}
		g.Expect(found.ObservedGeneration).To(Equal(r.Generation), "%s was computed for generation %d, the route is at %d", condType, found.ObservedGeneration, r.Generation)
		cond = *found
	}).WithContext(ctx).WithTimeout(config.Timeouts.Status).WithPolling(config.Timeouts.Poll).Should(Succeed(), func() string { return fmt.Sprintf("route status.parents seen last: %+v", seen) })
	s.evidence.note("HTTPRoute %s %s=%s reason %s: %s", route, condType, cond.Status, cond.Reason, cond.Message)
	return cond
}
