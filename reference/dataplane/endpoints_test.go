package dataplane

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// twoEndpoints starts two cleartext upstreams on one port at 127.0.3.1
// and 127.0.3.2, each answering with its address, and returns them.
func twoEndpoints(t *testing.T) ([]netip.Addr, int) {
	t.Helper()
	var addrs []netip.Addr
	port := 0
	for _, ip := range []string{"127.0.3.1", "127.0.3.2"} {
		u, err := startUpstream(t, ip, port, nil, protocols(true, false, false), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(ip))
		}))
		if err != nil {
			t.Skipf("cannot listen on %s: %v", ip, err)
		}
		port = int(u.addr.Port())
		addrs = append(addrs, u.addr.Addr())
	}
	return addrs, port
}

// serve sends one request through p with header h and returns the body
// and the response.
func serve(p *Proxy, h http.Header) (string, *http.Response) {
	req := httptest.NewRequest(http.MethodGet, "http://gw.example/", nil)
	for k, v := range h {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, req)
	return rec.Body.String(), rec.Result()
}

func TestEndpointSelectorSpreadsAndAnswers503WithoutEndpoints(t *testing.T) {
	addrs, port := twoEndpoints(t)
	// The zero guardrail denies loopback: the endpoints pass because they
	// came from the API server, not from DNS.
	o := Options{Resolver: &fakeResolver{}}
	tr, err := NewTransport(Backend{Name: "ns/pods", Selector: true, Endpoints: addrs, Port: port}, o)
	if err != nil {
		t.Fatal(err)
	}
	p := NewProxy(tr, "")
	seen := map[string]bool{}
	for range 40 {
		body, resp := serve(p, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		seen[body] = true
	}
	if len(seen) != 2 {
		t.Errorf("40 requests reached %v, want both endpoints", seen)
	}
	empty, err := NewTransport(Backend{Name: "ns/pods", Selector: true, Port: port}, o)
	if err != nil {
		t.Fatal(err)
	}
	if body, resp := serve(NewProxy(empty, ""), nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("no endpoint: status %d (%s), want 503", resp.StatusCode, body)
	}
}

func TestSessionsStayOnTheirEndpoint(t *testing.T) {
	addrs, port := twoEndpoints(t)
	for _, c := range []struct {
		session *Session
		carry   func(*http.Response) http.Header
	}{
		{&Session{Type: SessionCookie, Name: "sticky"}, func(r *http.Response) http.Header {
			for _, ck := range r.Cookies() {
				if ck.Name == "sticky" && ck.Path == "/" {
					return http.Header{"Cookie": {ck.Name + "=" + ck.Value}}
				}
			}
			return nil
		}},
		{&Session{Type: SessionHeader, Name: "X-Session"}, func(r *http.Response) http.Header {
			if v := r.Header.Get("X-Session"); v != "" {
				return http.Header{"X-Session": {v}}
			}
			return nil
		}},
	} {
		tr, err := NewTransport(Backend{Name: "ns/pods", Selector: true, Endpoints: addrs, Port: port, Session: c.session}, Options{Resolver: &fakeResolver{}})
		if err != nil {
			t.Fatal(err)
		}
		p := NewProxy(tr, "")
		first, resp := serve(p, nil)
		token := c.carry(resp)
		if token == nil {
			t.Fatalf("%s: the first response starts no session: %v", c.session.Type, resp.Header)
		}
		for i := range 20 {
			if body, _ := serve(p, token); body != first {
				t.Fatalf("%s: request %d of the session reached %s, not %s", c.session.Type, i, body, first)
			}
		}
	}
}

func TestSessionNeedsAnEndpointSelector(t *testing.T) {
	b := Backend{Name: "ns/x", Hostname: "a.example", Port: 443, Session: &Session{Type: SessionCookie}}
	if err := b.Validate(); err == nil {
		t.Error("sessionPersistence on an external hostname was accepted")
	}
	if err := (Backend{Name: "ns/x", Hostname: "a.example", Port: 443, Protocol: ProtocolWSS}).Validate(); err == nil {
		t.Error("WSS without TLS was accepted")
	}
}
