package upstream

import (
	"crypto/tls"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"golang.org/x/net/http2"
)

// BenchmarkUpstreamRequests measures sequential-per-goroutine requests over loopback
// on kept-alive connections; req/s is derived from the wall time of the whole run.
func BenchmarkUpstreamRequests(b *testing.B) {
	ca := newCA(b, "bench")
	clientTLS := &tls.Config{ServerName: hostname, RootCAs: ca.Pool()}
	cases := []struct {
		name      string
		cfg       Config
		scheme    string
		transport http.RoundTripper
	}{
		{"HTTP1.1-cleartext", Config{}, "http", &http.Transport{MaxIdleConnsPerHost: 64}},
		{"HTTP1.1-TLS", Config{TLS: TLSValid, Hostname: hostname, Authority: ca}, "https", &http.Transport{MaxIdleConnsPerHost: 64, TLSClientConfig: clientTLS}},
		{"HTTP2-TLS", Config{TLS: TLSValid, Hostname: hostname, Authority: ca}, "https", &http2.Transport{TLSClientConfig: clientTLS}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			srv := start(b, tc.cfg)
			client := &http.Client{Transport: tc.transport}
			defer client.CloseIdleConnections()
			url := tc.scheme + "://" + srv.Addr().String() + "/bench?n=1"
			var sent atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if sent.Add(1)%4096 == 0 {
						srv.Log().Reset() // keep memory flat; recording still costs what it costs
					}
					resp, err := client.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
