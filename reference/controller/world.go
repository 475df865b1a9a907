package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	xv1alpha1 "sigs.k8s.io/gateway-api/apisx/v1alpha1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

// World is a snapshot of the Gateway API objects every decision depends
// on. Reconcilers load it from the manager's cache, so each decision is
// made from one consistent view and the functions below stay pure.
type World struct {
	Controller gatewayv1.GatewayController
	Classes    map[string]*gatewayv1.GatewayClass
	Gateways   map[types.NamespacedName]*gatewayv1.Gateway
	Routes     []*gatewayv1.HTTPRoute
	XBackends  map[types.NamespacedName]*xbackend.XBackend
	Namespaces map[string]*corev1.Namespace // for allowedRoutes selectors
	Pods       []*corev1.Pod                // for endpointSelectors
}

func loadWorld(ctx context.Context, c client.Reader, controller gatewayv1.GatewayController, schema gatewayapi.Schema) (*World, error) {
	w := &World{
		Controller: controller,
		Classes:    map[string]*gatewayv1.GatewayClass{},
		Gateways:   map[types.NamespacedName]*gatewayv1.Gateway{},
		XBackends:  map[types.NamespacedName]*xbackend.XBackend{},
		Namespaces: map[string]*corev1.Namespace{},
	}
	var classes gatewayv1.GatewayClassList
	var gateways gatewayv1.GatewayList
	var routes gatewayv1.HTTPRouteList
	xbackends := xbackend.List()
	var namespaces corev1.NamespaceList
	var pods corev1.PodList
	for _, l := range []client.ObjectList{&classes, &gateways, &routes, xbackends, &namespaces, &pods} {
		if err := c.List(ctx, l); err != nil {
			return nil, err
		}
	}
	for i := range classes.Items {
		w.Classes[classes.Items[i].Name] = &classes.Items[i]
	}
	for i := range gateways.Items {
		w.Gateways[client.ObjectKeyFromObject(&gateways.Items[i])] = &gateways.Items[i]
	}
	for i := range routes.Items {
		w.Routes = append(w.Routes, &routes.Items[i])
	}
	l4, err := loadL4Routes(ctx, c, schema.AtLeast("v1.7.0"))
	if err != nil {
		return nil, err
	}
	w.Routes = append(w.Routes, l4...)
	for i := range xbackends.Items {
		xb, err := xbackend.Decode(&xbackends.Items[i], schema)
		if err != nil {
			return nil, err
		}
		w.XBackends[xb.Key()] = xb
	}
	for i := range namespaces.Items {
		w.Namespaces[namespaces.Items[i].Name] = &namespaces.Items[i]
	}
	for i := range pods.Items {
		w.Pods = append(w.Pods, &pods.Items[i])
	}
	return w, nil
}

// Ours reports whether gw belongs to a GatewayClass of our controller.
func (w *World) Ours(gw *gatewayv1.Gateway) bool {
	c, ok := w.Classes[string(gw.Spec.GatewayClassName)]
	return ok && c.Spec.ControllerName == w.Controller && gw.DeletionTimestamp == nil
}

// parentGateway is the Gateway of ours that a route's parentRef names.
func (w *World) parentGateway(route *gatewayv1.HTTPRoute, ref gatewayv1.ParentReference) (*gatewayv1.Gateway, bool) {
	key, ok := refGateway(ref, route.Namespace)
	if !ok {
		return nil, false
	}
	gw, ok := w.Gateways[key]
	if !ok || !w.Ours(gw) {
		return nil, false
	}
	return gw, true
}

// Resolution is what a backendRef resolved to: an XBackend, or the typed
// reason it did not.
type Resolution struct {
	XBackend types.NamespacedName
	Reason   gatewayv1.RouteConditionReason // "" when resolved
	Message  string
}

// xbackendGroup is the only backendRef group this gateway routes to. A
// Service backendRef is InvalidKind: the reference gateway implements
// XBackend only, so Services are a kind it does not know.
const xbackendGroup = gatewayv1.Group(xv1alpha1.GroupName)

// Resolve resolves one backendRef of route.
func (w *World) Resolve(route *gatewayv1.HTTPRoute, ref gatewayv1.BackendObjectReference) Resolution {
	group, kind := gatewayv1.Group(""), gatewayv1.Kind("Service")
	if ref.Group != nil {
		group = *ref.Group
	}
	if ref.Kind != nil {
		kind = *ref.Kind
	}
	ns := route.Namespace
	if ref.Namespace != nil {
		ns = string(*ref.Namespace)
	}
	key := types.NamespacedName{Namespace: ns, Name: string(ref.Name)}
	if group != xbackendGroup || kind != "XBackend" {
		return Resolution{XBackend: key, Reason: gatewayv1.RouteReasonInvalidKind,
			Message: fmt.Sprintf("backendRef %s is a %s/%s: this gateway routes only to XBackend (group %s)", ref.Name, group, kind, xbackendGroup)}
	}
	// GEP-4894: a Backend lives in the namespace of the routes that use it,
	// so no ReferenceGrant can open a route to another namespace's XBackend.
	if ns != route.Namespace {
		return Resolution{XBackend: key, Reason: gatewayv1.RouteReasonRefNotPermitted,
			Message: fmt.Sprintf("XBackend %s is in another namespace than HTTPRoute %s/%s: XBackends must be in the route's namespace (GEP-4894), whatever ReferenceGrants say", key, route.Namespace, route.Name)}
	}
	if _, ok := w.XBackends[key]; !ok {
		return Resolution{XBackend: key, Reason: gatewayv1.RouteReasonBackendNotFound,
			Message: fmt.Sprintf("XBackend %s not found: create it or fix the backendRef", key)}
	}
	return Resolution{XBackend: key}
}

// Attachment is how a route's parentRef attaches to a Gateway: the indexes
// of the listeners it binds to, or the typed reason it binds to none.
type Attachment struct {
	Listeners []int
	Reason    gatewayv1.RouteConditionReason // "" when attached
	Message   string
}

// Attach decides which listeners of gw the route attaches to through ref.
func (w *World) Attach(gw *gatewayv1.Gateway, route *gatewayv1.HTTPRoute, ref gatewayv1.ParentReference) Attachment {
	var a Attachment
	if msg := unsupportedFilter(route); msg != "" {
		a.Reason, a.Message = gatewayv1.RouteReasonUnsupportedValue, msg
		return a
	}
	named, allowed := false, false
	for i, l := range gw.Spec.Listeners {
		if ref.SectionName != nil && *ref.SectionName != l.Name || ref.Port != nil && *ref.Port != l.Port {
			continue
		}
		if !listenerServes(l.Protocol, route) {
			continue
		}
		named = true
		if !w.allowsRoute(gw, l, route) {
			continue
		}
		allowed = true
		if len(routeHostnames(l.Hostname, route.Spec.Hostnames)) == 0 {
			continue
		}
		a.Listeners = append(a.Listeners, i)
	}
	switch {
	case len(a.Listeners) > 0:
	case !named:
		a.Reason, a.Message = gatewayv1.RouteReasonNoMatchingParent, "no HTTP listener of the Gateway matches the parentRef's sectionName and port"
	case !allowed:
		a.Reason, a.Message = gatewayv1.RouteReasonNotAllowedByListeners, "the listeners' allowedRoutes do not admit HTTPRoutes from namespace "+route.Namespace
	default:
		a.Reason, a.Message = gatewayv1.RouteReasonNoMatchingListenerHostname, "no route hostname intersects a listener hostname"
	}
	return a
}

func httpProtocol(p gatewayv1.ProtocolType) bool {
	return p == gatewayv1.HTTPProtocolType
}

func (w *World) allowsRoute(gw *gatewayv1.Gateway, l gatewayv1.Listener, route *gatewayv1.HTTPRoute) bool {
	ar := l.AllowedRoutes
	if ar != nil && len(ar.Kinds) > 0 && !slices.ContainsFunc(ar.Kinds, func(k gatewayv1.RouteGroupKind) bool { return isRouteKind(k, routeKind(route)) }) {
		return false
	}
	from := gatewayv1.NamespacesFromSame
	if ar != nil && ar.Namespaces != nil && ar.Namespaces.From != nil {
		from = *ar.Namespaces.From
	}
	switch from {
	case gatewayv1.NamespacesFromAll:
		return true
	case gatewayv1.NamespacesFromSame:
		return route.Namespace == gw.Namespace
	case gatewayv1.NamespacesFromSelector:
		if ar.Namespaces.Selector == nil {
			return false
		}
		sel, err := metav1.LabelSelectorAsSelector(ar.Namespaces.Selector)
		ns, ok := w.Namespaces[route.Namespace]
		return err == nil && ok && sel.Matches(labels.Set(ns.Labels))
	}
	return false
}

func isRouteKind(k gatewayv1.RouteGroupKind, kind string) bool {
	return (k.Group == nil || *k.Group == gatewayv1.GroupName) && string(k.Kind) == kind
}

// routeHostnames is the intersection of a listener hostname and a route's
// hostnames, as the names requests must carry. A nil result with no
// listener hostname and no route hostnames means any host: it is returned as
// [""]; an empty intersection returns nil.
func routeHostnames(listener *gatewayv1.Hostname, route []gatewayv1.Hostname) []string {
	lh := ""
	if listener != nil {
		lh = strings.ToLower(string(*listener))
	}
	if len(route) == 0 {
		return []string{lh}
	}
	var out []string
	for _, h := range route {
		rh := strings.ToLower(string(h))
		switch {
		case lh == "" || hostMatches(lh, rh):
			out = append(out, rh)
		case hostMatches(rh, lh):
			out = append(out, lh)
		}
	}
	return out
}

// hostMatches reports whether host (which may itself be a wildcard) falls
// under pattern: equal, or pattern is *.suffix and host has at least one
// more label before suffix.
func hostMatches(pattern, host string) bool {
	if pattern == host {
		return true
	}
	suffix, ok := strings.CutPrefix(pattern, "*")
	return ok && strings.HasSuffix(host, suffix) && len(host) > len(suffix)
}

// XBackendGateways lists the Gateways of ours that use the XBackend key
// through a route attached to them and a backendRef that resolves to it.
func (w *World) XBackendGateways(key types.NamespacedName) []types.NamespacedName {
	seen := map[types.NamespacedName]bool{}
	var out []types.NamespacedName
	for _, route := range w.Routes {
		if !w.refersTo(route, key) {
			continue
		}
		for _, ref := range route.Spec.ParentRefs {
			gw, ok := w.parentGateway(route, ref)
			if !ok || len(w.Attach(gw, route, ref).Listeners) == 0 {
				continue
			}
			gk := client.ObjectKeyFromObject(gw)
			if !seen[gk] {
				seen[gk] = true
				out = append(out, gk)
			}
		}
	}
	slices.SortFunc(out, func(a, b types.NamespacedName) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// XBackendParentRefs is the status-for-foreign-gateways fault's view of
// XBackendGateways: every existing Gateway a route using the XBackend names
// as a parent, whoever's class it is and whether or not the route attaches.
func (w *World) XBackendParentRefs(key types.NamespacedName) []types.NamespacedName {
	seen := map[types.NamespacedName]bool{}
	var out []types.NamespacedName
	for _, route := range w.Routes {
		if !w.refersTo(route, key) {
			continue
		}
		for _, ref := range route.Spec.ParentRefs {
			gk, ok := refGateway(ref, route.Namespace)
			if _, exists := w.Gateways[gk]; ok && exists && !seen[gk] {
				seen[gk] = true
				out = append(out, gk)
			}
		}
	}
	slices.SortFunc(out, func(a, b types.NamespacedName) int { return strings.Compare(a.String(), b.String()) })
	return out
}

func (w *World) refersTo(route *gatewayv1.HTTPRoute, key types.NamespacedName) bool {
	for _, rule := range route.Spec.Rules {
		for _, br := range rule.BackendRefs {
			if r := w.Resolve(route, br.BackendObjectReference); r.Reason == "" && r.XBackend == key {
				return true
			}
		}
	}
	return false
}

// unsupportedFilter says which filter of route the data plane cannot apply
// (it implements the URLRewrite hostname only), or "".
func unsupportedFilter(route *gatewayv1.HTTPRoute) string {
	for i, rule := range route.Spec.Rules {
		for _, f := range rule.Filters {
			if f.Type != gatewayv1.HTTPRouteFilterURLRewrite || f.URLRewrite == nil || f.URLRewrite.Path != nil {
				return fmt.Sprintf("rules[%d] filter %s is not implemented: the reference gateway applies only the URLRewrite hostname", i, f.Type)
			}
		}
		for j, br := range rule.BackendRefs {
			if len(br.Filters) > 0 {
				return fmt.Sprintf("rules[%d].backendRefs[%d] has filters, which the reference gateway does not implement", i, j)
			}
		}
	}
	return ""
}
