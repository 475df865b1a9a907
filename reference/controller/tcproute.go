package controller

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

// tcpRouteGVK is TCPRoute v1, served by Gateway API v1.7.0's experimental
// CRD (v1.6.3's Go types have v1alpha2 only), so it is read unstructured.
var tcpRouteGVK = schema.GroupVersionKind{Group: gatewayv1.GroupName, Version: "v1", Kind: kindTCPRoute}

// tcpRoutes reports whether the cluster serves TCPRoute v1 next to the
// XBackend the controllers read: Gateway API v1.7.0 on.
func (c *Controllers) tcpRoutes() bool { return c.opts.Schema.AtLeast("v1.7.0") }

func tcpRouteObject() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(tcpRouteGVK)
	return u
}

func tcpRouteList() *unstructured.UnstructuredList {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(tcpRouteGVK.GroupVersion().WithKind(kindTCPRoute + "List"))
	return l
}

// tcpRoute is the part of a TCPRoute the reference gateway reads.
type tcpRoute struct {
	ParentRefs []gatewayv1.ParentReference `json:"parentRefs,omitempty"`
	Rules      []struct {
		BackendRefs []gatewayv1.BackendRef `json:"backendRefs,omitempty"`
	} `json:"rules,omitempty"`
}

// tcpAsHTTP is the HTTPRoute that routes as TCPRoute u does: every rule
// without matches, its backendRefs as they are.
func tcpAsHTTP(u *unstructured.Unstructured) (*gatewayv1.HTTPRoute, error) {
	raw, _, _ := unstructured.NestedMap(u.Object, "spec")
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var spec tcpRoute
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("TCPRoute %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	r := &gatewayv1.HTTPRoute{}
	r.Name, r.Namespace, r.Generation = u.GetName(), u.GetNamespace(), u.GetGeneration()
	r.CreationTimestamp, r.UID = u.GetCreationTimestamp(), u.GetUID()
	r.Kind = kindTCPRoute
	r.Spec.ParentRefs = spec.ParentRefs
	for _, rule := range spec.Rules {
		var hr gatewayv1.HTTPRouteRule
		for _, br := range rule.BackendRefs {
			hr.BackendRefs = append(hr.BackendRefs, gatewayv1.HTTPBackendRef{BackendRef: br})
		}
		r.Spec.Rules = append(r.Spec.Rules, hr)
	}
	return r, nil
}

// loadL4Routes lists the GRPCRoutes, and the TCPRoutes where the cluster
// serves them, as the HTTPRoutes that route the same way.
func loadL4Routes(ctx context.Context, c client.Reader, tcp bool) ([]*gatewayv1.HTTPRoute, error) {
	var grpc gatewayv1.GRPCRouteList
	if err := c.List(ctx, &grpc); err != nil {
		return nil, err
	}
	var out []*gatewayv1.HTTPRoute
	for i := range grpc.Items {
		out = append(out, grpcAsHTTP(&grpc.Items[i]))
	}
	if !tcp {
		return out, nil
	}
	l := tcpRouteList()
	if err := c.List(ctx, l); err != nil {
		return nil, err
	}
	for i := range l.Items {
		r, err := tcpAsHTTP(&l.Items[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (c *Controllers) setupTCPRoute(mgr ctrl.Manager) error {
	if !c.tcpRoutes() {
		return nil
	}
	all := c.enqueueAll(c.allTCPRoutes)
	return ctrl.NewControllerManagedBy(mgr).Named("tcproute").
		For(tcpRouteObject()).
		Watches(&gatewayv1.GatewayClass{}, all).
		Watches(&gatewayv1.Gateway{}, all).
		Watches(xbackend.Object(), all).
		Complete(reconcile.Func(c.reconcileTCPRoute))
}

func (c *Controllers) allTCPRoutes(ctx context.Context) ([]client.Object, error) {
	l := tcpRouteList()
	err := c.reader.List(ctx, l)
	out := make([]client.Object, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out, err
}

// reconcileTCPRoute writes the TCPRoute's status.parents as an
// HTTPRoute's are written.
func (c *Controllers) reconcileTCPRoute(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	w, err := c.world(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	u := tcpRouteObject()
	if err := c.reader.Get(ctx, req.NamespacedName, u); err != nil || c.opts.Faults.Has(faults.NoRouteStatus) {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	route, err := tcpAsHTTP(u)
	if err != nil {
		return ctrl.Result{}, err
	}
	var have gatewayv1.RouteStatus
	if raw, ok, _ := unstructured.NestedMap(u.Object, "status"); ok {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &have); err != nil {
			return ctrl.Result{}, err
		}
	}
	want := RouteParents(have.Parents, c.opts.ControllerName, RouteStatus(w, route, c.opts.Faults))
	if equality.Semantic.DeepEqual(have.Parents, want) {
		return ctrl.Result{}, nil
	}
	parents, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&gatewayv1.RouteStatus{Parents: want})
	if err != nil {
		return ctrl.Result{}, err
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": u.GetResourceVersion()},
		"status":   map[string]any{"parents": parents["parents"]},
	})
	if err != nil {
		return ctrl.Result{}, err
	}
	return patched(c.client.Status().Patch(ctx, u, client.RawPatch("application/merge-patch+json", patch)))
}

// watchTCPRoutes adds a watch of TCPRoutes to a controller that decides
// from every route, where the cluster serves them.
func (c *Controllers) watchTCPRoutes(b *builder.Builder, all handler.EventHandler) *builder.Builder {
	if !c.tcpRoutes() {
		return b
	}
	return b.Watches(tcpRouteObject(), all)
}
