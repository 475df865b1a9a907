package canary

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/xbcheck/xbcheck/fixtures/pki"
)

func start(t *testing.T, cfg Config) *Canary {
	t.Helper()
	c, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// waitContext bounds a wait so that a missing hit fails the test instead of hanging it.
func waitContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func waitHit(t *testing.T, c *Canary, what string, match func(Hit) bool) Hit {
	t.Helper()
	h, err := c.Wait(waitContext(t), match)
	if err != nil {
		t.Fatalf("waiting for %s: %v; hits: %+v", what, err, c.Hits())
	}
	return h
}

func from(conn net.Conn) func(Hit) bool {
	return func(h Hit) bool { return h.Peer == conn.LocalAddr().String() }
}

func dial(t *testing.T, addr netip.AddrPort) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

func TestAcceptIsRecordedBeforeAnyByte(t *testing.T) {
	c := start(t, Config{Name: "silent", Addrs: []string{"127.0.0.1:0"}, FirstByteWait: time.Hour})
	conn := dial(t, c.Addrs()[0])
	// Nothing is sent and the canary waits an hour for a first byte: only the accept can have made this hit.
	hit := waitHit(t, c, "the accept", from(conn))
	if hit.Kind != "" || hit.Local != c.Addrs()[0].String() || hit.Canary != "silent" || hit.Time.IsZero() {
		t.Errorf("hit %+v, want no kind yet, local %s, canary silent and a time", hit, c.Addrs()[0])
	}
}

func TestSilentConnectionGetsTheToken(t *testing.T) {
	c := start(t, Config{Addrs: []string{"127.0.0.1:0"}, FirstByteWait: 50 * time.Millisecond})
	conn := dial(t, c.Addrs()[0])
	if got := readAll(t, conn); got != c.Token()+"\n" {
		t.Errorf("silent client read %q, want the token", got)
	}
	hit := waitHit(t, c, "the token sent", func(h Hit) bool { return from(conn)(h) && h.TokenSent })
	if hit.Kind != KindTCP {
		t.Errorf("kind %q, want %q", hit.Kind, KindTCP)
	}
}

func TestClientThatLeavesAtOnceIsRecorded(t *testing.T) {
	c := start(t, Config{Addrs: []string{"127.0.0.1:0"}})
	conn := dial(t, c.Addrs()[0])
	local := conn.LocalAddr().String()
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	hit := waitHit(t, c, "the hit of a closed connection", func(h Hit) bool { return h.Peer == local && h.Kind != "" })
	if hit.Kind != KindTCP || hit.TokenSent {
		t.Errorf("hit %+v, want kind tcp and no token sent", hit)
	}
}

func TestRawBytesGetTheToken(t *testing.T) {
	c := start(t, Config{Addrs: []string{"127.0.0.1:0"}})
	conn := dial(t, c.Addrs()[0])
	if _, err := conn.Write([]byte("\x00\x01 not a protocol\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, conn); got != c.Token()+"\n" {
		t.Errorf("read %q, want the token", got)
	}
	hit := waitHit(t, c, "the token sent", func(h Hit) bool { return from(conn)(h) && h.TokenSent })
	if hit.Kind != KindTCP || len(hit.Requests) != 0 {
		t.Errorf("hit %+v, want kind tcp and no request", hit)
	}
}

func TestHTTPClientGetsTheToken(t *testing.T) {
	c := start(t, Config{Name: "metadata", Addrs: []string{"127.0.0.1:0"}})
	conn := dial(t, c.Addrs()[0])
	req, err := http.NewRequest(http.MethodGet, "http://metadata.xbcheck.test/latest/meta-data/?x=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body := readAll(t, resp.Body); resp.StatusCode != http.StatusOK || body != c.Token()+"\n" {
		t.Errorf("got %d %q, want 200 and the token", resp.StatusCode, body)
	}
	if got := resp.Header.Get(TokenHeader); got != c.Token() {
		t.Errorf("%s = %q, want %q", TokenHeader, got, c.Token())
	}
	hit := waitHit(t, c, "the HTTP hit", func(h Hit) bool { return from(conn)(h) && h.TokenSent })
	want := []Request{{Protocol: "HTTP/1.1", Method: http.MethodGet, Host: "metadata.xbcheck.test", Path: "/latest/meta-data/?x=1"}}
	if hit.Kind != KindHTTP || !reflect.DeepEqual(hit.Requests, want) {
		t.Errorf("hit %+v, want kind http and requests %+v", hit, want)
	}
}

func TestTLSClientSNIIsRecordedAndGetsTheToken(t *testing.T) {
	c := start(t, Config{Addrs: []string{"127.0.0.1:0"}})
	for _, tc := range []struct {
		name      string
		alpn      []string
		wantProto string
	}{
		{"HTTP/1.1", []string{"http/1.1"}, "HTTP/1.1"},
		{"HTTP/2", []string{"h2", "http/1.1"}, "HTTP/2.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := tls.Client(dial(t, c.Addrs()[0]), &tls.Config{ServerName: "x.xbcheck.test", NextProtos: tc.alpn, InsecureSkipVerify: true})
			req, err := http.NewRequest(http.MethodGet, "https://x.xbcheck.test/admin", nil)
			if err != nil {
				t.Fatal(err)
			}
			var resp *http.Response
			if tc.wantProto == "HTTP/2.0" {
				cc, err := (&http2.Transport{}).NewClientConn(conn)
				if err != nil {
					t.Fatal(err)
				}
				resp, err = cc.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
			} else {
				if err := req.Write(conn); err != nil {
					t.Fatal(err)
				}
				if resp, err = http.ReadResponse(bufio.NewReader(conn), req); err != nil {
					t.Fatal(err)
				}
			}
			defer resp.Body.Close()
			if body := readAll(t, resp.Body); body != c.Token()+"\n" || resp.Header.Get(TokenHeader) != c.Token() {
				t.Errorf("got %q with %s %q, want the token in both", body, TokenHeader, resp.Header.Get(TokenHeader))
			}
			hit := waitHit(t, c, "the TLS hit", func(h Hit) bool { return from(conn)(h) && h.TokenSent })
			if hit.Kind != KindTLS || hit.SNI != "x.xbcheck.test" || !slices.Equal(hit.ALPNOffered, tc.alpn) {
				t.Errorf("hit %+v, want kind tls, SNI x.xbcheck.test, ALPN %v", hit, tc.alpn)
			}
			if len(hit.Requests) != 1 || hit.Requests[0].Protocol != tc.wantProto || hit.Requests[0].Path != "/admin" {
				t.Errorf("requests %+v, want one %s request for /admin", hit.Requests, tc.wantProto)
			}
		})
	}
}

func TestSNIIsRecordedEvenWhenTheClientRefusesTheCertificate(t *testing.T) {
	c := start(t, Config{Addrs: []string{"127.0.0.1:0"}})
	conn := tls.Client(dial(t, c.Addrs()[0]), &tls.Config{ServerName: "x.xbcheck.test"})
	if err := conn.HandshakeContext(waitContext(t)); err == nil {
		t.Fatal("a verifying client accepted the canary's throw-away certificate")
	}
	hit := waitHit(t, c, "the failed handshake", func(h Hit) bool { return from(conn)(h) && h.HandshakeError != "" })
	if hit.SNI != "x.xbcheck.test" || hit.TokenSent {
		t.Errorf("hit %+v, want SNI x.xbcheck.test and no token sent", hit)
	}
}

func TestConfiguredCertificateIsPresented(t *testing.T) {
	ca, err := pki.NewAuthority("trusted")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(pki.LeafOptions{DNSNames: []string{"x.xbcheck.test"}})
	if err != nil {
		t.Fatal(err)
	}
	c := start(t, Config{Addrs: []string{"127.0.0.1:0"}, Certificate: &leaf.TLS})
	conn := tls.Client(dial(t, c.Addrs()[0]), &tls.Config{ServerName: "x.xbcheck.test", RootCAs: ca.Pool()})
	if err := conn.HandshakeContext(waitContext(t)); err != nil {
		t.Fatalf("handshake with a trusted certificate: %v", err)
	}
}

func TestH2CClientGetsTheToken(t *testing.T) {
	c := start(t, Config{Addrs: []string{"127.0.0.1:0"}})
	conn := dial(t, c.Addrs()[0])
	cc, err := (&http2.Transport{AllowHTTP: true}).NewClientConn(conn)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, "http://x.xbcheck.test/h2c", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cc.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body := readAll(t, resp.Body); body != c.Token()+"\n" {
		t.Errorf("body %q, want the token", body)
	}
	hit := waitHit(t, c, "the h2c hit", func(h Hit) bool { return from(conn)(h) && h.TokenSent })
	if hit.Kind != KindHTTP || len(hit.Requests) != 1 || hit.Requests[0].Protocol != "HTTP/2.0" {
		t.Errorf("hit %+v, want kind http with one HTTP/2.0 request", hit)
	}
}

func TestSeveralAddresses(t *testing.T) {
	extra, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := start(t, Config{Listeners: []net.Listener{extra}, Addrs: []string{"127.0.0.2:0", "127.0.0.3:0"}})
	addrs := c.Addrs()
	if len(addrs) != 3 || addrs[0].Addr() != netip.MustParseAddr("127.0.0.1") ||
		addrs[1].Addr() != netip.MustParseAddr("127.0.0.2") || addrs[2].Addr() != netip.MustParseAddr("127.0.0.3") {
		t.Fatalf("Addrs() = %v, want the listener then 127.0.0.2 and 127.0.0.3", addrs)
	}
	for _, addr := range addrs {
		conn := dial(t, addr)
		if hit := waitHit(t, c, "a hit on "+addr.String(), from(conn)); hit.Local != addr.String() {
			t.Errorf("hit local %q, want %q", hit.Local, addr)
		}
	}
	if got := len(c.Hits()); got != 3 {
		t.Errorf("%d hits, want 3", got)
	}
}

func TestTokensResetWaitAndJSON(t *testing.T) {
	a := start(t, Config{Addrs: []string{"127.0.0.1:0"}, FirstByteWait: time.Millisecond})
	b := start(t, Config{Addrs: []string{"127.0.0.1:0"}})
	if a.Token() == "" || a.Token() == b.Token() {
		t.Fatalf("tokens %q and %q, want two different non-empty tokens", a.Token(), b.Token())
	}
	conn := dial(t, a.Addrs()[0])
	if got := readAll(t, conn); got != a.Token()+"\n" {
		t.Fatalf("read %q, want the token", got)
	}
	first := waitHit(t, a, "the token sent", func(h Hit) bool { return h.TokenSent })

	hits := a.Hits()
	data, err := json.Marshal(hits)
	if err != nil {
		t.Fatal(err)
	}
	var decoded []Hit
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	if len(decoded) != len(hits) {
		t.Fatalf("JSON round trip gave %d hits, want %d", len(decoded), len(hits))
	}
	for i := range hits { // JSON keeps the instant, not the monotonic reading or the zone
		hits[i].Time = hits[i].Time.UTC()
		decoded[i].Time = decoded[i].Time.UTC()
	}
	if !reflect.DeepEqual(decoded, hits) {
		t.Errorf("JSON round trip changed the hits\n got %+v\nwant %+v", decoded, hits)
	}

	a.Reset()
	if got := a.Hits(); len(got) != 0 {
		t.Errorf("after Reset, Hits() = %+v", got)
	}
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := a.Wait(ended, func(Hit) bool { return true }); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait after Reset with an ended context: %v, want context.Canceled", err)
	}
	next := dial(t, a.Addrs()[0])
	if hit := waitHit(t, a, "a hit after Reset", func(Hit) bool { return true }); hit.Seq <= first.Seq || !from(next)(hit) {
		t.Errorf("after Reset, got %+v, want the new connection with a higher seq", hit)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no address":      {},
		"invalid address": {Addrs: []string{"127.0.0.1:0", "127.0.0.1:notaport"}},
	} {
		if c, err := Start(context.Background(), cfg); err == nil {
			_ = c.Close()
			t.Errorf("%s: Start succeeded", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", name, err)
		}
	}
}

func canaryGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "fakes/canary.(*Canary)") || strings.Contains(g, "http2.(*serverConn)") {
			found = append(found, g)
		}
	}
	return found
}

func TestCloseEndsEveryGoroutine(t *testing.T) {
	c, err := Start(context.Background(), Config{Addrs: []string{"127.0.0.1:0", "127.0.0.2:0"}})
	if err != nil {
		t.Fatal(err)
	}
	silent := dial(t, c.Addrs()[0]) // waiting for its first byte
	h2c := dial(t, c.Addrs()[1])
	cc, err := (&http2.Transport{AllowHTTP: true}).NewClientConn(h2c)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://x.xbcheck.test/", nil)
	resp, err := cc.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close() // the HTTP/2 connection stays open
	waitHit(t, c, "the silent accept", from(silent))

	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for _, addr := range c.Addrs() {
		if _, err := net.Dial("tcp", addr.String()); err == nil {
			t.Errorf("%s still accepts after Close", addr)
		}
	}
	// The canary's own goroutines are gone when Close returns; the HTTP/2 server's
	// frame reader finishes just after its connection closes, so give it a moment.
	ctx := waitContext(t)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for left := canaryGoroutines(); len(left) > 0; left = canaryGoroutines() {
		select {
		case <-ctx.Done():
			t.Fatalf("%d canary goroutines left after Close:\n%s", len(left), strings.Join(left, "\n\n"))
		case <-tick.C:
		}
	}
}

func TestEndedContextClosesTheCanary(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	c, err := Start(ctx, Config{Addrs: []string{"127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := c.Close(); err != nil { // waits for the close the cancellation started
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", c.Addrs()[0].String()); err == nil {
		t.Errorf("canary still accepts after its context ended")
	}
}
