package runner

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/dataplane"
)

// TestValidateDataPlaneFlags: --data-plane-selector is NAMESPACE/LABELS
// for a cluster that runs pods, --allow-data-plane-canaries is for a
// cluster xbcheck did not create; anything else is a one-line usage error.
func TestValidateDataPlaneFlags(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ok := range []Options{
		{Provider: "node", DataPlaneSelector: "envoy-gateway-system/app.kubernetes.io/name=envoy"},
		{Kubeconfig: kubeconfig, AllowDataPlaneCanaries: true, DataPlaneSelector: "gw/app in (envoy,proxy)"},
		{Provider: "kind", AllowDataPlaneCanaries: true},
	} {
		if err := ok.validateDataPlane(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Provider: "node", DataPlaneSelector: "app=envoy"}, "write NAMESPACE/LABEL-SELECTOR"},
		{Options{Provider: "node", DataPlaneSelector: "Envoy_System/app=envoy"}, `namespace "Envoy_System"`},
		{Options{Provider: "node", DataPlaneSelector: "gw/app==="}, "label selector"},
		{Options{DataPlaneSelector: "gw/app=envoy"}, "give --provider node or kind, or --kubeconfig"},
		{Options{Provider: "node", Fakes: FakesLocal, DataPlaneSelector: "gw/app=envoy"}, "without --fakes local"},
		{Options{Provider: "node", AllowDataPlaneCanaries: true}, "give --kubeconfig"},
		{Options{AllowDataPlaneCanaries: true}, "give --kubeconfig"},
	} {
		err := c.opts.validateDataPlane()
		var usage UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: %v, want a one-line usage error saying %q", c.opts, err, c.want)
		}
	}
}

// apiRecorder is an API server that answers every request 404 and keeps
// what was asked.
type apiRecorder struct {
	mu       sync.Mutex
	requests []string
}

func (a *apiRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.requests = append(a.requests, r.Method+" "+r.URL.Path)
	a.mu.Unlock()
	http.NotFound(w, r)
}

func (a *apiRecorder) seen() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.requests...)
}

// TestDataPlaneCanariesNeedConsentOnAForeignCluster: on a cluster xbcheck
// did not create, without --allow-data-plane-canaries, the loopback specs
// skip with a reason naming the flag, and a canary asked on a Gateway's
// loopback never reaches the API server: no pod is read, let alone given
// an ephemeral container. With the flag, the same request goes to the API
// server for the Gateway's pods, so the test can tell the two apart.
func TestDataPlaneCanariesNeedConsentOnAForeignCluster(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		created bool
		allow   bool
		changes bool
	}{
		{"foreign cluster, no consent", false, false, false},
		{"foreign cluster, --allow-data-plane-canaries", false, true, true},
		{"cluster xbcheck created", true, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := &apiRecorder{}
			srv := httptest.NewServer(api)
			defer srv.Close()
			d, err := dns.Start(ctx, dns.Config{Zone: "xbcheck.test.", Addr: "127.0.0.1:0"})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			local, err := control.NewLocal(control.LocalOptions{DNS: d})
			if err != nil {
				t.Fatal(err)
			}
			defer local.Close()
			e := &environment{fakes: local, image: "xbcheck.local/xbcheck:1"}
			cl := &cluster.Cluster{Provider: "existing", Config: &rest.Config{Host: srv.URL}, Created: c.created}
			if err := e.placeDataPlaneCanaries(cl, "run1", Options{AllowDataPlaneCanaries: c.allow}); err != nil {
				t.Fatal(err)
			}
			defer e.stop()
			_, wrapped := e.fakes.(*dataplane.Fakes)
			if wrapped != c.changes || e.Network.LoopbackInPods != c.changes {
				t.Fatalf("canaries in the data plane: %v (LoopbackInPods %v), want %v", wrapped, e.Network.LoopbackInPods, c.changes)
			}
			if !c.changes && !strings.Contains(e.Network.NoLoopback, "give --allow-data-plane-canaries") {
				t.Errorf("skip reason %q does not name --allow-data-plane-canaries", e.Network.NoLoopback)
			}
			if c.changes && e.Network.NoLoopback != "" {
				t.Errorf("loopback specs still skip: %q", e.Network.NoLoopback)
			}
			if !c.changes {
				// What a worker would ask, were the skip not there.
				info, err := e.fakes.StartCanary(ctx, control.CanarySpec{Name: "ns/c", Addrs: []string{"127.0.0.1:0"}, Gateway: "ns/gw"})
				if err == nil {
					_ = e.fakes.StopCanary(ctx, info.Name)
				}
				if got := api.seen(); len(got) > 0 {
					t.Fatalf("without consent the run asked the API server %v", got)
				}
				return
			}
			_, err = e.fakes.StartCanary(ctx, control.CanarySpec{Name: "ns/c", Addrs: []string{"127.0.0.1:0"}, Gateway: "ns/gw"})
			if err == nil || !strings.Contains(err.Error(), "Gateway ns/gw") {
				t.Errorf("a canary on the loopback of a Gateway that does not exist: %v", err)
			}
			if got := api.seen(); len(got) == 0 {
				t.Errorf("with consent the run never asked the API server for the Gateway's pods")
			}
		})
	}
}
