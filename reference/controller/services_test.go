package controller

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// serviceClient is a fake API server that gives every Service it creates
// a ClusterIP, as a real one does.
func serviceClient(t *testing.T) client.Client {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, gatewayv1.Install} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, k client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if svc, ok := obj.(*corev1.Service); ok {
				svc.Spec.ClusterIP = "10.96.7.7"
			}
			return k.Create(ctx, obj, opts...)
		},
	}).Build()
}

func gatewayWithPorts(ports ...gatewayv1.PortNumber) *gatewayv1.Gateway {
	gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: "spec", UID: "uid-1"}}
	for i, p := range ports {
		gw.Spec.Listeners = append(gw.Spec.Listeners, gatewayv1.Listener{Name: gatewayv1.SectionName("l" + string(rune('a'+i))), Port: p, Protocol: gatewayv1.HTTPProtocolType})
	}
	return gw
}

func TestServiceFrontendsExposeAGatewayThroughItsOwnService(t *testing.T) {
	ctx := t.Context()
	k := serviceClient(t)
	s := &ServiceFrontends{Pod: netip.MustParseAddr("10.88.0.9")}
	gw := gatewayWithPorts(80, 8080, 80)
	e, err := s.Open(ctx, k, gw)
	if err != nil {
		t.Fatal(err)
	}
	if e.Addr != netip.MustParseAddr("10.96.7.7") || len(e.Bind) != 2 || e.Bind[80] == e.Bind[8080] || e.Bind[80].Port() < firstPodPort {
		t.Fatalf("exposure %+v; want the ClusterIP and two pod ports of the pod range", e)
	}
	var svc corev1.Service
	if err := k.Get(ctx, client.ObjectKey{Namespace: "spec", Name: "gw-xbgw"}, &svc); err != nil {
		t.Fatal(err)
	}
	if svc.Spec.Selector != nil || len(svc.Spec.Ports) != 2 || len(svc.OwnerReferences) != 1 || svc.OwnerReferences[0].UID != gw.UID {
		t.Errorf("Service %+v; want two ports, no selector, owned by the Gateway", svc)
	}
	var slice discoveryv1.EndpointSlice
	if err := k.Get(ctx, client.ObjectKey{Namespace: "spec", Name: "gw-xbgw"}, &slice); err != nil {
		t.Fatal(err)
	}
	if slice.Labels[discoveryv1.LabelServiceName] != "gw-xbgw" || len(validation.IsValidLabelValue(slice.Labels[discoveryv1.LabelManagedBy])) > 0 ||
		len(slice.Endpoints) != 1 || slice.Endpoints[0].Addresses[0] != "10.88.0.9" || len(slice.Ports) != 2 {
		t.Errorf("EndpointSlice %+v; want the pod's address behind the Service's two ports, with a valid manager label", slice)
	}
	for _, p := range slice.Ports {
		want := e.Bind[gatewayv1.PortNumber(mustAtoi(t, strings.TrimPrefix(*p.Name, "listener-")))].Port()
		if uint16(*p.Port) != want {
			t.Errorf("EndpointSlice port %s is %d, want the pod port %d", *p.Name, *p.Port, want)
		}
	}
	again, err := s.Open(ctx, k, gw)
	if err != nil || again.Bind[80] != e.Bind[80] || again.Bind[8080] != e.Bind[8080] {
		t.Errorf("second Open %+v (%v); want the same pod ports", again, err)
	}
	if a, ok := s.Lookup(client.ObjectKeyFromObject(gw)); !ok || a != e.Addr {
		t.Errorf("Lookup = %s, %v", a, ok)
	}
	if err := s.Close(ctx, k, client.ObjectKeyFromObject(gw)); err != nil {
		t.Fatal(err)
	}
	if err := k.Get(ctx, client.ObjectKey{Namespace: "spec", Name: "gw-xbgw"}, &svc); client.IgnoreNotFound(err) != nil || err == nil {
		t.Errorf("Service after Close: %v; want it gone", err)
	}
	if _, ok := s.Lookup(client.ObjectKeyFromObject(gw)); ok {
		t.Error("Lookup after Close still finds the Gateway")
	}
}

func TestTwoGatewaysGetDistinctPodPorts(t *testing.T) {
	k := serviceClient(t)
	s := &ServiceFrontends{Pod: netip.MustParseAddr("10.88.0.9")}
	a, err := s.Open(t.Context(), k, gatewayWithPorts(80))
	if err != nil {
		t.Fatal(err)
	}
	other := gatewayWithPorts(80)
	other.Name = "other"
	b, err := s.Open(t.Context(), k, other)
	if err != nil {
		t.Fatal(err)
	}
	if a.Bind[80] == b.Bind[80] {
		t.Errorf("two Gateways listening on port 80 share the pod port %s", a.Bind[80])
	}
}

func TestFrontendNameIsAValidServiceName(t *testing.T) {
	for _, gw := range []string{"gw", strings.Repeat("a", 70), "1gw.with.dots"} {
		name := frontendName(gw)
		if len(name) > 63 || strings.ContainsAny(name, ".") || name[0] < 'a' || name[0] > 'z' {
			t.Errorf("frontendName(%q) = %q, not a Service name", gw, name)
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("%q is not a number", s)
		}
		n = n*10 + int(r-'0')
	}
	return n
}
