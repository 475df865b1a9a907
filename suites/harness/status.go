package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

// XBackend reads XBackend name of the spec's namespace.
func (s *T) XBackend(ctx context.Context, g Gomega, name string) *unstructured.Unstructured {
	xb := &unstructured.Unstructured{}
	xb.SetGroupVersionKind(gatewayapi.XBackend)
	g.Expect(s.h.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, xb)).To(Succeed())
	return xb
}

// Ancestors reads the status entries of XBackend name, with its generation.
func (s *T) Ancestors(ctx context.Context, g Gomega, name string) ([]gatewayapi.Ancestor, int64) {
	xb := s.XBackend(ctx, g, name)
	list, err := s.h.Schema.Ancestors(xb)
	g.Expect(err).NotTo(HaveOccurred(), "XBackend %s/%s has a malformed %s", s.Namespace, name, s.h.Schema.StatusField())
	return list, xb.GetGeneration()
}

// Accepted is the Accepted condition controller wrote on an XBackend's
// entries for Gateway gateway of namespace, or nil. An entry for an
// ancestor that is no Gateway (see [IsGatewayRef]) is never the Gateway's.
func Accepted(entries []gatewayapi.Ancestor, controller gatewayv1.GatewayController, namespace, gateway string) *metav1.Condition {
	for _, a := range GatewayEntries(entries, controller) {
		ns := namespace
		if a.Ref.Namespace != nil {
			ns = string(*a.Ref.Namespace)
		}
		if string(a.Ref.Name) == gateway && ns == namespace {
			return meta.FindStatusCondition(a.Conditions, string(gatewayv1.PolicyConditionAccepted))
		}
	}
	return nil
}

// OfController lists the entries of controller.
func OfController(entries []gatewayapi.Ancestor, controller gatewayv1.GatewayController) []gatewayapi.Ancestor {
	var out []gatewayapi.Ancestor
	for _, a := range entries {
		if a.ControllerName == controller {
			out = append(out, a)
		}
	}
	return out
}

// GatewayNames names the Gateways of entries, sorted; entries for other
// ancestors (see [IsGatewayRef]) name no Gateway.
func GatewayNames(entries []gatewayapi.Ancestor) []string {
	var names []string
	for _, a := range entries {
		if IsGatewayRef(a.Ref) {
			names = append(names, string(a.Ref.Name))
		}
	}
	slices.Sort(names)
	return names
}

// EventuallyAccepted waits until the implementation's Accepted condition
// on XBackend name for the spec's Gateway gateway is computed for the
// XBackend's current generation and, unless want is empty, has status
// want; it returns that condition.
func (s *T) EventuallyAccepted(ctx context.Context, name, gateway string, want metav1.ConditionStatus) metav1.Condition {
	GinkgoHelper()
	controller := s.h.Env.ControllerName
	var cond metav1.Condition
	var seen []gatewayapi.Ancestor
	Eventually(func(g Gomega) {
		entries, generation := s.Ancestors(ctx, g, name)
		seen = entries
		c := Accepted(entries, controller, s.Namespace, gateway)
		g.Expect(c).To(Present("the Accepted condition"), "XBackend %s/%s has no Accepted condition from %s for Gateway %s", s.Namespace, name, controller, gateway)
		if want != "" {
			g.Expect(c.Status).To(Equal(want), "Accepted is %s (%s: %s), want %s", c.Status, c.Reason, c.Message, want)
		}
		g.Expect(c.ObservedGeneration).To(Equal(generation), "Accepted was computed for generation %d, the XBackend is at %d", c.ObservedGeneration, generation)
		cond = *c
	}).WithContext(ctx).WithTimeout(s.h.Timeouts.Status).WithPolling(s.h.Timeouts.Poll).
		Should(Succeed(), func() string { return s.h.Schema.StatusField() + " seen last: " + DescribeAncestors(seen) })
	s.Note("XBackend %s Accepted=%s reason %s: %s", name, cond.Status, cond.Reason, cond.Message)
	return cond
}

// Refused reports whether the implementation says, for the spec's Gateway
// gateway, that XBackend name is not Accepted at its current generation.
func (s *T) Refused(ctx context.Context, g Gomega, name, gateway string) bool {
	entries, generation := s.Ancestors(ctx, g, name)
	c := Accepted(entries, s.h.Env.ControllerName, s.Namespace, gateway)
	return c != nil && c.Status == metav1.ConditionFalse && c.ObservedGeneration == generation
}

// AcceptedSummary is the Accepted condition on XBackend name for gateway,
// in one line, for messages.
func (s *T) AcceptedSummary(ctx context.Context, name, gateway string) string {
	xb := &unstructured.Unstructured{}
	xb.SetGroupVersionKind(gatewayapi.XBackend)
	if err := s.h.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, xb); err != nil {
		return "cannot read the XBackend: " + err.Error()
	}
	entries, err := s.h.Schema.Ancestors(xb)
	if err != nil {
		return err.Error()
	}
	c := Accepted(entries, s.h.Env.ControllerName, s.Namespace, gateway)
	if c == nil {
		return "no Accepted condition"
	}
	return fmt.Sprintf("%s (%s: %s)", c.Status, c.Reason, c.Message)
}

// EventuallyAncestors waits until the implementation's entries for
// Gateways on XBackend name are exactly one per Gateway named, each
// Accepted=True at the current generation; its entries for other
// ancestors (a mesh) are no concern of these specs.
func (s *T) EventuallyAncestors(ctx context.Context, name string, gateways ...string) {
	GinkgoHelper()
	for _, gw := range gateways {
		s.EventuallyAccepted(ctx, name, gw, metav1.ConditionTrue)
	}
	controller := s.h.Env.ControllerName
	var seen []gatewayapi.Ancestor
	Eventually(func(g Gomega) {
		entries, _ := s.Ancestors(ctx, g, name)
		seen = entries
		g.Expect(GatewayNames(OfController(entries, controller))).To(Equal(gateways),
			"want entries of %s for exactly the Gateways %v", controller, gateways)
	}).WithContext(ctx).WithTimeout(s.h.Timeouts.Status).WithPolling(s.h.Timeouts.Poll).
		Should(Succeed(), func() string { return s.h.Schema.StatusField() + " seen last: " + DescribeAncestors(seen) })
}

// AddForeignAncestor writes into XBackend name's status an entry of another
// controller, as a second implementation sharing the cluster would,
// keeping the entries already there (the list is atomic) and guarding the
// write with the resourceVersion read.
func (s *T) AddForeignAncestor(ctx context.Context, name string, entry gatewayapi.Ancestor) {
	GinkgoHelper()
	s.eventuallyOrFault(ctx, s.h.Timeouts.Status, func(g Gomega) {
		xb := s.XBackend(ctx, g, name)
		entries, err := s.h.Schema.Ancestors(xb)
		g.Expect(err).NotTo(HaveOccurred())
		status, err := s.h.Schema.AncestorsPatch(append(entries, entry))
		g.Expect(err).NotTo(HaveOccurred())
		body, err := json.Marshal(map[string]any{"metadata": map[string]any{"resourceVersion": xb.GetResourceVersion()}, "status": status})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(s.h.Client.Status().Patch(ctx, xb, client.RawPatch(types.MergePatchType, body))).To(Succeed())
	}, "could not write another controller's entry into XBackend %s/%s %s", s.Namespace, name, s.h.Schema.StatusField())
	s.Note("wrote a %s entry of controller %s for %s into XBackend %s", s.h.Schema.StatusField(), entry.ControllerName, entry.Ref.Name, name)
}

// PatchXBackend applies a JSON merge patch to the spec of XBackend name and
// returns the generation the API server gave the result. A merge patch
// works for every shape a manifest can write.
func (s *T) PatchXBackend(ctx context.Context, name string, specPatch map[string]any) int64 {
	GinkgoHelper()
	body, err := json.Marshal(map[string]any{"spec": specPatch})
	Expect(err).NotTo(HaveOccurred())
	xb := &unstructured.Unstructured{}
	xb.SetGroupVersionKind(gatewayapi.XBackend)
	xb.SetNamespace(s.Namespace)
	xb.SetName(name)
	Expect(s.h.Client.Patch(ctx, xb, client.RawPatch(types.MergePatchType, body))).
		To(Succeed(), "patch XBackend %s/%s with %s", s.Namespace, name, body)
	s.Note("patched XBackend %s with %s: generation %d", name, body, xb.GetGeneration())
	return xb.GetGeneration()
}

// SetXBackendPort changes the port of XBackend name and returns the new
// generation.
func (s *T) SetXBackendPort(ctx context.Context, name string, port int) int64 {
	GinkgoHelper()
	return s.PatchXBackend(ctx, name, map[string]any{"port": s.h.Schema.PortPatch(port)})
}

// RouteCondition reads condType of HTTPRoute route for Gateway gateway, or
// nil when there is none computed for the route's current generation.
func (s *T) RouteCondition(ctx context.Context, route, gateway string, condType gatewayv1.RouteConditionType) *metav1.Condition {
	r := &gatewayv1.HTTPRoute{}
	if err := s.h.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: route}, r); err != nil {
		return nil
	}
	for _, p := range r.Status.Parents {
		if string(p.ParentRef.Name) != gateway {
			continue
		}
		if c := meta.FindStatusCondition(p.Conditions, string(condType)); c != nil && c.ObservedGeneration == r.Generation {
			return c
		}
	}
	return nil
}

// EventuallyRouteCondition waits until HTTPRoute route reports condType
// with status (and reason, when not empty) for the spec's Gateway gateway,
// computed for the route's current generation.
func (s *T) EventuallyRouteCondition(ctx context.Context, route, gateway string, condType gatewayv1.RouteConditionType, status metav1.ConditionStatus, reason gatewayv1.RouteConditionReason) metav1.Condition {
	GinkgoHelper()
	var cond metav1.Condition
	var seen []gatewayv1.RouteParentStatus
	Eventually(func(g Gomega) {
		r := &gatewayv1.HTTPRoute{}
		g.Expect(s.h.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: route}, r)).To(Succeed())
		seen = r.Status.Parents
		var found *metav1.Condition
		for _, p := range r.Status.Parents {
			if string(p.ParentRef.Name) == gateway {
				found = meta.FindStatusCondition(p.Conditions, string(condType))
			}
		}
		g.Expect(found).To(Present("the "+string(condType)+" condition"), "HTTPRoute %s/%s has no %s condition for Gateway %s", s.Namespace, route, condType, gateway)
		g.Expect(found.Status).To(Equal(status), "%s is %s (%s: %s), want %s", condType, found.Status, found.Reason, found.Message, status)
		if reason != "" {
			g.Expect(found.Reason).To(Equal(string(reason)), "%s reason", condType)
		}
		g.Expect(found.ObservedGeneration).To(Equal(r.Generation), "%s was computed for generation %d, the route is at %d", condType, found.ObservedGeneration, r.Generation)
		cond = *found
	}).WithContext(ctx).WithTimeout(s.h.Timeouts.Status).WithPolling(s.h.Timeouts.Poll).
		Should(Succeed(), func() string { return "route status.parents seen last: " + DescribeRouteParents(seen) })
	s.Note("HTTPRoute %s %s=%s reason %s: %s", route, condType, cond.Status, cond.Reason, cond.Message)
	return cond
}

// DeleteRoute deletes HTTPRoute name of the spec's namespace.
func (s *T) DeleteRoute(ctx context.Context, name string) {
	GinkgoHelper()
	r := &gatewayv1.HTTPRoute{}
	r.Namespace, r.Name = s.Namespace, name
	Expect(client.IgnoreNotFound(s.h.Client.Delete(ctx, r))).To(Succeed(), "delete HTTPRoute %s/%s", s.Namespace, name)
	s.Note("deleted HTTPRoute %s", name)
}

// ClusterDomain is the implementation's cluster DNS domain: the one the
// runner configured (--cluster-domain, or the reference gateway's), else
// the one the cluster's CoreDNS serves (internal/coredns reads it once per
// run), or "" when nothing says.
func (s *T) ClusterDomain() string { return s.h.Env.ClusterDomain }

// EventuallyReacted waits until the implementation has visibly acted on
// the route to an XBackend it must not serve: a probe got a 5xx from the
// Gateway, or the XBackend is reported not Accepted, or the route not
// ResolvedRefs. A TCP accept somewhere is no reaction; a served request
// fails at once. Only then does a "never" window prove something: before,
// the data plane may simply not be programmed yet.
func (s *T) EventuallyReacted(ctx context.Context, gateway, path, xbackend, route, gw string) {
	GinkgoHelper()
	var last *Response
	var lastErr error
	Eventually(func(g Gomega) {
		r, err := s.Get(ctx, gateway, path)
		last, lastErr = r, err
		if err == nil && StatusOK(r.Status) {
			StopTrying(fmt.Sprintf("a request was served (%v), but the implementation must not route to this XBackend", r)).Now()
		}
		if err == nil && r.Status >= http.StatusInternalServerError {
			return
		}
		refused := s.Refused(ctx, g, xbackend, gw)
		if c := s.RouteCondition(ctx, route, gw, gatewayv1.RouteConditionResolvedRefs); c != nil && c.Status == metav1.ConditionFalse {
			refused = true
		}
		g.Expect(refused).To(BeTrue(), "no 5xx from the Gateway and no refusal in status yet")
	}).WithContext(ctx).WithTimeout(s.h.Timeouts.Traffic).WithPolling(s.h.Timeouts.Poll).Should(Succeed(),
		func() string { return "last response: " + Outcome(last, lastErr) })
}
