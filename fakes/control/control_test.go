package control

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/probe"
	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// testInternet is the simulated internet of the tests: small, so that allocation
// wraps around within a test run.
const testInternet = "127.0.9.0/28"

// testConfig is one TLS upstream, one canary on a second loopback address, and the DNS.
func testConfig() Config {
	return Config{
		Internet:  testInternet,
		Upstreams: []UpstreamConfig{{Role: "api", Addr: "127.0.0.1:0", Hostname: "api.xbcheck.test", TLS: upstream.TLSValid}},
		Canaries:  []CanaryConfig{{Name: "admin", Addrs: []string{"127.0.0.2:0"}}},
	}
}

func startStandalone(t *testing.T) *Standalone {
	t.Helper()
	s, err := Start(t.Context(), testConfig())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// operation does one thing through f and returns what it observed, in a form that does
// not depend on ports, times or sequence numbers, so both paths must return the same.
// other is the other path over the same process: reads through it must equal reads
// through f.
type operation struct {
	name string
	do   func(t *testing.T, ctx context.Context, f, other Fakes) any
}

var operations = []operation{
	{"clearing everything succeeds", func(t *testing.T, ctx context.Context, f, _ Fakes) any {
		must(t, f.ClearPrograms(ctx))
		must(t, f.ClearDNSLog(ctx))
		must(t, f.ClearUpstreamLog(ctx, "api"))
		must(t, f.ClearCanary(ctx, "admin"))
		return nil
	}},
	{"the summary names every fake and its token", func(t *testing.T, ctx context.Context, f, other Fakes) any {
		sum := get(t, ctx, f, other, Fakes.Summary)
		if sum.DNS.Zone != "xbcheck.test." || len(sum.Upstreams) != 1 || sum.Upstreams[0].Role != "api" ||
			len(sum.Canaries) != 1 || sum.Canaries[0].Name != "admin" || sum.Canaries[0].Addrs[0].Addr().String() != "127.0.0.2" {
			t.Errorf("summary = %+v, want the DNS zone xbcheck.test., upstream api and canary admin on 127.0.0.2", sum)
		}
		if sum.Upstreams[0].Token == "" || sum.Canaries[0].Token == "" || sum.Upstreams[0].Token == sum.Canaries[0].Token {
			t.Errorf("tokens upstream %q, canary %q: want two different non-empty tokens", sum.Upstreams[0].Token, sum.Canaries[0].Token)
		}
		return sum // one process: the same on both paths
	}},
	{"the PKI gives a CA and a client certificate it signed", func(t *testing.T, ctx context.Context, f, other Fakes) any {
		p := get(t, ctx, f, other, Fakes.PKI)
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(p.CA)) {
			t.Fatalf("PKI CA is not PEM: %q", p.CA)
		}
		pair, err := tls.X509KeyPair([]byte(p.ClientCert), []byte(p.ClientKey))
		if err != nil {
			t.Fatalf("client certificate and key do not pair: %v", err)
		}
		if _, err := pair.Leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("client certificate does not verify against the CA: %v", err)
		}
		return p
	}},
	{"a program set answers a DNS query, and the log shows it", func(t *testing.T, ctx context.Context, f, other Fakes) any {
		must(t, f.SetProgram(ctx, "api.xbcheck.test.", mdns.TypeA, dns.Static(dns.Records(30, "A 203.0.113.10"))))
		answers := lookup(t, ctx, dnsAddr(t, ctx, f), "API.xbcheck.test.", mdns.TypeA)
		if !slices.Equal(answers, []string{"API.xbcheck.test.\t30\tIN\tA\t203.0.113.10"}) {
			t.Errorf("answers = %q, want the programmed A record, case kept", answers)
		}
		if _, err := f.WaitDNS(ctx, func(q dns.Query) bool { return q.Name == "API.xbcheck.test." }); err != nil {
			t.Fatalf("WaitDNS: %v", err)
		}
		log := get(t, ctx, f, other, readDNSLog)
		if len(log) != 1 || log[0].Type != "A" || log[0].Step != 0 || log[0].Rcode != "NOERROR" {
			t.Errorf("DNS log = %+v, want one A query answered by step 0", log)
		}
		return []any{answers, log[0].Name, log[0].Type, log[0].Program, log[0].Answers, log[0].TTL}
	}},
	{"an HTTPS request reaches the upstream, and its log shows it", func(t *testing.T, ctx context.Context, f, other Fakes) any {
		sum := get(t, ctx, f, other, Fakes.Summary)
		p := get(t, ctx, f, other, Fakes.PKI)
		seen := httpsGet(t, ctx, sum.Upstreams[0].Addr.String(), "https://api.xbcheck.test/hello?x=1", p.CA)
		if seen.Token != sum.Upstreams[0].Token || seen.SNI != "api.xbcheck.test" {
			t.Errorf("upstream observed %+v, want its token %q and SNI api.xbcheck.test", seen, sum.Upstreams[0].Token)
		}
		if _, err := f.WaitUpstream(ctx, "api", func(e upstream.Event) bool { return e.Kind == upstream.KindRequest }); err != nil {
			t.Fatalf("WaitUpstream: %v", err)
		}
		log := get(t, ctx, f, other, func(f Fakes, ctx context.Context) ([]upstream.Event, error) { return f.UpstreamLog(ctx, "api") })
		var kinds []upstream.EventKind
		for _, e := range log {
			kinds = append(kinds, e.Kind)
		}
		want := []upstream.EventKind{upstream.KindAccept, upstream.KindHandshake, upstream.KindRequest}
		if !slices.Equal(kinds, want) {
			t.Fatalf("upstream events %v, want %v", kinds, want)
		}
		return []any{kinds, log[2].Observation.Path, log[2].Observation.Protocol, log[2].SNI}
	}},
	{"a TCP connection to the canary is a hit", func(t *testing.T, ctx context.Context, f, other Fakes) any {
		sum := get(t, ctx, f, other, Fakes.Summary)
		addr := sum.Canaries[0].Addrs[0].String()
		if got := rawToken(t, ctx, addr); got != sum.Canaries[0].Token {
			t.Errorf("canary answered %q, want its token %q", got, sum.Canaries[0].Token)
		}
		if _, err := f.WaitCanary(ctx, "admin", func(h canary.Hit) bool { return h.TokenSent }); err != nil {
			t.Fatalf("WaitCanary: %v", err)
		}
		hits := get(t, ctx, f, other, func(f Fakes, ctx context.Context) ([]canary.Hit, error) { return f.CanaryHits(ctx, "admin") })
		if len(hits) != 1 || hits[0].Local != addr || hits[0].Kind != canary.KindTCP {
			t.Errorf("hits = %+v, want one TCP hit at %s", hits, addr)
		}
		return []any{len(hits), hits[0].Canary, hits[0].Kind, hits[0].TokenSent}
	}},
	{"clearing empties the logs and removes the programs", func(t *testing.T, ctx context.Context, f, other Fakes) any {
		must(t, f.ClearPrograms(ctx))
		must(t, f.ClearDNSLog(ctx))
		must(t, f.ClearUpstreamLog(ctx, "api"))
		must(t, f.ClearCanary(ctx, "admin"))
		dnsLog := get(t, ctx, f, other, readDNSLog)
		events := get(t, ctx, f, other, func(f Fakes, ctx context.Context) ([]upstream.Event, error) { return f.UpstreamLog(ctx, "api") })
		hits := get(t, ctx, f, other, func(f Fakes, ctx context.Context) ([]canary.Hit, error) { return f.CanaryHits(ctx, "admin") })
		if len(dnsLog)+len(events)+len(hits) != 0 {
			t.Errorf("after clearing: %d queries, %d events, %d hits; want none", len(dnsLog), len(events), len(hits))
		}
		m := query(t, ctx, dnsAddr(t, ctx, f), "api.xbcheck.test.", mdns.TypeA)
		if m.Rcode != mdns.RcodeNameError {
			t.Errorf("after ClearPrograms the answer is %s, want NXDOMAIN", mdns.RcodeToString[m.Rcode])
		}
		return []any{dnsLog, events, hits}
	}},
	{"unknown names are NotFoundErrors listing the names that exist", func(t *testing.T, ctx context.Context, f, other Fakes) any {
		var errs []error
		for _, call := range []func(Fakes) error{
			func(f Fakes) error { _, err := f.UpstreamLog(ctx, "nope"); return err },
			func(f Fakes) error { return f.ClearUpstreamLog(ctx, "nope") },
			func(f Fakes) error { _, err := f.WaitUpstream(ctx, "nope", nil); return err },
			func(f Fakes) error { _, err := f.CanaryHits(ctx, "nope"); return err },
			func(f Fakes) error { return f.ClearCanary(ctx, "nope") },
			func(f Fakes) error { _, err := f.WaitCanary(ctx, "nope", nil); return err },
			func(f Fakes) error { return f.StopUpstream(ctx, "nope") },
			func(f Fakes) error { return f.DropConnections(ctx, "nope") },
			func(f Fakes) error { return f.StopCanary(ctx, "nope") },
		} {
			err, otherErr := call(f), call(other)
			var nf *NotFoundError
			if !errors.As(err, &nf) || len(nf.Known) != 1 {
				t.Errorf("error %v (%T), want a *NotFoundError naming the one fake that exists", err, err)
			}
			if !reflect.DeepEqual(err, otherErr) {
				t.Errorf("the two paths disagree: %#v and %#v", err, otherErr)
			}
			errs = append(errs, err)
		}
		return errs
	}},
	{"a program the DNS server refuses is an InvalidError", func(t *testing.T, ctx context.Context, f, other Fakes) any {
		var errs []error
		for _, call := range []func(Fakes) error{
			func(f Fakes) error {
				return f.SetProgram(ctx, "api.xbcheck.test.", mdns.TypeA, dns.Static(dns.Records(0, "A not-an-address")))
			},
			func(f Fakes) error {
				return f.SetProgram(ctx, "api..example.com.", mdns.TypeA, dns.Static(dns.NXDomain()))
			},
			func(f Fakes) error {
				return f.SetProgram(ctx, "api.xbcheck.test.", mdns.TypeA, dns.Program{Kind: "sometimes"})
			},
		} {
			err, otherErr := call(f), call(other)
			var invalid *InvalidError
			if !errors.As(err, &invalid) {
				t.Errorf("error %v (%T), want an *InvalidError", err, err)
			}
			if !reflect.DeepEqual(err, otherErr) {
				t.Errorf("the two paths disagree: %#v and %#v", err, otherErr)
			}
			errs = append(errs, err)
		}
		return errs
	}},
	{"an upstream started with the caller's CA serves a certificate that chains to it", startWithAuthority},
	{"a ClientCertRequired upstream accepts only clients its ClientCA signed", startRequiringClientCA},
	{"upstreams without a host get the next addresses of the simulated internet", allocateAddresses},
	{"a role or a name in use is refused, naming the field", refuseDuplicates},
	{"an address the fakes may not bind is refused, naming it", refuseGuardedAddresses},
	{"a spec the fakes cannot serve is refused, naming the field", refuseInvalidSpecs},
	{"dropping an upstream's connections makes a pooled client dial again", dropConnections},
	{"a canary started at run time records hits until it is stopped", startAndStopCanary},
	{"a wait on a fake that is stopped ends with NotFound", waitOnStoppedFakes},
	{"the DNS log keeps only the names asked for", filterDNSLog},
	{"waiting ends with the context", func(t *testing.T, ctx context.Context, f, _ Fakes) any {
		done, cancel := context.WithCancel(ctx)
		cancel()
		never := func(any) bool { return false }
		_, errDNS := f.WaitDNS(done, func(q dns.Query) bool { return never(q) })
		_, errUp := f.WaitUpstream(done, "api", func(e upstream.Event) bool { return never(e) })
		_, errCanary := f.WaitCanary(done, "admin", func(h canary.Hit) bool { return never(h) })
		for _, err := range []error{errDNS, errUp, errCanary} {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("wait with an ended context: %v, want context.Canceled", err)
			}
		}
		return nil
	}},
}

// TestLocalAndRemoteAgree runs the same operations through Local and Remote over one
// standalone process and asserts that both observe the same.
func TestLocalAndRemoteAgree(t *testing.T) {
	s := startStandalone(t)
	local := Fakes(s.Local())
	remote := Fakes(&Remote{URL: s.URL(), MaxPoll: 50 * time.Millisecond})
	paths := []struct {
		name     string
		f, other Fakes
	}{{"local", local, remote}, {"remote", remote, local}}
	results := map[string][]string{}
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) {
			for _, op := range operations {
				t.Run(op.name, func(t *testing.T) {
					results[path.name] = append(results[path.name], op.name+": "+asJSON(t, op.do(t, t.Context(), path.f, path.other)))
				})
			}
		})
	}
	if !slices.Equal(results["local"], results["remote"]) {
		t.Errorf("the paths observed different things:\nlocal:  %q\nremote: %q", results["local"], results["remote"])
	}
}

// TestRemoteWaitSeesLaterEntries proves that polling finds an entry logged after the wait began.
func TestRemoteWaitSeesLaterEntries(t *testing.T) {
	s := startStandalone(t)
	remote := &Remote{URL: s.URL()}
	found := make(chan error, 1)
	go func() {
		_, err := remote.WaitDNS(t.Context(), func(q dns.Query) bool { return q.Name == "later.xbcheck.test." })
		found <- err
	}()
	query(t, t.Context(), dnsAddr(t, t.Context(), s.Local()), "later.xbcheck.test.", mdns.TypeA)
	if err := <-found; err != nil {
		t.Fatalf("WaitDNS: %v", err)
	}
}

// TestRunPrintsTheControlAPIFirst reads Run's output the way a script would.
// TestRunExitsWhenIdle: with control.exitWhenIdle, Run ends by itself once
// the control API has had no request for that long, saying so, while
// requests keep it running.
func TestRunExitsWhenIdle(t *testing.T) {
	cfg := Config{Control: ControlConfig{ExitWhenIdle: "2s"}}
	out, log := io.Pipe()
	ran := make(chan error, 1)
	go func() {
		ran <- Run(t.Context(), cfg, log)
		log.Close()
	}()
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatalf("Run printed nothing: %v", <-ran)
	}
	url := strings.TrimPrefix(lines.Text(), "control-api ")
	// Busy for several idle periods: Run must still serve.
	for range 10 {
		if _, err := (&Remote{URL: url}).Summary(t.Context()); err != nil {
			t.Fatalf("Run stopped while its control API was in use: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var seen []string
	for lines.Scan() {
		seen = append(seen, lines.Text())
	}
	if err := <-ran; err != nil {
		t.Errorf("Run after going idle: %v, want nil", err)
	}
	if !slices.ContainsFunc(seen, func(l string) bool { return strings.HasPrefix(l, "stopping: no request to the control API for ") }) {
		t.Errorf("Run printed %q, want it to say it stopped for want of requests", seen)
	}
}

func TestRunPrintsTheControlAPIFirst(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	out, log := io.Pipe()
	ran := make(chan error, 1)
	go func() {
		ran <- Run(ctx, testConfig(), log)
		log.Close()
	}()
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatalf("Run printed nothing: %v", <-ran)
	}
	var url string
	if n, err := fmt.Sscanf(lines.Text(), "control-api %s", &url); n != 1 || err != nil {
		t.Fatalf("first line %q, want \"control-api URL\"", lines.Text())
	}
	sum, err := (&Remote{URL: url}).Summary(ctx)
	if err != nil || len(sum.Upstreams) != 1 {
		t.Fatalf("Summary through %s: %+v, %v", url, sum, err)
	}
	rest := make(chan []string)
	go func() {
		var seen []string
		for lines.Scan() {
			seen = append(seen, lines.Text())
		}
		rest <- seen
	}()
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("Run after its context ended: %v, want nil", err)
	}
	seen := <-rest
	for _, prefix := range []string{"dns " + sum.DNS.Addr + " zone xbcheck.test.", "upstream api ", "canary admin "} {
		if !slices.ContainsFunc(seen, func(line string) bool { return strings.HasPrefix(line, prefix) }) {
			t.Errorf("Run printed %q, want a line starting %q", seen, prefix)
		}
	}
	if _, err := (&Remote{URL: url}).Summary(t.Context()); err == nil {
		t.Errorf("the control API still answers after Run returned")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// get reads through f and through other, fails unless both agree, and returns f's result.
func get[T any](t *testing.T, ctx context.Context, f, other Fakes, read func(Fakes, context.Context) (T, error)) T {
	t.Helper()
	got, err := read(f, ctx)
	if err != nil {
		t.Fatal(err)
	}
	otherGot, err := read(other, ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := asJSON(t, got), asJSON(t, otherGot); a != b {
		t.Fatalf("the two paths read different things:\n%s\n%s", a, b)
	}
	return got
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func dnsAddr(t *testing.T, ctx context.Context, f Fakes) string {
	t.Helper()
	sum, err := f.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return sum.DNS.Addr
}

func query(t *testing.T, ctx context.Context, addr, name string, qtype uint16) *mdns.Msg {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	reply, _, err := new(mdns.Client).ExchangeContext(ctx, m, addr)
	if err != nil {
		t.Fatalf("DNS query %s to %s: %v", name, addr, err)
	}
	return reply
}

func lookup(t *testing.T, ctx context.Context, addr, name string, qtype uint16) []string {
	t.Helper()
	var answers []string
	for _, rr := range query(t, ctx, addr, name, qtype).Answer {
		answers = append(answers, rr.String())
	}
	return answers
}

// httpsGet fetches target from the upstream at addr, trusting caPEM, and returns what it observed.
func httpsGet(t *testing.T, ctx context.Context, addr, target, caPEM string) upstream.Observation {
	t.Helper()
	seen, err := httpsDo(ctx, addr, target, caPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// httpsDo fetches target from the upstream at addr, trusting only caPEM and presenting
// client when not nil, and returns what the upstream observed.
func httpsDo(ctx context.Context, addr, target, caPEM string, client *tls.Certificate) (upstream.Observation, error) {
	var seen upstream.Observation
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		return seen, fmt.Errorf("no certificate in the CA PEM %q", caPEM)
	}
	conf := &tls.Config{RootCAs: pool}
	if client != nil {
		conf.Certificates = []tls.Certificate{*client}
	}
	transport := &http.Transport{
		TLSClientConfig:   conf,
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	defer transport.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return seen, err
	}
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		return seen, fmt.Errorf("GET %s at %s: %w", target, addr, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&seen); err != nil {
		return seen, fmt.Errorf("upstream answer: %w", err)
	}
	return seen, nil
}

// rawToken connects to a canary, says something that is neither TLS nor HTTP, and returns its answer.
func rawToken(t *testing.T, ctx context.Context, addr string) string {
	t.Helper()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("dial canary %s: %v", addr, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("\x00ping\n")); err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("reading the canary: %v", err)
	}
	return strings.TrimSuffix(string(answer), "\n")
}

// readDNSLog reads the whole DNS log, for get.
func readDNSLog(f Fakes, ctx context.Context) ([]dns.Query, error) { return f.DNSLog(ctx) }

// TestStandaloneServesTheProbe sends a probe through the process to one of
// its own canaries: what a harness outside a cluster does through a fakes
// pod.
func TestStandaloneServesTheProbe(t *testing.T) {
	s, err := Start(t.Context(), testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum, err := s.Local().Summary(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := sum.Canaries[0]
	res, err := (&probe.Client{URL: s.URL() + "/v1/probe"}).Get(t.Context(), probe.Request{URL: "http://" + c.Addrs[0].String() + "/through-the-probe"})
	if err != nil {
		t.Fatal(err)
	}
	hits, err := s.Local().CanaryHits(t.Context(), c.Name)
	if err != nil || len(hits) != 1 || !strings.Contains(string(res.Body), c.Token) {
		t.Errorf("probe of canary %s: answer %d %q (error %q), %d hits (%v); want its token %s and one hit", c.Name, res.Status, res.Body, res.Error, len(hits), err, c.Token)
	}
}
