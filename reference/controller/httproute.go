package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

func (c *Controllers) setupHTTPRoute(mgr ctrl.Manager) error {
	all := c.enqueueAll(c.allRoutes)
	return ctrl.NewControllerManagedBy(mgr).Named("httproute").
		For(&gatewayv1.HTTPRoute{}).
		Watches(&gatewayv1.GatewayClass{}, all).
		Watches(&gatewayv1.Gateway{}, all).
		Watches(xbackend.Object(), all).
		Complete(reconcile.Func(c.reconcileHTTPRoute))
}

// reconcileHTTPRoute writes one status.parents entry per parentRef that
// names a Gateway of ours.
func (c *Controllers) reconcileHTTPRoute(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	w, err := c.world(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	var route *gatewayv1.HTTPRoute
	for _, r := range w.Routes {
		if client.ObjectKeyFromObject(r) == req.NamespacedName && routeKind(r) == kindHTTPRoute {
			route = r
		}
	}
	if route == nil || c.opts.Faults.Has(faults.NoRouteStatus) {
		return ctrl.Result{}, nil
	}
	want := route.DeepCopy()
	want.Status.Parents = RouteParents(route.Status.Parents, c.opts.ControllerName, RouteStatus(w, route, c.opts.Faults))
	if equality.Semantic.DeepEqual(route.Status, want.Status) {
		return ctrl.Result{}, nil
	}
	return patched(c.client.Status().Patch(ctx, want, client.MergeFromWithOptions(route, client.MergeFromWithOptimisticLock{})))
}

// RouteStatus computes our status.parents entries of route: Accepted from
// its attachment to each Gateway of ours, ResolvedRefs from its backendRefs
// (the first failing ref's reason). The wrong-reason-on-missing-backend
// fault reports a missing XBackend as InvalidKind.
func RouteStatus(w *World, route *gatewayv1.HTTPRoute, fs faults.Set) []gatewayv1.RouteParentStatus {
	g := route.Generation
	resolved := condition(gatewayv1.RouteConditionResolvedRefs, true, gatewayv1.RouteReasonResolvedRefs, "every backendRef resolved", g)
findRef:
	for _, rule := range route.Spec.Rules {
		for _, br := range rule.BackendRefs {
			r := w.Resolve(route, br.BackendObjectReference)
			if r.Reason == "" {
				continue
			}
			if r.Reason == gatewayv1.RouteReasonBackendNotFound && fs.Has(faults.WrongReasonOnMissingBackend) {
				r.Reason = gatewayv1.RouteReasonInvalidKind
			}
			resolved = condition(gatewayv1.RouteConditionResolvedRefs, false, r.Reason, r.Message+"; requests to this rule get 500", g)
			break findRef
		}
	}
	var out []gatewayv1.RouteParentStatus
	for _, ref := range route.Spec.ParentRefs {
		gw, ok := w.parentGateway(route, ref)
		if !ok {
			continue
		}
		a := w.Attach(gw, route, ref)
		accepted := condition(gatewayv1.RouteConditionAccepted, true, gatewayv1.RouteReasonAccepted, "accepted", g)
		if a.Reason != "" {
			accepted = condition(gatewayv1.RouteConditionAccepted, false, a.Reason, a.Message, g)
		}
		out = append(out, gatewayv1.RouteParentStatus{
			ParentRef:      ref,
			ControllerName: w.Controller,
			Conditions:     routeConditions([]metav1.Condition{accepted, resolved}, g, fs),
		})
	}
	return out
}
