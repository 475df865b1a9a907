package reference

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"text/template"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/manifest"
	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/reference/guardrail"
)

// Loopback addresses of the integration test: the Gateway's data plane and
// the fake upstream (the "simulated internet" prefix of loopback mode).
var (
	gatewayIP  = netip.MustParseAddr("127.0.2.1")
	upstreamIP = netip.MustParseAddr("127.0.1.10")
)

// upstreamHost is the XBackend hostname the rogue DNS answers with upstreamIP.
const upstreamHost = "e2e.xbcheck.test"

// env is a control plane, a rogue DNS, a TLS upstream signed by a test CA
// and a running reference gateway, all on loopback.
type env struct {
	client   client.Client
	schema   gatewayapi.Schema
	gateway  *Gateway
	upstream *upstream.Server
	ca       *pki.Authority
	port     int // the Gateway listener port on gatewayIP
	http     *http.Client
}

// startEnv starts the environment with the experimental CRDs of Gateway API
// release version (fetched through the Go module proxy once, then cached).
func startEnv(tb testing.TB, version string) *env {
	tb.Helper()
	ctx := context.Background()
	set, err := binaries.Ensure(ctx, binaries.Options{Progress: os.Stderr})
	if err != nil {
		tb.Fatal(err)
	}
	bundle, err := cluster.LoadCRDs(ctx, "", version)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := cluster.StartEnvtest(ctx, cluster.EnvtestOptions{Binaries: set, CRDs: bundle})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Stop() })

	resolver, err := dns.Start(ctx, dns.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { resolver.Close() })
	if err := resolver.Program(upstreamHost+".", mdns.TypeA, dns.Static(dns.Records(30, "A "+upstreamIP.String()))); err != nil {
		tb.Fatal(err)
	}
	ca, err := pki.NewAuthority("xbcheck gateway test CA")
	if err != nil {
		tb.Fatal(err)
	}
	up, err := upstream.Start(ctx, upstream.Config{
		Role: "e2e", Addr: netip.AddrPortFrom(upstreamIP, 0).String(),
		Hostname: upstreamHost, TLS: upstream.TLSValid, Authority: ca,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { up.Close() })

	g, err := Start(ctx, Options{
		Config:    c.Config,
		Addresses: []netip.Addr{gatewayIP},
		DNSServer: resolver.Addr(),
		Guardrail: guardrail.Policy{Allow: []netip.Prefix{netip.PrefixFrom(upstreamIP, 32)}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := g.Stop(); err != nil {
			tb.Errorf("gateway stopped with: %v", err)
		}
	})

	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, gatewayv1.Install} {
		if err := add(scheme); err != nil {
			tb.Fatal(err)
		}
	}
	cl, err := client.New(c.Config, client.Options{Scheme: scheme})
	if err != nil {
		tb.Fatal(err)
	}
	return &env{
		client: cl, schema: bundle.Schema, gateway: g, upstream: up, ca: ca, port: freePort(tb, gatewayIP),
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
	}
}

// freePort finds a port free on addr now, for a Gateway listener to bind later.
func freePort(tb testing.TB, addr netip.Addr) int {
	tb.Helper()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// vars are the placeholders of the test manifests.
type vars struct {
	Namespace, Name, Host string
	Port                  int
	Upstream              string
	UpstreamPort          int
	CA                    string // PEM, indented for a YAML block
	CAName                string // the ConfigMap holding CA
}

func (e *env) vars(namespace string) vars {
	return vars{
		Namespace: namespace, Port: e.port, CAName: "upstream-ca",
		Upstream: upstreamHost, UpstreamPort: int(e.upstream.Addr().Port()),
		CA: strings.ReplaceAll(strings.TrimSpace(string(e.ca.CertPEM)), "\n", "\n    "),
	}
}

// apply renders text with v and creates every object in it, as unstructured.
func (e *env) apply(tb testing.TB, text string, v vars) {
	tb.Helper()
	var b strings.Builder
	if err := template.Must(template.New("manifest").Option("missingkey=error").Parse(text)).Execute(&b, v); err != nil {
		tb.Fatal(err)
	}
	objs, err := manifest.Decode([]byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	if err := e.schema.Render(objs); err != nil {
		tb.Fatal(err)
	}
	for _, o := range objs {
		if err := e.client.Create(context.Background(), o); err != nil {
			tb.Fatalf("create %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

// ancestors reads the status entries of XBackend namespace/name, in the
// installed schema, and its generation.
func (e *env) ancestors(g Gomega, namespace, name string) ([]gatewayapi.Ancestor, int64) {
	xb := &unstructured.Unstructured{}
	xb.SetGroupVersionKind(gatewayapi.XBackend)
	g.Expect(e.client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, xb)).To(Succeed())
	entries, err := e.schema.Ancestors(xb)
	g.Expect(err).NotTo(HaveOccurred())
	return entries, xb.GetGeneration()
}

func (e *env) namespace(tb testing.TB, name string) {
	tb.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := e.client.Create(context.Background(), ns); err != nil {
		tb.Fatal(err)
	}
}

// get sends GET path with Host host to the Gateway listener and returns
// the status and body.
func (e *env) get(host, path string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s%s", netip.AddrPortFrom(gatewayIP, uint16(e.port)), path), nil)
	if err != nil {
		return 0, nil, err
	}
	req.Host = host
	resp, err := e.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}
