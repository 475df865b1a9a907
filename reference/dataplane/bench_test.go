package dataplane

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkProxyTLS measures one proxied request to a ServerOnly XBackend:
// over a kept-alive connection, and with a new connection each time
// (lookup, guardrail, dial, handshake, verification).
func BenchmarkProxyTLS(b *testing.B) {
	ca := newCA(b, "ca")
	u := mustStartUpstream(b, serverTLS(ca.leaf(b, leafSpec{dnsNames: []string{apiHost}})), h1h2)
	for _, newConn := range []bool{false, true} {
		name := map[bool]string{false: "keep-alive", true: "new-connection"}[newConn]
		b.Run(name, func(b *testing.B) {
			tr, err := NewTransport(serverOnly(u, ca), Options{
				Resolver:  &fakeResolver{script: [][]Answer{answers(0, "127.0.0.1")}},
				Guardrail: only("127.0.0.1"),
			})
			if err != nil {
				b.Fatal(err)
			}
			p := NewProxy(tr, "")
			for b.Loop() {
				rec := httptest.NewRecorder()
				p.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				io.Copy(io.Discard, rec.Body)
				if newConn {
					tr.CloseIdleConnections()
				}
			}
		})
	}
}
