package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/reference/xbackend"

	"github.com/xbcheck/xbcheck/reference/faults"
)

func xbRef(ns, name string) gatewayv1.HTTPBackendRef {
	ref := gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{
		Group: ptrTo(xbackendGroup), Kind: ptrTo(gatewayv1.Kind("XBackend")), Name: gatewayv1.ObjectName(name),
	}}}
	if ns != "" {
		ref.Namespace = ptrTo(gatewayv1.Namespace(ns))
	}
	return ref
}

func serviceRef(name string) gatewayv1.HTTPBackendRef {
	return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{
		Name: gatewayv1.ObjectName(name),
	}}}
}

func httpRoute(ns, name string, hostnames []gatewayv1.Hostname, refs ...gatewayv1.HTTPBackendRef) *gatewayv1.HTTPRoute {
	r := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1}}
	r.Spec.ParentRefs = []gatewayv1.ParentReference{{Name: "gw", Namespace: ptrTo(gatewayv1.Namespace("infra"))}}
	r.Spec.Hostnames = hostnames
	r.Spec.Rules = []gatewayv1.HTTPRouteRule{{BackendRefs: refs}}
	return r
}

// testWorld has our Gateway infra/gw (HTTP listener for *.example.test,
// routes from every namespace), another controller's Gateway infra/theirs,
// XBackends app/api and shared/db, and a grant letting app's routes use shared/db.
func testWorld(routes ...*gatewayv1.HTTPRoute) *World {
	all := gatewayv1.NamespacesFromAll
	w := &World{
		Controller: DefaultControllerName,
		Classes: map[string]*gatewayv1.GatewayClass{
			"ours":   {Spec: gatewayv1.GatewayClassSpec{ControllerName: DefaultControllerName}},
			"theirs": {Spec: gatewayv1.GatewayClassSpec{ControllerName: other}},
		},
		Gateways: map[types.NamespacedName]*gatewayv1.Gateway{},
		XBackends: map[types.NamespacedName]*xbackend.XBackend{
			{Namespace: "app", Name: "api"}: {},
			{Namespace: "other", Name: "x"}: {},
		},
		Routes: routes,
	}
	for _, class := range []string{"ours", "theirs"} {
		gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "gw"}}
		if class == "theirs" {
			gw.Name = "theirs"
		}
		gw.Spec.GatewayClassName = gatewayv1.ObjectName(class)
		gw.Spec.Listeners = []gatewayv1.Listener{{
			Name: "http", Port: 80, Protocol: gatewayv1.HTTPProtocolType, Hostname: ptrTo(gatewayv1.Hostname("*.example.test")),
			AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: &all}},
		}}
		w.Gateways[types.NamespacedName{Namespace: "infra", Name: gw.Name}] = gw
	}
	return w
}

func TestResolve(t *testing.T) {
	w := testWorld()
	route := httpRoute("app", "r", nil)
	for _, tc := range []struct {
		name string
		ref  gatewayv1.HTTPBackendRef
		want gatewayv1.RouteConditionReason
	}{
		{"an XBackend in the route's namespace", xbRef("", "api"), ""},
		{"a missing XBackend", xbRef("", "nope"), gatewayv1.RouteReasonBackendNotFound},
		{"a Service (the gateway knows XBackend only)", serviceRef("api"), gatewayv1.RouteReasonInvalidKind},
		{"an unknown kind", func() gatewayv1.HTTPBackendRef {
			r := xbRef("", "api")
			r.Kind = ptrTo(gatewayv1.Kind("Backend"))
			return r
		}(), gatewayv1.RouteReasonInvalidKind},
		// GEP-4894: XBackends live in the route's namespace; no grant opens another.
		{"another namespace", xbRef("other", "x"), gatewayv1.RouteReasonRefNotPermitted},
	} {
		if got := w.Resolve(route, tc.ref.BackendObjectReference); got.Reason != tc.want {
			t.Errorf("%s: reason %q (%s), want %q", tc.name, got.Reason, got.Message, tc.want)
		}
	}
}

func TestAttach(t *testing.T) {
	w := testWorld()
	gw := w.Gateways[types.NamespacedName{Namespace: "infra", Name: "gw"}]
	for _, tc := range []struct {
		name      string
		hostnames []gatewayv1.Hostname
		section   gatewayv1.SectionName
		want      gatewayv1.RouteConditionReason
	}{
		{"no hostnames take the listener's", nil, "", ""},
		{"a hostname under the listener wildcard", []gatewayv1.Hostname{"api.example.test"}, "", ""},
		{"a hostname outside it", []gatewayv1.Hostname{"api.other.test"}, "", gatewayv1.RouteReasonNoMatchingListenerHostname},
		{"an unknown sectionName", nil, "https", gatewayv1.RouteReasonNoMatchingParent},
	} {
		route := httpRoute("app", "r", tc.hostnames, xbRef("", "api"))
		ref := route.Spec.ParentRefs[0]
		if tc.section != "" {
			ref.SectionName = &tc.section
		}
		if got := w.Attach(gw, route, ref); got.Reason != tc.want {
			t.Errorf("%s: reason %q (%s), want %q", tc.name, got.Reason, got.Message, tc.want)
		}
	}
	same := gatewayv1.NamespacesFromSame
	gw.Spec.Listeners[0].AllowedRoutes.Namespaces.From = &same
	if got := w.Attach(gw, httpRoute("app", "r", nil), gatewayv1.ParentReference{Name: "gw"}); got.Reason != gatewayv1.RouteReasonNotAllowedByListeners {
		t.Errorf("allowedRoutes Same from another namespace: reason %q", got.Reason)
	}
}

func TestXBackendGateways(t *testing.T) {
	uses := httpRoute("app", "uses", nil, xbRef("", "api"))
	theirsToo := httpRoute("app", "theirs", nil, xbRef("", "api"))
	theirsToo.Spec.ParentRefs[0].Name = "theirs"
	notPermitted := httpRoute("app", "np", nil, xbRef("other", "x"))
	w := testWorld(uses, theirsToo, notPermitted)
	got := w.XBackendGateways(types.NamespacedName{Namespace: "app", Name: "api"})
	if len(got) != 1 || got[0] != (types.NamespacedName{Namespace: "infra", Name: "gw"}) {
		t.Errorf("app/api is used by %v, want only our Gateway infra/gw", got)
	}
	if got := w.XBackendGateways(types.NamespacedName{Namespace: "other", Name: "x"}); len(got) != 0 {
		t.Errorf("a ref to another namespace made %v parents of other/x", got)
	}
	// The status-for-foreign-gateways fault counts the other controller's Gateway too.
	if got := w.XBackendParentRefs(types.NamespacedName{Namespace: "app", Name: "api"}); len(got) != 2 {
		t.Errorf("status-for-foreign-gateways: app/api has parents %v, want infra/gw and infra/theirs", got)
	}
}

func TestRouteStatus(t *testing.T) {
	route := httpRoute("app", "r", nil, xbRef("", "api"), xbRef("", "missing"))
	w := testWorld(route)
	for _, tc := range []struct {
		faults faults.Set
		want   gatewayv1.RouteConditionReason
	}{
		{nil, gatewayv1.RouteReasonBackendNotFound},
		{faults.Set{faults.WrongReasonOnMissingBackend: true}, gatewayv1.RouteReasonInvalidKind},
	} {
		parents := RouteStatus(w, route, tc.faults)
		if len(parents) != 1 {
			t.Fatalf("%d parents, want 1", len(parents))
		}
		if !isTrue(parents[0].Conditions, gatewayv1.RouteConditionAccepted) {
			t.Errorf("not Accepted: %+v", parents[0].Conditions)
		}
		resolved := parents[0].Conditions[1]
		if resolved.Type != string(gatewayv1.RouteConditionResolvedRefs) || resolved.Status != metav1.ConditionFalse || resolved.Reason != string(tc.want) {
			t.Errorf("faults %v: ResolvedRefs %+v, want False %s", tc.faults, resolved, tc.want)
		}
	}
}
