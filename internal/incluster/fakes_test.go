package incluster

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/probe"
)

// The test's cluster: the "pod" and the canary Service's ClusterIP are
// loopback addresses of this host, and kubeProxy plays kube-proxy by
// reading the Services the Fakes made.
var (
	testPod     = netip.MustParseAddr("127.0.0.1")
	testService = netip.MustParseAddr("127.0.0.3")
)

// kubeProxy sends a probe where the cluster's Services would: an address
// of a Service's externalIPs or its ClusterIP, at one of its ports, leads
// to the pod at the port's targetPort; the pod's own address leads to
// itself; anything else is refused, as an unprogrammed address would be.
type kubeProxy struct {
	services corev1client.ServiceInterface
	// programmed false leaves every Service unprogrammed.
	programmed bool
}

func (k *kubeProxy) Get(ctx context.Context, req probe.Request) (probe.Result, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return probe.Result{}, err
	}
	host, port := u.Hostname(), u.Port()
	target := ""
	if host == testPod.String() {
		target = net.JoinHostPort(host, port)
	}
	list, err := k.services.List(ctx, metav1.ListOptions{})
	if err != nil {
		return probe.Result{}, err
	}
	for _, svc := range list.Items {
		if !k.programmed || (!slices.Contains(svc.Spec.ExternalIPs, host) && svc.Spec.ClusterIP != host) {
			continue
		}
		for _, p := range svc.Spec.Ports {
			if strconv.Itoa(int(p.Port)) == port {
				target = net.JoinHostPort(testPod.String(), p.TargetPort.String())
			}
		}
	}
	if target == "" {
		return probe.Result{Error: "connection refused"}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+target+"/", nil)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(hr)
	if err != nil {
		return probe.Result{Error: err.Error()}, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return probe.Result{Status: resp.StatusCode, Body: body}, nil
}

// newTestFakes is Fakes over a Local on loopback, with the canary
// Service in a fake clientset.
func newTestFakes(t *testing.T, local control.Fakes) (*Fakes, corev1client.ServiceInterface, *kubeProxy) {
	t.Helper()
	d, err := dns.Start(t.Context(), dns.Config{Zone: "xbcheck.test.", Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	pod, err := control.NewLocal(control.LocalOptions{DNS: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pod.Close() })
	services := fake.NewClientset().CoreV1().Services("fakes")
	placeholder := canaryPlaceholderService()
	placeholder.Spec.ClusterIP = testService.String()
	if _, err := services.Create(t.Context(), placeholder, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	proxy := &kubeProxy{services: services, programmed: true}
	f := &Fakes{
		remote: pod, local: local, prober: proxy, services: services, selector: podLabels(),
		pod: testPod, service: testService, internet: control.Internet{Prefix: netip.MustParsePrefix(DefaultInternet)},
		timeout: 2 * time.Second, upstreams: map[string]advertised{}, canaries: map[string]placed{},
	}
	return f, services, proxy
}

func TestUpstreamIsAdvertisedInTheSimulatedInternet(t *testing.T) {
	ctx := t.Context()
	f, services, proxy := newTestFakes(t, nil)
	up, err := f.StartUpstream(ctx, control.UpstreamSpec{Role: "ns/api"})
	if err != nil {
		t.Fatal(err)
	}
	if !netip.MustParsePrefix(DefaultInternet).Contains(up.Addr.Addr()) || up.Addr.Port() != firstAdvertisedPort || up.Listen.Addr() != testPod {
		t.Errorf("upstream at %s listening at %s; want an address of %s at port %d, listening on the pod %s", up.Addr, up.Listen, DefaultInternet, firstAdvertisedPort, testPod)
	}
	svc := onlyUpstreamService(t, services)
	if !slices.Equal(svc.Spec.ExternalIPs, []string{up.Addr.Addr().String()}) || svc.Spec.Ports[0].Port != int32(up.Addr.Port()) || svc.Spec.Ports[0].TargetPort.IntValue() != int(up.Listen.Port()) {
		t.Errorf("Service %s: externalIPs %v, ports %+v; want %s to lead to %s", svc.Name, svc.Spec.ExternalIPs, svc.Spec.Ports, up.Addr, up.Listen)
	}
	if log, err := f.UpstreamLog(ctx, "ns/api"); err != nil || len(log) != 0 {
		t.Errorf("log after the start: %d events (%v); want the reachability probe's cleared", len(log), err)
	}
	res, err := proxy.Get(ctx, probe.Request{URL: "http://" + up.Addr.String() + "/"})
	if err != nil || !strings.Contains(string(res.Body), up.Token) {
		t.Errorf("through the Service: %+v, %v; want the upstream's token", res, err)
	}
	sum, err := f.Summary(ctx)
	if err != nil || len(sum.Upstreams) != 1 || sum.Upstreams[0].Addr != up.Addr || sum.Upstreams[0].Listen != up.Listen {
		t.Errorf("Summary %+v (%v); want the upstream at %s", sum.Upstreams, err, up.Addr)
	}
	if err := f.StopUpstream(ctx, "ns/api"); err != nil {
		t.Fatal(err)
	}
	if list, _ := services.List(ctx, metav1.ListOptions{}); len(list.Items) != 1 {
		t.Errorf("%d Services after the stop; want only the canary Service", len(list.Items))
	}
}

func onlyUpstreamService(t *testing.T, services corev1client.ServiceInterface) corev1.Service {
	t.Helper()
	list, err := services.List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Service
	for _, s := range list.Items {
		if s.Name != canaryService {
			out = append(out, s)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d upstream Services, want 1", len(out))
	}
	return out[0]
}

func TestUpstreamAddresses(t *testing.T) {
	ctx := t.Context()
	f, _, _ := newTestFakes(t, nil)
	a, err := f.StartUpstream(ctx, control.UpstreamSpec{Role: "a", Addr: ":8443"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.StartUpstream(ctx, control.UpstreamSpec{Role: "b", Addr: ":8443"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Addr.Port() != 8443 || b.Addr.Port() != 8443 || a.Addr.Addr() == b.Addr.Addr() {
		t.Errorf("two upstreams asking for port 8443 at %s and %s; want that port at two addresses", a.Addr, b.Addr)
	}
	same, err := f.StartUpstream(ctx, control.UpstreamSpec{Role: "c", Addr: a.Addr.Addr().String() + ":0"})
	if err != nil || same.Addr.Addr() != a.Addr.Addr() || same.Addr.Port() == a.Addr.Port() {
		t.Errorf("upstream at %s (%v); want another port at %s", same.Addr, err, a.Addr.Addr())
	}
	for _, addr := range []string{a.Addr.String(), "10.0.0.1:80", "nonsense"} {
		var invalid *control.InvalidError
		if _, err := f.StartUpstream(ctx, control.UpstreamSpec{Role: "x", Addr: addr}); !errors.As(err, &invalid) {
			t.Errorf("upstream at %q: %v; want an *InvalidError", addr, err)
		}
	}
}

func TestUnreachableUpstreamIsStoppedAgain(t *testing.T) {
	f, services, proxy := newTestFakes(t, nil)
	proxy.programmed = false
	_, err := f.StartUpstream(t.Context(), control.UpstreamSpec{Role: "api"})
	if err == nil || !strings.Contains(err.Error(), "pods do not reach it") {
		t.Fatalf("start with kube-proxy asleep: %v; want the reason", err)
	}
	if list, _ := services.List(t.Context(), metav1.ListOptions{}); len(list.Items) != 1 {
		t.Errorf("%d Services after the failed start; want only the canary Service", len(list.Items))
	}
	if sum, _ := f.Summary(t.Context()); len(sum.Upstreams) != 0 {
		t.Errorf("upstreams after the failed start: %+v", sum.Upstreams)
	}
}

func TestCanaryAtTheServiceOpensAPort(t *testing.T) {
	ctx := t.Context()
	f, services, proxy := newTestFakes(t, nil)
	c, err := f.StartCanary(ctx, control.CanarySpec{Name: "ns/svc", Addrs: []string{testService.String() + ":0"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addrs[0].Addr() != testService || c.Addrs[0].Port() == 0 {
		t.Errorf("canary at %v; want a port of %s", c.Addrs, testService)
	}
	if hits, err := f.CanaryHits(ctx, "ns/svc"); err != nil || len(hits) != 0 {
		t.Errorf("hits after the start: %d (%v); want the reachability probe's cleared", len(hits), err)
	}
	if _, err := proxy.Get(ctx, probe.Request{URL: "http://" + c.Addrs[0].String() + "/"}); err != nil {
		t.Fatal(err)
	}
	if hits, _ := f.CanaryHits(ctx, "ns/svc"); len(hits) != 1 {
		t.Errorf("%d hits after one request to the Service's port; want 1", len(hits))
	}
	var invalid *control.InvalidError
	if _, err := f.StartCanary(ctx, control.CanarySpec{Name: "other", Addrs: []string{c.Addrs[0].String()}}); !errors.As(err, &invalid) {
		t.Errorf("a second canary at %s: %v; want an *InvalidError", c.Addrs[0], err)
	}
	if err := f.StopCanary(ctx, "ns/svc"); err != nil {
		t.Fatal(err)
	}
	svc, _ := services.Get(ctx, canaryService, metav1.GetOptions{})
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != placeholderPort {
		t.Errorf("canary Service ports after the stop: %+v; want the placeholder alone", svc.Spec.Ports)
	}
}

func TestCanaryPlacement(t *testing.T) {
	ctx := t.Context()
	f, services, _ := newTestFakes(t, nil)
	c, err := f.StartCanary(ctx, control.CanarySpec{Name: "pod", Addrs: []string{testPod.String() + ":0"}})
	if err != nil || c.Addrs[0].Addr() != testPod {
		t.Fatalf("canary on the pod: %v, %v", c.Addrs, err)
	}
	if svc, _ := services.Get(ctx, canaryService, metav1.GetOptions{}); len(svc.Spec.Ports) != 1 {
		t.Errorf("a canary on the pod's address opened a Service port: %+v", svc.Spec.Ports)
	}
	var invalid *control.InvalidError
	for _, addrs := range [][]string{{"169.254.169.254:80"}, {testPod.String() + ":0", testService.String() + ":0"}, {"nonsense"}} {
		if _, err := f.StartCanary(ctx, control.CanarySpec{Name: "x", Addrs: addrs}); !errors.As(err, &invalid) {
			t.Errorf("canary at %v without local fakes: %v; want an *InvalidError", addrs, err)
		}
	}
}

func TestCanaryElsewhereIsTheHarnesss(t *testing.T) {
	ctx := t.Context()
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
	f, _, _ := newTestFakes(t, local)
	c, err := f.StartCanary(ctx, control.CanarySpec{Name: "ns/edge", Addrs: []string{"127.0.0.9:0"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := local.CanaryHits(ctx, "ns/edge"); err != nil {
		t.Errorf("canary at %v is not the local fakes': %v", c.Addrs, err)
	}
	if sum, _ := f.Summary(ctx); !slices.ContainsFunc(sum.Canaries, func(s control.CanarySummary) bool { return s.Name == "ns/edge" }) {
		t.Errorf("Summary lacks the local canary: %+v", sum.Canaries)
	}
	if err := f.StopCanary(ctx, "ns/edge"); err != nil {
		t.Fatal(err)
	}
	var missing *control.NotFoundError
	if _, err := local.CanaryHits(ctx, "ns/edge"); !errors.As(err, &missing) {
		t.Errorf("local canary after the stop: %v; want *NotFoundError", err)
	}
}

func TestNamesSurviveTheServiceProxy(t *testing.T) {
	for _, name := range []string{"ns/api", "a~b/c", "~2F", "plain"} {
		encoded := encodeName.Replace(name)
		if strings.Contains(encoded, "/") || decodeName.Replace(encoded) != name {
			t.Errorf("%q travels as %q and comes back as %q", name, encoded, decodeName.Replace(encoded))
		}
	}
}
