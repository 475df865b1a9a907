package control

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// The operations of the table in control_test.go that start and stop fakes. Each
// stops what it started, so the next one and the other path find the fakes as the
// config made them.

func startWithAuthority(t *testing.T, ctx context.Context, f, other Fakes) any {
	ca := newCA(t, "spec CA")
	authority, err := ca.PEM()
	must(t, err)
	info := startUpstream(t, ctx, f, UpstreamSpec{Role: "signed", Hostname: "signed.xbcheck.test", TLS: upstream.TLSValid, Authority: &authority})
	if !netip.MustParsePrefix(testInternet).Contains(info.Addr.Addr()) || info.Token == "" {
		t.Errorf("started %+v, want an address in %s and a token", info, testInternet)
	}
	sum := get(t, ctx, f, other, Fakes.Summary)
	if len(sum.Upstreams) != 2 || sum.Upstreams[1] != info {
		t.Errorf("summary upstreams %+v, want api then %+v", sum.Upstreams, info)
	}
	seen := httpsGet(t, ctx, info.Addr.String(), "https://signed.xbcheck.test/", string(ca.CertPEM))
	if seen.Token != info.Token || seen.SNI != "signed.xbcheck.test" {
		t.Errorf("upstream observed %+v, want its token and SNI signed.xbcheck.test", seen)
	}
	own := get(t, ctx, f, other, Fakes.PKI)
	_, errOwnCA := httpsDo(ctx, info.Addr.String(), "https://signed.xbcheck.test/", own.CA, nil)
	var unknown x509.UnknownAuthorityError
	if !errors.As(errOwnCA, &unknown) {
		t.Errorf("trusting the fakes' own CA: %v, want an unknown-authority error: the spec's CA signs", errOwnCA)
	}
	must(t, f.StopUpstream(ctx, "signed"))
	_, errLog := f.UpstreamLog(ctx, "signed")
	var nf *NotFoundError
	if !errors.As(errLog, &nf) {
		t.Errorf("the log of a stopped upstream: %v, want a *NotFoundError", errLog)
	}
	if c, err := net.Dial("tcp", info.Addr.String()); err == nil {
		c.Close()
		t.Errorf("a stopped upstream still accepts at %s", info.Addr)
	}
	return []any{info.Role, seen.SNI, errLog}
}

func startRequiringClientCA(t *testing.T, ctx context.Context, f, other Fakes) any {
	clientCA := newCA(t, "spec client CA")
	leaf, err := clientCA.Issue(pki.LeafOptions{CommonName: "spec client", Client: true})
	must(t, err)
	info := startUpstream(t, ctx, f, UpstreamSpec{Role: "mtls", Hostname: "mtls.xbcheck.test", TLS: upstream.TLSClientCertRequired, ClientCA: string(clientCA.CertPEM)})
	own := get(t, ctx, f, other, Fakes.PKI)
	seen, err := httpsDo(ctx, info.Addr.String(), "https://mtls.xbcheck.test/", own.CA, &leaf.TLS)
	if err != nil || seen.ClientCertFingerprint != leaf.Fingerprint() {
		t.Errorf("with a client certificate of the ClientCA: %+v, %v; want an answer seeing it", seen, err)
	}
	ownClient, err := tls.X509KeyPair([]byte(own.ClientCert), []byte(own.ClientKey))
	must(t, err)
	if _, err := httpsDo(ctx, info.Addr.String(), "https://mtls.xbcheck.test/", own.CA, &ownClient); err == nil {
		t.Errorf("the fakes' own client certificate was accepted, although the spec named another ClientCA")
	}
	if _, err := f.WaitUpstream(waitContext(t, ctx), "mtls", func(e upstream.Event) bool { return e.Kind == upstream.KindHandshakeFailed }); err != nil {
		t.Errorf("no failed handshake logged for the refused client: %v", err)
	}
	must(t, f.StopUpstream(ctx, "mtls"))
	return []any{info.Role, seen.ClientCertSubject}
}

func allocateAddresses(t *testing.T, ctx context.Context, f, _ Fakes) any {
	internet := netip.MustParsePrefix(testInternet)
	first, last := hostRange(internet)
	port := freePort(t)
	a := startUpstream(t, ctx, f, UpstreamSpec{Role: "first"})
	b := startUpstream(t, ctx, f, UpstreamSpec{Role: "second"})
	c := startUpstream(t, ctx, f, UpstreamSpec{Role: "third", Addr: ":" + strconv.Itoa(int(port))})
	d := startUpstream(t, ctx, f, UpstreamSpec{Role: "fourth", Addr: netip.AddrPortFrom(a.Addr.Addr(), 0).String()})
	for _, info := range []UpstreamInfo{a, b, c} {
		if !internet.Contains(info.Addr.Addr()) || info.Addr.Addr() == first.Prev() || info.Addr.Addr() == last.Next() {
			t.Errorf("%s at %s: want a host address of %s", info.Role, info.Addr, internet)
		}
	}
	if b.Addr.Addr() != nextAddr(a.Addr.Addr(), first, last) || c.Addr.Addr() != nextAddr(b.Addr.Addr(), first, last) {
		t.Errorf("allocated %s, %s, %s: want consecutive addresses", a.Addr, b.Addr, c.Addr)
	}
	if c.Addr.Port() != port {
		t.Errorf(":%d gave %s, want that port", port, c.Addr)
	}
	if d.Addr.Addr() != a.Addr.Addr() || d.Addr.Port() == a.Addr.Port() {
		t.Errorf("%s:0 gave %s, want another port on that address", a.Addr.Addr(), d.Addr)
	}
	for _, role := range []string{"first", "second", "third", "fourth"} {
		must(t, f.StopUpstream(ctx, role))
	}
	return []string{a.Role, b.Role, c.Role, d.Role}
}

func refuseDuplicates(t *testing.T, ctx context.Context, f, other Fakes) any {
	startUpstream(t, ctx, f, UpstreamSpec{Role: "dup"})
	var errs []error
	for _, call := range []func(Fakes) error{
		func(f Fakes) error {
			_, err := f.StartUpstream(ctx, UpstreamSpec{Role: "dup", Addr: "127.0.0.1:0"})
			return err
		},
		func(f Fakes) error { _, err := f.StartUpstream(ctx, UpstreamSpec{Role: "api"}); return err },
		func(f Fakes) error {
			_, err := f.StartCanary(ctx, CanarySpec{Name: "admin", Addrs: []string{"127.0.0.3:0"}})
			return err
		},
	} {
		errs = append(errs, sameInvalid(t, call(f), call(other)))
	}
	if errs[0].(*InvalidError).Field != "role" || errs[2].(*InvalidError).Field != "name" {
		t.Errorf("errors %v: want the fields role and name named", errs)
	}
	must(t, f.StopUpstream(ctx, "dup"))
	return errs
}

func refuseGuardedAddresses(t *testing.T, ctx context.Context, f, other Fakes) any {
	var errs []error
	for _, call := range []func(Fakes) error{
		func(f Fakes) error {
			_, err := f.StartUpstream(ctx, UpstreamSpec{Role: "far", Addr: "192.0.2.1:0"})
			return err
		},
		func(f Fakes) error {
			_, err := f.StartCanary(ctx, CanarySpec{Name: "metadata", Addrs: []string{"127.0.0.3:0", "169.254.169.254:80"}})
			return err
		},
	} {
		errs = append(errs, sameInvalid(t, call(f), call(other)))
	}
	for i, want := range []struct{ field, addr string }{{"addr", "192.0.2.1"}, {"addrs[1]", "169.254.169.254"}} {
		if e := errs[i].(*InvalidError); e.Field != want.field || !strings.Contains(e.Reason, "may not bind "+want.addr) {
			t.Errorf("refusal %v: want field %q saying it may not bind %s", e, want.field, want.addr)
		}
	}
	// Nothing is left behind: the name is free, and nothing listens.
	info := startCanary(t, ctx, f, CanarySpec{Name: "metadata", Addrs: []string{"127.0.0.3:0"}})
	must(t, f.StopCanary(ctx, info.Name))
	return errs
}

func refuseInvalidSpecs(t *testing.T, ctx context.Context, f, other Fakes) any {
	badPEM := &pki.AuthorityPEM{Cert: "not PEM", Key: "not PEM"}
	upstreams := []struct {
		spec  UpstreamSpec
		field string
	}{
		{UpstreamSpec{}, "role"},
		{UpstreamSpec{Role: "x", TLS: "valid"}, "tls"},
		{UpstreamSpec{Role: "x", TLS: upstream.TLSValid}, "hostname"},
		{UpstreamSpec{Role: "x", Protocols: []upstream.Protocol{upstream.HTTP2}}, "protocols[0]"},
		{UpstreamSpec{Role: "x", URIs: []string{"relative"}}, "uris[0]"},
		{UpstreamSpec{Role: "x", Addr: "nonsense"}, "addr"},
		{UpstreamSpec{Role: "x", Addr: "localhost:80"}, "addr"},
		{UpstreamSpec{Role: "x", Addr: "127.0.0.1:99999"}, "addr"},
		{UpstreamSpec{Role: "x", Hostname: "x.xbcheck.test", TLS: upstream.TLSValid, Authority: badPEM}, "authority.cert"},
		{UpstreamSpec{Role: "x", Hostname: "x.xbcheck.test", TLS: upstream.TLSClientCertRequired, ClientCA: "not PEM"}, "clientCA"},
	}
	canaries := []struct {
		spec  CanarySpec
		field string
	}{
		{CanarySpec{Addrs: []string{"127.0.0.3:0"}}, "name"},
		{CanarySpec{Name: "x"}, "addrs"},
		{CanarySpec{Name: "x", Addrs: []string{":80"}}, "addrs[0]"},
		{CanarySpec{Name: "x", Addrs: []string{"127.0.0.3:0", "127.0.0.3"}}, "addrs[1]"},
	}
	var errs []error
	for _, c := range upstreams {
		start := func(f Fakes) error { _, err := f.StartUpstream(ctx, c.spec); return err }
		err := sameInvalid(t, start(f), start(other))
		if err.(*InvalidError).Field != c.field {
			t.Errorf("upstream spec %+v: %v, want field %q named", c.spec, err, c.field)
		}
		errs = append(errs, err)
	}
	for _, c := range canaries {
		start := func(f Fakes) error { _, err := f.StartCanary(ctx, c.spec); return err }
		err := sameInvalid(t, start(f), start(other))
		if err.(*InvalidError).Field != c.field {
			t.Errorf("canary spec %+v: %v, want field %q named", c.spec, err, c.field)
		}
		errs = append(errs, err)
	}
	return errs
}

func dropConnections(t *testing.T, ctx context.Context, f, _ Fakes) any {
	info := startUpstream(t, ctx, f, UpstreamSpec{Role: "pooled"})
	client, dials, closed := poolingClient()
	defer client.CloseIdleConnections()
	get := func() upstream.Observation {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+info.Addr.String()+"/", nil)
		must(t, err)
		resp, err := client.Do(req)
		must(t, err)
		defer resp.Body.Close()
		var seen upstream.Observation
		must(t, json.NewDecoder(resp.Body).Decode(&seen))
		return seen
	}
	first, second := get(), get()
	if first.Connection != second.Connection || dials.Load() != 1 {
		t.Fatalf("connections %d and %d after %d dials, want one pooled connection", first.Connection, second.Connection, dials.Load())
	}
	must(t, f.DropConnections(ctx, "pooled"))
	select {
	case <-closed:
	case <-waitContext(t, ctx).Done():
		t.Fatal("the pooled connection is still open after DropConnections")
	}
	third := get()
	if third.Connection == first.Connection || dials.Load() != 2 {
		t.Errorf("after DropConnections: connection %d after %d dials, want a new one", third.Connection, dials.Load())
	}
	events, err := f.UpstreamLog(ctx, "pooled")
	must(t, err)
	accepts := 0
	for _, e := range events {
		if e.Kind == upstream.KindAccept {
			accepts++
		}
	}
	if accepts != 2 {
		t.Errorf("the upstream logged %d accepts, want 2", accepts)
	}
	must(t, f.StopUpstream(ctx, "pooled"))
	return []any{accepts, third.Connection - first.Connection}
}

func startAndStopCanary(t *testing.T, ctx context.Context, f, other Fakes) any {
	info := startCanary(t, ctx, f, CanarySpec{Name: "late", Addrs: []string{"127.0.0.3:0"}})
	if len(info.Addrs) != 1 || info.Addrs[0].Addr() != netip.MustParseAddr("127.0.0.3") || info.Addrs[0].Port() == 0 || info.Token == "" {
		t.Errorf("started %+v, want one address on 127.0.0.3 with a port, and a token", info)
	}
	if got := rawToken(t, ctx, info.Addrs[0].String()); got != info.Token {
		t.Errorf("canary answered %q, want its token %q", got, info.Token)
	}
	if _, err := f.WaitCanary(waitContext(t, ctx), "late", func(h canary.Hit) bool { return h.TokenSent }); err != nil {
		t.Fatalf("WaitCanary: %v", err)
	}
	hits := get(t, ctx, f, other, func(f Fakes, ctx context.Context) ([]canary.Hit, error) { return f.CanaryHits(ctx, "late") })
	must(t, f.StopCanary(ctx, "late"))
	if c, err := net.Dial("tcp", info.Addrs[0].String()); err == nil {
		c.Close()
		t.Errorf("a stopped canary still accepts at %s", info.Addrs[0])
	}
	_, err := f.CanaryHits(ctx, "late")
	var nf *NotFoundError
	if !errors.As(err, &nf) || !reflect.DeepEqual(nf.Known, []string{"admin"}) {
		t.Errorf("hits of a stopped canary: %v, want a *NotFoundError listing admin", err)
	}
	return []any{len(hits), hits[0].Kind, err}
}

func waitOnStoppedFakes(t *testing.T, ctx context.Context, f, _ Fakes) any {
	startUpstream(t, ctx, f, UpstreamSpec{Role: "brief"})
	startCanary(t, ctx, f, CanarySpec{Name: "brief", Addrs: []string{"127.0.0.3:0"}})
	ctx = waitContext(t, ctx)
	waited := make(chan error, 2)
	var started sync.WaitGroup
	started.Add(2)
	var upstreamSaw, canarySaw sync.Once
	go func() {
		_, err := f.WaitUpstream(ctx, "brief", func(upstream.Event) bool { upstreamSaw.Do(started.Done); return false })
		waited <- err
	}()
	go func() {
		_, err := f.WaitCanary(ctx, "brief", func(canary.Hit) bool { canarySaw.Do(started.Done); return false })
		waited <- err
	}()
	// Each wait sees one entry, the harness's own connection, before the fake stops.
	info, err := f.Summary(ctx)
	must(t, err)
	for _, u := range info.Upstreams {
		if u.Role == "brief" {
			dialAndClose(t, u.Addr.String())
		}
	}
	for _, c := range info.Canaries {
		if c.Name == "brief" {
			dialAndClose(t, c.Addrs[0].String())
		}
	}
	started.Wait()
	must(t, f.StopUpstream(ctx, "brief"))
	must(t, f.StopCanary(ctx, "brief"))
	var errs []error
	for range 2 {
		err := <-waited
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			t.Errorf("a wait on a stopped fake ended with %v, want a *NotFoundError", err)
		}
		errs = append(errs, err)
	}
	if errs[0].(*NotFoundError).Fake == "canary" { // the order the waits ended in is not the point
		errs[0], errs[1] = errs[1], errs[0]
	}
	return errs
}

func filterDNSLog(t *testing.T, ctx context.Context, f, other Fakes) any {
	must(t, f.ClearDNSLog(ctx))
	must(t, f.SetProgram(ctx, "one.xbcheck.test.", mdns.TypeA, dns.Static(dns.Records(0, "A 203.0.113.1"))))
	must(t, f.SetProgram(ctx, "two.xbcheck.test.", mdns.TypeA, dns.Static(dns.Records(0, "A 203.0.113.2"))))
	addr := dnsAddr(t, ctx, f)
	for _, name := range []string{"ONE.xbcheck.test.", "two.xbcheck.test.", "three.xbcheck.test."} {
		query(t, ctx, addr, name, mdns.TypeA)
	}
	if _, err := f.WaitDNS(waitContext(t, ctx), func(q dns.Query) bool { return q.Name == "three.xbcheck.test." }); err != nil {
		t.Fatalf("WaitDNS: %v", err)
	}
	names := func(names ...string) []string {
		log := get(t, ctx, f, other, func(f Fakes, ctx context.Context) ([]dns.Query, error) { return f.DNSLog(ctx, names...) })
		asked := []string{}
		for _, q := range log {
			asked = append(asked, q.Name)
		}
		return asked
	}
	cases := []struct {
		filter, want []string
	}{
		{nil, []string{"ONE.xbcheck.test.", "two.xbcheck.test.", "three.xbcheck.test."}},
		{[]string{"one.xbcheck.test"}, []string{"ONE.xbcheck.test."}},
		{[]string{"TWO.XBCHECK.TEST.", "one.xbcheck.test."}, []string{"ONE.xbcheck.test.", "two.xbcheck.test."}},
		{[]string{"four.xbcheck.test"}, []string{}},
	}
	var seen [][]string
	for _, c := range cases {
		got := names(c.filter...)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("DNSLog(%q) asked %q, want %q", c.filter, got, c.want)
		}
		seen = append(seen, got)
	}
	must(t, f.ClearPrograms(ctx))
	must(t, f.ClearDNSLog(ctx))
	return seen
}

// startUpstream starts spec through f and stops it when the test ends, if the
// operation has not.
func startUpstream(t *testing.T, ctx context.Context, f Fakes, spec UpstreamSpec) UpstreamInfo {
	t.Helper()
	info, err := f.StartUpstream(ctx, spec)
	if err != nil {
		t.Fatalf("StartUpstream(%+v): %v", spec, err)
	}
	t.Cleanup(func() { _ = f.StopUpstream(context.Background(), spec.Role) })
	return info
}

// startCanary starts spec through f and stops it when the test ends, if the
// operation has not.
func startCanary(t *testing.T, ctx context.Context, f Fakes, spec CanarySpec) CanaryInfo {
	t.Helper()
	info, err := f.StartCanary(ctx, spec)
	if err != nil {
		t.Fatalf("StartCanary(%+v): %v", spec, err)
	}
	t.Cleanup(func() { _ = f.StopCanary(context.Background(), spec.Name) })
	return info
}

// sameInvalid fails unless err is an *InvalidError the other path returned too.
func sameInvalid(t *testing.T, err, otherErr error) error {
	t.Helper()
	var invalid *InvalidError
	if !errors.As(err, &invalid) {
		t.Fatalf("error %v (%T), want an *InvalidError", err, err)
	}
	if !reflect.DeepEqual(err, otherErr) {
		t.Errorf("the two paths disagree: %#v and %#v", err, otherErr)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q spans lines", err)
	}
	return invalid
}

// waitContext bounds a wait so that a missing event fails the test instead of hanging it.
func waitContext(t *testing.T, ctx context.Context) context.Context {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newCA(t *testing.T, name string) *pki.Authority {
	t.Helper()
	ca, err := pki.NewAuthority(name)
	must(t, err)
	return ca
}

// freePort returns a port that was free on 127.0.0.1 a moment ago; on another
// loopback address it is free too, as far as these tests go.
func freePort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).AddrPort().Port()
}

func dialAndClose(t *testing.T, addr string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	must(t, err)
	c.Close()
}

// poolingClient is an HTTP client that keeps connections alive, counts its dials,
// and signals on closed when it closes one.
func poolingClient() (*http.Client, *atomic.Int32, <-chan struct{}) {
	dials := new(atomic.Int32)
	closed := make(chan struct{}, 16)
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &closeSignal{Conn: c, closed: closed}, nil
		},
	}
	return &http.Client{Transport: transport}, dials, closed
}

type closeSignal struct {
	net.Conn
	closed chan<- struct{}
	once   sync.Once
}

func (c *closeSignal) Close() error {
	c.once.Do(func() { c.closed <- struct{}{} })
	return c.Conn.Close()
}
