package controller

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/reference/dataplane"
)

func pathMatch(typ gatewayv1.PathMatchType, value string) gatewayv1.HTTPRouteMatch {
	return gatewayv1.HTTPRouteMatch{Path: &gatewayv1.HTTPPathMatch{Type: &typ, Value: &value}}
}

// matchRoute is a route whose rules each send to an XBackend named after the rule.
func matchRoute(name string, created time.Time, hostnames []gatewayv1.Hostname, rules map[string]gatewayv1.HTTPRouteMatch) *gatewayv1.HTTPRoute {
	r := httpRoute("app", name, hostnames)
	r.CreationTimestamp = metav1.NewTime(created)
	r.Spec.Rules = nil
	for backend, m := range rules {
		r.Spec.Rules = append(r.Spec.Rules, gatewayv1.HTTPRouteRule{Matches: []gatewayv1.HTTPRouteMatch{m}, BackendRefs: []gatewayv1.HTTPBackendRef{xbRef("", backend)}})
	}
	return r
}

func TestTableMatch(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	withHeader := pathMatch(gatewayv1.PathMatchPathPrefix, "/api")
	withHeader.Headers = []gatewayv1.HTTPHeaderMatch{{Name: "x-canary", Value: "yes"}}
	get := gatewayv1.HTTPMethodGet
	withMethod := pathMatch(gatewayv1.PathMatchPathPrefix, "/api")
	withMethod.Method = &get
	routes := []*gatewayv1.HTTPRoute{
		matchRoute("paths", t0, nil, map[string]gatewayv1.HTTPRouteMatch{
			"root":     pathMatch(gatewayv1.PathMatchPathPrefix, "/"),
			"api":      pathMatch(gatewayv1.PathMatchPathPrefix, "/api"),
			"api-v1":   pathMatch(gatewayv1.PathMatchPathPrefix, "/api/v1/"),
			"exact":    pathMatch(gatewayv1.PathMatchExact, "/api/v1"),
			"canary":   withHeader,
			"get-only": withMethod,
		}),
		matchRoute("exact-host", t0.Add(time.Hour), []gatewayv1.Hostname{"shop.example.test"}, map[string]gatewayv1.HTTPRouteMatch{
			"shop": pathMatch(gatewayv1.PathMatchPathPrefix, "/"),
		}),
		matchRoute("newer", t0.Add(time.Hour), nil, map[string]gatewayv1.HTTPRouteMatch{
			"newer-root": pathMatch(gatewayv1.PathMatchPathPrefix, "/"),
		}),
	}
	w := testWorld(routes...)
	table := &Table{}
	for _, r := range routes {
		table.addRoute(w, r, ptrTo(gatewayv1.Hostname("*.example.test")))
	}
	for _, tc := range []struct {
		name, method, host, path string
		header                   http.Header
		want                     string // the XBackend; "" for no match
	}{
		{"prefix /", "POST", "a.example.test", "/other", nil, "root"},
		{"the older route wins a tie", "POST", "a.example.test", "/", nil, "root"},
		{"prefix is element-wise", "POST", "a.example.test", "/apix", nil, "root"},
		{"prefix /api", "POST", "a.example.test", "/api", nil, "api"},
		{"prefix /api with a trailing path", "POST", "a.example.test", "/api/x", nil, "api"},
		{"the longest prefix wins", "POST", "a.example.test", "/api/v1/users", nil, "api-v1"},
		{"exact beats prefix", "POST", "a.example.test", "/api/v1", nil, "exact"},
		{"a method match beats a header count", "GET", "a.example.test", "/api/x", http.Header{"X-Canary": {"yes"}}, "get-only"},
		{"a header match", "POST", "a.example.test", "/api/x", http.Header{"X-Canary": {"yes"}}, "canary"},
		{"a header mismatch", "POST", "a.example.test", "/api/x", http.Header{"X-Canary": {"no"}}, "api"},
		{"an exact hostname beats the wildcard", "POST", "shop.example.test:8080", "/api", nil, "shop"},
		{"a host outside the listener", "POST", "a.other.test", "/", nil, ""},
		{"the wildcard needs a label", "POST", "example.test", "/", nil, ""},
	} {
		r := httptest.NewRequest(tc.method, "http://"+tc.host+tc.path, nil)
		r.Header = tc.header
		if r.Header == nil {
			r.Header = http.Header{}
		}
		rule, ok := table.match(r)
		got := ""
		if ok {
			got = rule.targets[0].xbackend.Name
		}
		if got != tc.want {
			t.Errorf("%s: %s %s%s went to %q, want %q", tc.name, tc.method, tc.host, tc.path, got, tc.want)
		}
	}
}

func TestTableWeights(t *testing.T) {
	heavy, light, none := xbRef("", "heavy"), xbRef("", "light"), xbRef("", "none")
	heavy.Weight, light.Weight, none.Weight = ptrTo(int32(3)), ptrTo(int32(1)), ptrTo(int32(0))
	route := httpRoute("app", "split", nil, heavy, light, none)
	table := &Table{}
	table.addRoute(testWorld(route), route, nil)
	counts := map[string]int{}
	rule := table.rules[0]
	for range 4000 {
		tg, ok := rule.pick(false)
		if !ok {
			t.Fatal("no pick")
		}
		counts[tg.xbackend.Name]++
	}
	if counts["none"] != 0 {
		t.Errorf("a weight-0 backendRef got %d requests", counts["none"])
	}
	// 3:1 expects 3000 and 1000; the bounds are many standard deviations wide.
	if counts["heavy"] < 2700 || counts["heavy"] > 3300 {
		t.Errorf("weights 3:1 gave %v", counts)
	}
	// The ignore-weights fault sends everything to the first backendRef.
	for range 100 {
		if tg, _ := rule.pick(true); tg.xbackend.Name != "heavy" {
			t.Fatalf("ignore-weights picked %s, want always the first backendRef", tg.xbackend.Name)
		}
	}
	// The flatten-weights fault gives every positive weight 1: 1:1.
	flat := &Table{flatWeights: true}
	flat.addRoute(testWorld(route), route, nil)
	if r := flat.rules[0]; r.total != 2 || r.targets[0].weight != 1 || r.targets[1].weight != 1 {
		t.Errorf("flatten-weights: total %d, weights %d and %d; want 2, 1 and 1", r.total, r.targets[0].weight, r.targets[1].weight)
	}
}

func TestTablePortFromRoute(t *testing.T) {
	withPort, without := xbRef("", "api"), xbRef("", "api")
	withPort.Port = ptrTo(gatewayv1.PortNumber(8443))
	route := httpRoute("app", "r", nil, withPort, without)
	table := &Table{}
	table.addRoute(testWorld(route), route, nil)
	targets := table.rules[0].targets
	if targets[0].refPort != 8443 || targets[1].refPort != 0 {
		t.Fatalf("backendRef ports %d and %d, want 8443 and 0 (absent)", targets[0].refPort, targets[1].refPort)
	}
	if targets[0].fallbackPort() != 8443 || targets[1].fallbackPort() != 80 {
		t.Errorf("port-from-route dials %d and %d, want the backendRef's 8443, else 80", targets[0].fallbackPort(), targets[1].fallbackPort())
	}
}

func TestBackendsKeepTransportOnRefusal(t *testing.T) {
	key := types.NamespacedName{Namespace: "app", Name: "api"}
	good := dataplane.Backend{Name: "app/api", Hostname: "api.example.test", Port: 443}
	refused := &Refusal{Reason: ReasonInvalid, Message: "hostname is an IP literal"}
	for _, keep := range []bool{false, true} {
		backends := NewBackends(dataplane.Options{Resolver: dataplane.DNS{Server: "127.0.0.1:53"}})
		backends.keepOnRefusal = keep
		if err := backends.update(key, "v1", good, nil); err != nil {
			t.Fatal(err)
		}
		if err := backends.update(key, "v2", good, refused); err == nil {
			t.Errorf("keep-transport-on-refusal=%v: the refusal was not reported", keep)
		}
		_, err := backends.proxy(key, "", 0)
		if served := err == nil; served != keep {
			t.Errorf("keep-transport-on-refusal=%v: a proxy after the refusal: %v", keep, err)
		}
	}
}

func TestTableAnswers500ForRefsItCannotServe(t *testing.T) {
	backends := NewBackends(dataplane.Options{})
	refused := types.NamespacedName{Namespace: "app", Name: "api"}
	if err := backends.update(refused, "v1", dataplane.Backend{}, &Refusal{Reason: ReasonInvalid, Message: "IP literal"}); err == nil {
		t.Fatal("a refused XBackend got a transport")
	}
	for name, ref := range map[string]gatewayv1.HTTPBackendRef{
		"a Service ref":                    serviceRef("svc"),
		"a missing XBackend":               xbRef("", "missing"),
		"an XBackend in another namespace": xbRef("other", "x"),
		"an XBackend that is not Accepted": xbRef("", "api"),
	} {
		route := httpRoute("app", "r", nil, ref)
		table := &Table{backends: backends}
		table.addRoute(testWorld(route), route, nil)
		rec := httptest.NewRecorder()
		table.ServeHTTP(rec, httptest.NewRequest("GET", "http://a.example.test/", nil))
		if rec.Code != http.StatusInternalServerError {
			t.Errorf("%s: got %d, want 500", name, rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	(&Table{backends: backends}).ServeHTTP(rec, httptest.NewRequest("GET", "http://a.example.test/", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("no rule: got %d, want 404", rec.Code)
	}
}
