package dataplane

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/probe"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

// startPodFakes runs the fakes an ephemeral container runs, on loopback,
// standing in for the pod's: the test's loopback is the pod's.
func startPodFakes(t *testing.T) *podFakes {
	t.Helper()
	s, err := control.Start(t.Context(), control.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &podFakes{pod: "xbcheck-fakes-run/reference-gateway", remote: &control.Remote{URL: s.URL()}, prober: &probe.Client{URL: s.URL() + "/v1/probe"}}
}

// newTestFakes is Fakes over a cluster whose Gateway spec1/gw is served by
// the reference gateway's pod, whose canary container runs already (pf).
func newTestFakes(t *testing.T, pf *podFakes, out *bytes.Buffer) (*Fakes, control.Fakes) {
	t.Helper()
	objs := []runtime.Object{
		service("spec1", "gw-xbgw", "10.96.0.20"),
		slice("spec1", "gw-xbgw", discoveryv1.Endpoint{Addresses: []string{"10.88.0.5"}}),
		pod("xbcheck-fakes-run", "reference-gateway", "10.88.0.5"),
	}
	gw := gateway("spec1", "gw", "10.96.0.20")
	gateways := crfake.NewClientBuilder().WithScheme(gatewayapi.Scheme()).WithObjects(gw).WithStatusSubresource(gw).Build()
	inner := startPodFakes(t).remote // the run's other fakes
	f, err := New(Options{Client: fake.NewClientset(objs...), Gateways: gateways, APIServer: "https://127.0.0.1:6443", HTTP: http.DefaultClient, Image: "xbcheck.local/xbcheck:1", RunID: "run", Progress: out}, inner)
	if err != nil {
		t.Fatal(err)
	}
	f.pods["xbcheck-fakes-run-reference-gateway"] = pf
	return f, inner
}

// TestCanaryOnTheDataPlanesLoopback: a canary asked on a Gateway's
// loopback starts in the canary container of the pod serving it, is proven
// from there (its hit of the proof forgotten), answers with the token
// asked, records what reaches it under the spec's name, and stops there;
// any other canary is the run's other fakes'.
func TestCanaryOnTheDataPlanesLoopback(t *testing.T) {
	ctx := context.Background()
	pf := startPodFakes(t)
	var out bytes.Buffer
	f, inner := newTestFakes(t, pf, &out)
	info, err := f.StartCanary(ctx, control.CanarySpec{Name: "spec1/127.0.0.1", Addrs: []string{"127.0.0.1:0"}, Gateway: "spec1/gw", Token: "tok-1"})
	if err != nil {
		t.Fatal(err)
	}
	if info.Token != "tok-1" || len(info.Addrs) != 1 || info.Addrs[0].Port() == 0 || !strings.Contains(info.Proven, "pod xbcheck-fakes-run/reference-gateway") {
		t.Fatalf("canary info %+v: want token tok-1, one address with a port, proven in the reference gateway's pod", info)
	}
	if hits, err := f.CanaryHits(ctx, info.Name); err != nil || len(hits) != 0 {
		t.Fatalf("hits after the proof: %v, %v; want none", hits, err)
	}
	conn, err := net.Dial("tcp", info.Addrs[0].String())
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	hit, err := f.WaitCanary(ctx, info.Name, func(canary.Hit) bool { return true })
	if err != nil || !strings.HasPrefix(hit.Canary, "spec1/127.0.0.1 (in pod xbcheck-fakes-run/reference-gateway)") {
		t.Errorf("hit %+v, %v: want one named after the spec's canary and its pod", hit, err)
	}
	if sum, err := pf.remote.Summary(ctx); err != nil || len(sum.Canaries) != 1 || sum.Canaries[0].Token != "tok-1" {
		t.Errorf("the pod's fakes run %+v (%v), want the one canary with token tok-1", sum.Canaries, err)
	}
	if sum, err := inner.Summary(ctx); err != nil || len(sum.Canaries) != 0 {
		t.Errorf("the run's other fakes run %+v (%v), want no canary", sum.Canaries, err)
	}
	if err := f.StopCanary(ctx, info.Name); err != nil {
		t.Fatal(err)
	}
	if sum, err := pf.remote.Summary(ctx); err != nil || len(sum.Canaries) != 0 {
		t.Errorf("after StopCanary the pod's fakes run %+v (%v)", sum.Canaries, err)
	}

	// Without a Gateway, the run's other fakes.
	other, err := f.StartCanary(ctx, control.CanarySpec{Name: "spec1/other", Addrs: []string{"127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := inner.Summary(ctx); err != nil || len(sum.Canaries) != 1 || other.Proven != "" {
		t.Errorf("a canary without Gateway: the run's fakes run %+v (%v), proven %q", sum.Canaries, err, other.Proven)
	}
	if err := f.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ephemeral container xbcheck-canary-run stays in pod xbcheck-fakes-run/reference-gateway until the pod is recreated") {
		t.Errorf("Close said %q; want where the container stays", out.String())
	}
}

// TestDataPlaneCanaryRefusals: a canary on a Gateway's loopback must be on
// loopback and name the Gateway as namespace/name; nothing starts otherwise.
func TestDataPlaneCanaryRefusals(t *testing.T) {
	ctx := context.Background()
	pf := startPodFakes(t)
	f, _ := newTestFakes(t, pf, &bytes.Buffer{})
	for _, spec := range []control.CanarySpec{
		{Name: "a", Addrs: []string{"10.88.0.5:80"}, Gateway: "spec1/gw"},
		{Name: "b", Addrs: []string{"127.0.0.1:0"}, Gateway: "gw"},
		{Name: "c", Gateway: "spec1/gw"},
	} {
		_, err := f.StartCanary(ctx, spec)
		var invalid *control.InvalidError
		if !errors.As(err, &invalid) {
			t.Errorf("%+v: %v, want an InvalidError", spec, err)
		}
	}
	if sum, err := pf.remote.Summary(ctx); err != nil || len(sum.Canaries) != 0 {
		t.Errorf("the pod's fakes run %+v (%v), want none", sum.Canaries, err)
	}
}
