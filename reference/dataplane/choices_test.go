package dataplane

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// Each choice of the data plane changes what a client or an upstream sees.

func TestChoiceRefusedStatus(t *testing.T) {
	denied := Options{Resolver: &fakeResolver{script: [][]Answer{answers(0, "127.0.0.1")}}}
	for _, tc := range []struct {
		choice    string
		wantCode  int
		wantEmpty bool
	}{
		{"", http.StatusBadGateway, false},
		{"refused-500", http.StatusInternalServerError, false},
		{"refused-503", http.StatusServiceUnavailable, false},
		{"refused-504", http.StatusGatewayTimeout, false},
		{"empty-error-body", http.StatusBadGateway, true},
	} {
		o := denied
		o.Faults = mustParseFaults(t, tc.choice)
		rec := serveProxy(t, plainBackend(9), o, "")
		if rec.Code != tc.wantCode || (rec.Body.Len() == 0) != tc.wantEmpty {
			t.Errorf("choice %q: a request the guardrail refuses got %d with %d body bytes, want %d and an empty body: %v",
				tc.choice, rec.Code, rec.Body.Len(), tc.wantCode, tc.wantEmpty)
		}
	}
	noPods := Backend{Name: "ns/pods", Selector: true, Port: 8080}
	if rec := serveProxy(t, noPods, loopback("refused-500", t), ""); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("refused-500 answered an EndpointSelector without ready pods %d, want the 503 the API asks for", rec.Code)
	}
}

func TestChoiceDNSCache(t *testing.T) {
	for _, tc := range []struct {
		choice    string
		ttl       time.Duration
		wantCalls []int // after lookups at 0, 2s, 4s and 6s
	}{
		{"", time.Second, []int{1, 2, 3, 4}},
		{"dns-min-ttl", time.Second, []int{1, 1, 1, 2}},
		{"", time.Minute, []int{1, 1, 1, 1}},
		{"dns-no-cache", time.Minute, []int{1, 2, 3, 4}},
	} {
		r := &fakeResolver{script: [][]Answer{answers(tc.ttl, "127.0.0.1")}}
		c := newCache(r, mustParseFaults(t, tc.choice))
		start := time.Unix(1_000_000, 0)
		for i, at := range []time.Duration{0, 2 * time.Second, 4 * time.Second, 6 * time.Second} {
			c.now = func() time.Time { return start.Add(at) }
			if _, err := c.Resolve(context.Background(), appHost); err != nil {
				t.Fatal(err)
			}
			if r.Calls() != tc.wantCalls[i] {
				t.Errorf("choice %q, TTL %v: after %v, %d lookups, want %d", tc.choice, tc.ttl, at, r.Calls(), tc.wantCalls[i])
			}
		}
	}
}

func TestChoiceConnectionPerRequest(t *testing.T) {
	for choice, want := range map[string]int64{"": 1, "connection-per-request": 3} {
		u := mustStartUpstream(t, nil, h1)
		tr, err := NewTransport(plainBackend(u.addr.Port()), loopback(choice, t))
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := roundTrip(tr); err != nil {
				t.Fatal(err)
			}
		}
		tr.CloseIdleConnections()
		if n := u.accepted.Load(); n != want {
			t.Errorf("choice %q: 3 requests opened %d connections, want %d", choice, n, want)
		}
	}
}

func TestChoiceALPN(t *testing.T) {
	ca := newCA(t, "ca")
	both := mustStartUpstream(t, serverTLS(ca.leaf(t, leafSpec{dnsNames: []string{apiHost}})), h1h2)
	for _, tc := range []struct {
		protocol Protocol
		choice   string
		want     string
	}{
		{ProtocolHTTP, "", "h2"},
		{ProtocolHTTP, "http11-for-protocol-http", "http/1.1"},
		{ProtocolUnset, "", "http/1.1"},
		{ProtocolUnset, "h2-alpn-when-protocol-unset", "h2"},
	} {
		b := serverOnly(both, ca)
		b.Protocol = tc.protocol
		s, err := get(t, b, loopback(tc.choice, t))
		if err != nil || s.ALPN != tc.want {
			t.Errorf("protocol %q, choice %q: ALPN %q (err %v), want %q", tc.protocol, tc.choice, s.ALPN, err, tc.want)
		}
	}
}

func TestChoiceForwardingHeaders(t *testing.T) {
	u, err := startUpstream(t, "127.0.0.1", 0, nil, h1, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(r.Header)
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		choice           string
		wantVia, wantXFF bool
	}{
		{"", false, true},
		{"via-header", true, true},
		{"no-x-forwarded", false, false},
	} {
		rec := serveProxy(t, plainBackend(u.addr.Port()), loopback(tc.choice, t), "")
		var upstream http.Header
		if err := json.Unmarshal(rec.Body.Bytes(), &upstream); err != nil {
			t.Fatalf("choice %q: %d %q: %v", tc.choice, rec.Code, rec.Body, err)
		}
		if got := upstream.Get("Via") == Via && rec.Header().Get("Via") == Via; got != tc.wantVia {
			t.Errorf("choice %q: Via upstream %q, to the client %q; want %q on both: %v", tc.choice, upstream.Get("Via"), rec.Header().Get("Via"), Via, tc.wantVia)
		}
		if got := upstream.Get("X-Forwarded-For") != "" && upstream.Get("X-Forwarded-Proto") != ""; got != tc.wantXFF {
			t.Errorf("choice %q: X-Forwarded-For %q, X-Forwarded-Proto %q; want both: %v", tc.choice, upstream.Get("X-Forwarded-For"), upstream.Get("X-Forwarded-Proto"), tc.wantXFF)
		}
	}
}

func TestChoiceSessionCookieSameSite(t *testing.T) {
	for strict, want := range map[bool]http.SameSite{false: 0, true: http.SameSiteStrictMode} {
		s := &Session{Type: SessionCookie, Strict: strict}
		h := http.Header{}
		s.issue("ns/app", h, netip.MustParseAddr("10.0.0.1"))
		cookies := (&http.Response{Header: h}).Cookies()
		if len(cookies) != 1 || cookies[0].SameSite != want || cookies[0].Path != "/" {
			t.Errorf("Strict=%v: cookies %v, want one with SameSite %v and Path /", strict, cookies, want)
		}
	}
}
