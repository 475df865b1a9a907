package controller

import (
	"context"
	"regexp"

	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

// Route kinds besides HTTPRoute. A GRPCRoute or TCPRoute enters the World
// as the HTTPRoute that routes the same way (its Kind set to the original
// one), so attachment, backendRef resolution, XBackend status and the
// routing tables treat every kind alike.
const (
	kindHTTPRoute = "HTTPRoute"
	kindGRPCRoute = "GRPCRoute"
	kindTCPRoute  = "TCPRoute"
)

var (
	grpcRouteKind = gatewayv1.RouteGroupKind{Group: ptrTo(gatewayv1.Group(gatewayv1.GroupName)), Kind: kindGRPCRoute}
	tcpRouteKind  = gatewayv1.RouteGroupKind{Group: ptrTo(gatewayv1.Group(gatewayv1.GroupName)), Kind: kindTCPRoute}
)

// routeKind is the kind route came from: HTTPRoute unless it stands for a
// GRPCRoute or TCPRoute.
func routeKind(route *gatewayv1.HTTPRoute) string {
	if route.Kind == kindGRPCRoute || route.Kind == kindTCPRoute {
		return route.Kind
	}
	return kindHTTPRoute
}

// listenerServes reports whether a listener of protocol p takes routes of
// route's kind: HTTPRoute and GRPCRoute on HTTP, TCPRoute on TCP.
func listenerServes(p gatewayv1.ProtocolType, route *gatewayv1.HTTPRoute) bool {
	if routeKind(route) == kindTCPRoute {
		return p == gatewayv1.TCPProtocolType
	}
	return httpProtocol(p)
}

// supportedKinds are the route kinds a listener of protocol p takes.
func supportedKinds(p gatewayv1.ProtocolType) []gatewayv1.RouteGroupKind {
	if p == gatewayv1.TCPProtocolType {
		return []gatewayv1.RouteGroupKind{tcpRouteKind}
	}
	return []gatewayv1.RouteGroupKind{httpRouteKind, grpcRouteKind}
}

// grpcAsHTTP is the HTTPRoute that routes as g does: a gRPC method is the
// HTTP/2 path /service/method, so a method match is a path match (exact,
// a /service/ prefix, or a regular expression), and header matches carry
// over. GRPCRoute filters are not implemented: a rule with one gets a
// filter the route status reports as unsupported.
func grpcAsHTTP(g *gatewayv1.GRPCRoute) *gatewayv1.HTTPRoute {
	r := &gatewayv1.HTTPRoute{ObjectMeta: g.ObjectMeta}
	r.Kind = kindGRPCRoute
	r.Spec.ParentRefs = g.Spec.ParentRefs
	r.Spec.Hostnames = g.Spec.Hostnames
	for _, rule := range g.Spec.Rules {
		var hr gatewayv1.HTTPRouteRule
		for _, m := range rule.Matches {
			hr.Matches = append(hr.Matches, grpcMatch(m))
		}
		for _, br := range rule.BackendRefs {
			hr.BackendRefs = append(hr.BackendRefs, gatewayv1.HTTPBackendRef{BackendRef: br.BackendRef})
		}
		for _, f := range rule.Filters {
			hr.Filters = append(hr.Filters, gatewayv1.HTTPRouteFilter{Type: gatewayv1.HTTPRouteFilterType(f.Type)})
		}
		r.Spec.Rules = append(r.Spec.Rules, hr)
	}
	return r
}

func grpcMatch(m gatewayv1.GRPCRouteMatch) gatewayv1.HTTPRouteMatch {
	var hm gatewayv1.HTTPRouteMatch
	for _, h := range m.Headers {
		typ := gatewayv1.HeaderMatchExact
		if h.Type != nil && *h.Type == gatewayv1.GRPCHeaderMatchRegularExpression {
			typ = gatewayv1.HeaderMatchRegularExpression
		}
		hm.Headers = append(hm.Headers, gatewayv1.HTTPHeaderMatch{Type: &typ, Name: gatewayv1.HTTPHeaderName(h.Name), Value: h.Value})
	}
	mm := m.Method
	if mm == nil || mm.Service == nil && mm.Method == nil {
		return hm
	}
	service, method := "", ""
	if mm.Service != nil {
		service = *mm.Service
	}
	if mm.Method != nil {
		method = *mm.Method
	}
	if mm.Type != nil && *mm.Type == gatewayv1.GRPCMethodMatchRegularExpression {
		path := "/" + orAny(service) + "/" + orAny(method)
		hm.Path = &gatewayv1.HTTPPathMatch{Type: ptrTo(gatewayv1.PathMatchRegularExpression), Value: &path}
		return hm
	}
	switch {
	case method == "":
		path := "/" + service
		hm.Path = &gatewayv1.HTTPPathMatch{Type: ptrTo(gatewayv1.PathMatchPathPrefix), Value: &path}
	case service == "":
		path := "/[^/]+/" + regexp.QuoteMeta(method)
		hm.Path = &gatewayv1.HTTPPathMatch{Type: ptrTo(gatewayv1.PathMatchRegularExpression), Value: &path}
	default:
		path := "/" + service + "/" + method
		hm.Path = &gatewayv1.HTTPPathMatch{Type: ptrTo(gatewayv1.PathMatchExact), Value: &path}
	}
	return hm
}

// orAny is a regular expression part, or one that matches any segment.
func orAny(re string) string {
	if re == "" {
		return "[^/]+"
	}
	return "(?:" + re + ")"
}

func (c *Controllers) setupGRPCRoute(mgr ctrl.Manager) error {
	all := c.enqueueAll(c.allGRPCRoutes)
	return ctrl.NewControllerManagedBy(mgr).Named("grpcroute").
		For(&gatewayv1.GRPCRoute{}).
		Watches(&gatewayv1.GatewayClass{}, all).
		Watches(&gatewayv1.Gateway{}, all).
		Watches(xbackend.Object(), all).
		Complete(reconcile.Func(c.reconcileGRPCRoute))
}

func (c *Controllers) allGRPCRoutes(ctx context.Context) ([]client.Object, error) {
	var l gatewayv1.GRPCRouteList
	err := c.reader.List(ctx, &l)
	out := make([]client.Object, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out, err
}

// reconcileGRPCRoute writes the GRPCRoute's status.parents as an
// HTTPRoute's are written.
func (c *Controllers) reconcileGRPCRoute(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	w, err := c.world(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	var g gatewayv1.GRPCRoute
	if err := c.reader.Get(ctx, req.NamespacedName, &g); err != nil || c.opts.Faults.Has(faults.NoRouteStatus) {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	want := g.DeepCopy()
	want.Status.Parents = RouteParents(g.Status.Parents, c.opts.ControllerName, RouteStatus(w, grpcAsHTTP(&g), c.opts.Faults))
	if equality.Semantic.DeepEqual(g.Status, want.Status) {
		return ctrl.Result{}, nil
	}
	return patched(c.client.Status().Patch(ctx, want, client.MergeFromWithOptions(&g, client.MergeFromWithOptimisticLock{})))
}
