package controller

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/reference/faults"
)

func (c *Controllers) setupGateway(mgr ctrl.Manager) error {
	all := c.enqueueAll(c.allGateways)
	return c.watchTCPRoutes(ctrl.NewControllerManagedBy(mgr).Named("gateway").
		For(&gatewayv1.Gateway{}).
		Watches(&gatewayv1.GatewayClass{}, all).
		Watches(&gatewayv1.HTTPRoute{}, all).
		Watches(&gatewayv1.GRPCRoute{}, all).
		Watches(&corev1.Namespace{}, all), all).
		Complete(reconcile.Func(c.reconcileGateway))
}

var httpRouteKind = gatewayv1.RouteGroupKind{Group: ptrTo(gatewayv1.Group(gatewayv1.GroupName)), Kind: "HTTPRoute"}

func ptrTo[T any](v T) *T { return &v }

// reconcileGateway gives the Gateway its address, binds a server per
// listener port there with the routing table of the routes attached to it,
// and reports all of it in status.
func (c *Controllers) reconcileGateway(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	w, err := c.world(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	key := req.NamespacedName
	gw, ok := w.Gateways[key]
	if !ok || !w.Ours(gw) {
		c.listeners.Remove(key)
		return ctrl.Result{}, c.frontend.Close(ctx, c.client, key)
	}
	exposed, err := c.frontend.Open(ctx, c.client, gw)
	if err != nil && !errors.Is(err, ErrNoAddress) {
		return ctrl.Result{}, err
	}
	assigned, addr := err == nil, exposed.Addr
	tables, attached := c.gatewayTables(w, gw, exposed.Bind)
	failed := map[netip.AddrPort]error{}
	if assigned {
		failed = c.listeners.Program(key, tables)
	} else {
		c.listeners.Program(key, nil)
	}

	want := gw.DeepCopy()
	want.Status.Listeners = nil
	valid, programmed := 0, 0
	for i, l := range gw.Spec.Listeners {
		st := listenerStatus(gw, i, attached[i], assigned, failed[exposed.Bind[l.Port]])
		want.Status.Listeners = append(want.Status.Listeners, st)
		if isTrue(st.Conditions, gatewayv1.ListenerConditionAccepted) {
			valid++
		}
		if isTrue(st.Conditions, gatewayv1.ListenerConditionProgrammed) {
			programmed++
		}
	}
	accepted := condition(gatewayv1.GatewayConditionAccepted, true, gatewayv1.GatewayReasonAccepted, "accepted by the xbcheck reference gateway", gw.Generation)
	if valid < len(gw.Spec.Listeners) {
		accepted = condition(gatewayv1.GatewayConditionAccepted, valid > 0, gatewayv1.GatewayReasonListenersNotValid,
			fmt.Sprintf("%d of %d listeners are not valid: see status.listeners", len(gw.Spec.Listeners)-valid, len(gw.Spec.Listeners)), gw.Generation)
	}
	var prog metav1.Condition
	switch {
	case !assigned:
		prog = condition(gatewayv1.GatewayConditionProgrammed, false, gatewayv1.GatewayReasonAddressNotAssigned, ErrNoAddress.Error(), gw.Generation)
	case programmed == 0 || programmed < valid:
		prog = condition(gatewayv1.GatewayConditionProgrammed, false, gatewayv1.GatewayReasonInvalid,
			"not every valid listener could be bound: see status.listeners", gw.Generation)
	default:
		prog = condition(gatewayv1.GatewayConditionProgrammed, true, gatewayv1.GatewayReasonProgrammed,
			"listening on "+addr.String(), gw.Generation)
	}
	want.Status.Conditions = setConditions(gw.Status.Conditions, accepted, prog)
	want.Status.Addresses = nil
	if assigned && !c.opts.Faults.Has(faults.NoGatewayAddress) {
		want.Status.Addresses = []gatewayv1.GatewayStatusAddress{{Type: ptrTo(gatewayv1.IPAddressType), Value: addr.String()}}
	}
	if equality.Semantic.DeepEqual(gw.Status, want.Status) {
		return ctrl.Result{}, nil
	}
	return patched(c.client.Status().Patch(ctx, want, client.MergeFromWithOptions(gw, client.MergeFromWithOptimisticLock{})))
}

// statusAddress is the address an earlier run reported, so a restart keeps it.
func statusAddress(gw *gatewayv1.Gateway) netip.Addr {
	for _, a := range gw.Status.Addresses {
		if addr, err := netip.ParseAddr(a.Value); err == nil {
			return addr
		}
	}
	return netip.Addr{}
}

// gatewayTables builds one routing table per listener port, keyed by
// where the data plane listens for it (bind), and counts the routes
// attached to each listener.
func (c *Controllers) gatewayTables(w *World, gw *gatewayv1.Gateway, bind map[gatewayv1.PortNumber]netip.AddrPort) (map[netip.AddrPort]*Table, map[int]int32) {
	tables := map[netip.AddrPort]*Table{}
	attached := map[int]int32{}
	for _, l := range gw.Spec.Listeners {
		if httpProtocol(l.Protocol) || l.Protocol == gatewayv1.TCPProtocolType {
			tables[bind[l.Port]] = &Table{backends: c.backends, stream: l.Protocol == gatewayv1.TCPProtocolType,
				firstBackendOnly: c.opts.Faults.Has(faults.IgnoreWeights), flatWeights: c.opts.Faults.Has(faults.FlattenWeights),
				portFromRoute: c.opts.Faults.Has(faults.PortFromRoute)}
		}
	}
	gk := client.ObjectKeyFromObject(gw)
	for _, route := range w.Routes {
		bound := map[int]bool{}
		for _, ref := range route.Spec.ParentRefs {
			if parent, ok := w.parentGateway(route, ref); !ok || client.ObjectKeyFromObject(parent) != gk {
				continue
			}
			for _, i := range w.Attach(gw, route, ref).Listeners {
				bound[i] = true
			}
		}
		for i := range bound {
			l := gw.Spec.Listeners[i]
			attached[i]++
			tables[bind[l.Port]].addRoute(w, route, l.Hostname)
		}
	}
	return tables, attached
}

func listenerStatus(gw *gatewayv1.Gateway, i int, attached int32, assigned bool, bindErr error) gatewayv1.ListenerStatus {
	l := gw.Spec.Listeners[i]
	g := gw.Generation
	var old []metav1.Condition
	for _, s := range gw.Status.Listeners {
		if s.Name == l.Name {
			old = s.Conditions
		}
	}
	st := gatewayv1.ListenerStatus{Name: l.Name, AttachedRoutes: attached, SupportedKinds: []gatewayv1.RouteGroupKind{}}
	resolved := condition(gatewayv1.ListenerConditionResolvedRefs, true, gatewayv1.ListenerReasonResolvedRefs, "", g)
	conflicted := condition(gatewayv1.ListenerConditionConflicted, false, gatewayv1.ListenerReasonNoConflicts, "", g)
	var accepted, programmed metav1.Condition
	switch {
	case !httpProtocol(l.Protocol) && l.Protocol != gatewayv1.TCPProtocolType:
		accepted = condition(gatewayv1.ListenerConditionAccepted, false, gatewayv1.ListenerReasonUnsupportedProtocol,
			fmt.Sprintf("protocol %s is not supported by the reference gateway: use HTTP or TCP", l.Protocol), g)
		programmed = condition(gatewayv1.ListenerConditionProgrammed, false, gatewayv1.ListenerReasonInvalid, "the listener is not accepted", g)
	case !assigned:
		st.SupportedKinds = supportedKinds(l.Protocol)
		accepted = condition(gatewayv1.ListenerConditionAccepted, true, gatewayv1.ListenerReasonAccepted, "", g)
		programmed = condition(gatewayv1.ListenerConditionProgrammed, false, gatewayv1.ListenerReasonPending, "the Gateway has no address yet", g)
	case bindErr != nil:
		st.SupportedKinds = supportedKinds(l.Protocol)
		accepted = condition(gatewayv1.ListenerConditionAccepted, false, gatewayv1.ListenerReasonPortUnavailable, bindErr.Error()+": choose a free port", g)
		programmed = condition(gatewayv1.ListenerConditionProgrammed, false, gatewayv1.ListenerReasonInvalid, bindErr.Error(), g)
	default:
		st.SupportedKinds = supportedKinds(l.Protocol)
		accepted = condition(gatewayv1.ListenerConditionAccepted, true, gatewayv1.ListenerReasonAccepted, "", g)
		programmed = condition(gatewayv1.ListenerConditionProgrammed, true, gatewayv1.ListenerReasonProgrammed, "", g)
	}
	st.Conditions = setConditions(old, accepted, programmed, resolved, conflicted)
	return st
}

func isTrue[T ~string](conds []metav1.Condition, typ T) bool {
	for _, c := range conds {
		if c.Type == string(typ) {
			return c.Status == metav1.ConditionTrue
		}
	}
	return false
}
