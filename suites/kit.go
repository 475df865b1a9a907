package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/manifest"
	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// TestZone is the DNS zone the rogue DNS server is authoritative for.
const TestZone = "xbcheck.test"

// ListenerPort is the port of every spec Gateway's HTTP listener.
const ListenerPort = 8080

// spec is the per-spec state every scenario starts from: its own namespace,
// its own hostname under the test zone, and the fakes it started.
type spec struct {
	shortName string
	namespace string
	hostname  string
	authority *pki.Authority
	evidence  *evidence
}

// newSpec starts a spec: its namespace (removed at the end), its hostname,
// and its evidence, written when it ends.
func newSpec(ctx context.Context, shortName string) *spec {
	ns := namespaceFor(ctx, shortName)
	s := &spec{shortName: shortName, namespace: ns, hostname: ns + "." + TestZone, evidence: &evidence{start: time.Now()}}
	s.evidence.dnsName(s.hostname)
	DeferCleanup(s.recordEvidence)
	return s
}

// vars are the placeholders of a manifest, plus extra.
func (s *spec) vars(extra map[string]string) map[string]string {
	v := map[string]string{
		"Namespace":    s.namespace,
		"Hostname":     s.hostname,
		"GatewayClass": config.Environment.GatewayClass,
		"ListenerPort": strconv.Itoa(ListenerPort),
	}
	for k, val := range extra {
		v[k] = val
	}
	return v
}

// render fills a manifest with the spec's placeholders plus extra.
func (s *spec) render(name string, extra map[string]string) []*unstructured.Unstructured {
	objs, err := manifest.Render(manifests, name, s.vars(extra))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return objs
}

// apply renders a manifest and creates every object in it. The spec's
// namespace takes them away when it is deleted.
func (s *spec) apply(ctx context.Context, name string, extra map[string]string) []*unstructured.Unstructured {
	text, err := manifest.Text(manifests, name, s.vars(extra))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	objs, err := manifest.Decode([]byte(text))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	s.evidence.manifest(text)
	for _, o := range objs {
		ExpectWithOffset(1, k8sClient.Create(ctx, o)).To(Succeed(), "create %s %s from %s", o.GetKind(), o.GetName(), name)
		// Deleted one by one as well as with the namespace: an embedded
		// control plane has no namespace controller to cascade, and an
		// implementation should see its Gateways go.
		deleteAtEnd(o)
	}
	return objs
}

// ca is the spec's own certificate authority, made on first use.
func (s *spec) ca() *pki.Authority {
	if s.authority == nil {
		a, err := pki.NewAuthority("xbcheck " + s.shortName + " CA")
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		s.authority = a
	}
	return s.authority
}

// startUpstream starts a fake external server on the next address of the
// simulated internet, for the spec's hostname and signed by its CA unless
// cfg says otherwise, and closes it when the spec ends.
func (s *spec) startUpstream(ctx context.Context, cfg upstream.Config) *upstream.Server {
	if cfg.Role == "" {
		cfg.Role = s.shortName
	}
	if cfg.Addr == "" && cfg.Listener == nil {
		addr := config.Environment.Network.internetAddr()
		ExpectWithOffset(1, sandbox.Guard(addr)).To(Succeed())
		cfg.Addr = net.JoinHostPort(addr.String(), "0")
	}
	if cfg.Hostname == "" {
		cfg.Hostname = s.hostname
	}
	if cfg.Authority == nil {
		cfg.Authority = s.ca()
	}
	up, err := upstream.Start(context.WithoutCancel(ctx), cfg)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "start the fake upstream %s", cfg.Role)
	DeferCleanup(up.Close)
	s.evidence.upstream(up)
	s.evidence.note("upstream %s (TLS %s) listening on %s", cfg.Role, cfg.TLS, up.Addr())
	return up
}

// answer installs the DNS program that answers A queries for name.
func (s *spec) answer(name string, p dns.Program) {
	s.answerType(name, mdns.TypeA, p)
}

// answerType installs the DNS program for (name, qtype).
func (s *spec) answerType(name string, qtype uint16, p dns.Program) {
	ExpectWithOffset(1, config.Environment.DNS.Program(mdns.Fqdn(name), qtype, p)).To(Succeed())
	s.evidence.dnsName(name)
}

// resolveTo makes the spec's hostname resolve to the upstream's address.
func (s *spec) resolveTo(up *upstream.Server, ttl uint32) {
	s.answer(s.hostname, dns.Static(dns.Records(ttl, "A "+up.Addr().Addr().String())))
}

// gatewayAddress waits until the spec's Gateway is Programmed and returns
// host:port of its listener.
func (s *spec) gatewayAddress(ctx context.Context, name string) string {
	var host string
	gw := &gatewayv1.Gateway{}
	EventuallyWithOffset(1, func(g Gomega) {
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, gw)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(gw.Status.Conditions, string(gatewayv1.GatewayConditionProgrammed))).
			To(BeTrue(), "Gateway %s/%s is not Programmed; conditions: %v", s.namespace, name, gw.Status.Conditions)
		g.Expect(gw.Status.Addresses).NotTo(BeEmpty(), "Gateway %s/%s has no status.addresses", s.namespace, name)
		host = gw.Status.Addresses[0].Value
	}).WithContext(ctx).WithTimeout(config.Timeouts.GatewayReady).WithPolling(config.Timeouts.Poll).Should(Succeed())
	port := strconv.Itoa(int(gw.Spec.Listeners[0].Port))
	if override := config.Environment.GatewayAddress; override != "" {
		if _, _, err := net.SplitHostPort(override); err == nil {
			return override
		}
		host = override
	}
	return net.JoinHostPort(host, port)
}

// response is what a client of the Gateway got back.
type response struct {
	Status int
	Body   []byte
	// Upstream is what the fake upstream saw, when the body came from one.
	Upstream *upstream.Observation
}

func (r *response) String() string {
	if r == nil {
		return "no response"
	}
	return fmt.Sprintf("HTTP %d: %.200s", r.Status, r.Body)
}

// get sends one request through the Gateway on a fresh connection, so every
// probe makes the implementation route anew.
func (s *spec) get(ctx context.Context, gateway, path string) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, config.Timeouts.Request)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+gateway+path, nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	r := &response{Status: resp.StatusCode, Body: body}
	if resp.Header.Get(upstream.TokenHeader) != "" {
		var o upstream.Observation
		if json.Unmarshal(body, &o) == nil {
			r.Upstream = &o
		}
	}
	return r, nil
}

// eventuallyGet probes until a response satisfies match (e.g. a 200 from
// the upstream), as implementations converge at their own pace.
func (s *spec) eventuallyGet(ctx context.Context, gateway, path string, match func(Gomega, *response)) *response {
	var last *response
	EventuallyWithOffset(1, func(g Gomega) {
		r, err := s.get(ctx, gateway, path)
		g.Expect(err).NotTo(HaveOccurred())
		last = r
		match(g, r)
	}).WithContext(ctx).WithTimeout(config.Timeouts.Traffic).WithPolling(config.Timeouts.Poll).Should(Succeed(), func() string { return fmt.Sprintf("last response: %v", last) })
	return last
}

// fromUpstream matches a 200 whose body came from up.
func fromUpstream(up *upstream.Server) func(Gomega, *response) {
	return func(g Gomega, r *response) {
		g.Expect(r.Status).To(Equal(http.StatusOK), "want 200 from upstream %s, got %v", up.Role(), r)
		g.Expect(r.Upstream).NotTo(BeNil(), "the 200 did not come from a fake upstream: %v", r)
		g.Expect(r.Upstream.Token).To(Equal(up.Token()), "the 200 came from another upstream (%s)", r.Upstream.Role)
	}
}
