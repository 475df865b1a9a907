package controller

import (
	"net/http"
	"net/url"
	"testing"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// A GRPCRoute method match routes the HTTP/2 paths of those methods only.
func TestGRPCMatchRoutesMethodPaths(t *testing.T) {
	exact, regex := gatewayv1.GRPCMethodMatchExact, gatewayv1.GRPCMethodMatchRegularExpression
	for _, tc := range []struct {
		name       string
		match      gatewayv1.GRPCMethodMatch
		want, miss []string
	}{
		{"service and method", gatewayv1.GRPCMethodMatch{Type: &exact, Service: ptrTo("pkg.Svc"), Method: ptrTo("Get")}, []string{"/pkg.Svc/Get"}, []string{"/pkg.Svc/Put", "/pkg.Svc/GetX"}},
		{"service only", gatewayv1.GRPCMethodMatch{Service: ptrTo("pkg.Svc")}, []string{"/pkg.Svc/Get", "/pkg.Svc/Put"}, []string{"/pkg.Other/Get", "/pkg.SvcX/Get"}},
		{"method only", gatewayv1.GRPCMethodMatch{Method: ptrTo("Get")}, []string{"/a.B/Get", "/c.D/Get"}, []string{"/a.B/Put"}},
		{"regular expressions", gatewayv1.GRPCMethodMatch{Type: &regex, Service: ptrTo(`pkg\..*`), Method: ptrTo("G.t")}, []string{"/pkg.Svc/Get"}, []string{"/other.Svc/Get", "/pkg.Svc/Put"}},
	} {
		cm, err := compileMatch(grpcMatch(gatewayv1.GRPCRouteMatch{Method: &tc.match}))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, p := range tc.want {
			if !cm.matches(&http.Request{Method: http.MethodPost, URL: mustURL(t, p)}) {
				t.Errorf("%s: %s not matched", tc.name, p)
			}
		}
		for _, p := range tc.miss {
			if cm.matches(&http.Request{Method: http.MethodPost, URL: mustURL(t, p)}) {
				t.Errorf("%s: %s matched", tc.name, p)
			}
		}
	}
}

// Routes attach by kind: HTTPRoute and GRPCRoute to HTTP listeners,
// TCPRoute to TCP ones.
func TestListenerServesByKind(t *testing.T) {
	plain, grpc, tcp := &gatewayv1.HTTPRoute{}, grpcAsHTTP(&gatewayv1.GRPCRoute{}), &gatewayv1.HTTPRoute{}
	tcp.Kind = kindTCPRoute
	for _, tc := range []struct {
		route *gatewayv1.HTTPRoute
		p     gatewayv1.ProtocolType
		want  bool
	}{
		{plain, gatewayv1.HTTPProtocolType, true}, {grpc, gatewayv1.HTTPProtocolType, true}, {tcp, gatewayv1.HTTPProtocolType, false},
		{plain, gatewayv1.TCPProtocolType, false}, {grpc, gatewayv1.TCPProtocolType, false}, {tcp, gatewayv1.TCPProtocolType, true},
	} {
		if got := listenerServes(tc.p, tc.route); got != tc.want {
			t.Errorf("%s on a %s listener: %v, want %v", routeKind(tc.route), tc.p, got, tc.want)
		}
	}
}

func mustURL(t *testing.T, path string) *url.URL {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
