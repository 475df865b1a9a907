package dataplane

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func serveProxy(t *testing.T, b Backend, o Options, rewriteHost string) *httptest.ResponseRecorder {
	t.Helper()
	tr, err := NewTransport(b, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.CloseIdleConnections)
	req := httptest.NewRequest("GET", "http://gateway.example/api/v1?q=1", nil)
	req.Host = "client.example"
	rec := httptest.NewRecorder()
	NewProxy(tr, rewriteHost).ServeHTTP(rec, req)
	return rec
}

func TestProxyHostHeader(t *testing.T) {
	u := mustStartUpstream(t, nil, h1)
	for _, tc := range []struct {
		rewrite, faults, want string
	}{
		{want: appHost},
		{rewrite: "rewritten.example", want: "rewritten.example"},
		{faults: "pass-client-host", want: "client.example"},
		{rewrite: "rewritten.example", faults: "pass-client-host", want: "client.example"},
	} {
		rec := serveProxy(t, plainBackend(u.addr.Port()), loopback(tc.faults, t), tc.rewrite)
		var s seen
		if err := json.NewDecoder(rec.Body).Decode(&s); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("status %d, decoding: %v", rec.Code, err)
		}
		if s.Host != tc.want || s.Path != "/api/v1?q=1" || s.ForwardFor == "" {
			t.Errorf("rewrite %q faults %q: upstream saw Host %q path %q X-Forwarded-For %q, want Host %q and the client's path",
				tc.rewrite, tc.faults, s.Host, s.Path, s.ForwardFor, tc.want)
		}
	}
}

func TestProxySNIIsTheValidationHostnameWhateverTheHost(t *testing.T) {
	ca := newCA(t, "ca")
	u := mustStartUpstream(t, serverTLS(ca.leaf(t, leafSpec{dnsNames: []string{apiHost}})), h1h2)
	for _, tc := range []struct {
		rewrite, faults, want string
	}{
		{want: apiHost},
		{rewrite: "rewritten.example", want: apiHost},
		{faults: "sni-from-host", want: appHost},
		{rewrite: "rewritten.example", faults: "sni-from-host", want: "rewritten.example"},
	} {
		rec := serveProxy(t, serverOnly(u, ca), loopback(tc.faults, t), tc.rewrite)
		var s seen
		if err := json.NewDecoder(rec.Body).Decode(&s); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("rewrite %q faults %q: status %d, decoding: %v", tc.rewrite, tc.faults, rec.Code, err)
		}
		if s.SNI != tc.want {
			t.Errorf("rewrite %q faults %q: upstream saw SNI %q, want %q", tc.rewrite, tc.faults, s.SNI, tc.want)
		}
	}
}

func TestProxyFailsClosedWithTheReason(t *testing.T) {
	ca := newCA(t, "ca")
	plain := mustStartUpstream(t, nil, h1)
	for _, tc := range []struct {
		name    string
		backend Backend
		o       Options
		want    string
	}{
		{name: "guardrail", backend: plainBackend(plain.addr.Port()),
			o:    Options{Resolver: &fakeResolver{script: [][]Answer{answers(0, "127.0.0.1")}}},
			want: "127.0.0.1 is loopback (127.0.0.0/8)"},
		{name: "TLS to a cleartext server", backend: serverOnly(plain, ca), o: loopback("", t),
			want: "TLS handshake with app.xbcheck.test"},
	} {
		rec := serveProxy(t, tc.backend, tc.o, "")
		body := rec.Body.String()
		if rec.Code != http.StatusBadGateway || !strings.HasPrefix(body, "xbackend ns/app: ") ||
			!strings.Contains(body, tc.want) || strings.Count(body, "\n") != 1 {
			t.Errorf("%s: %d %q, want 502 and one line naming %q", tc.name, rec.Code, body, tc.want)
		}
	}
	if n := plain.accepted.Load(); n != 1 {
		t.Errorf("cleartext upstream accepted %d connections, want only the failed TLS attempt", n)
	}
}

func TestAdminHandlerServesTheSecret(t *testing.T) {
	rec := httptest.NewRecorder()
	AdminHandler("s3cret").ServeHTTP(rec, httptest.NewRequest("GET", "/anything", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "s3cret\n" {
		t.Errorf("admin answered %d %q, want 200 s3cret", rec.Code, rec.Body.String())
	}
}
