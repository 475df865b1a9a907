package upstream

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestGRPCOverTLSAndH2C: a gRPC call over h2 (ALPN) or h2c gets one
// message holding the Observation and grpc-status 0; the same call over
// HTTP/1.1 is refused, as a gRPC server does, and still logged.
func TestGRPCOverTLSAndH2C(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ca := newCA(t, "grpc")
	tlsSrv := start(t, Config{Hostname: hostname, TLS: TLSValid, Authority: ca, Protocols: []Protocol{HTTP2}})
	var h2 http.Protocols
	h2.SetHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: &h2, TLSClientConfig: &tls.Config{ServerName: hostname, RootCAs: ca.Pool()}}}
	obs, err := CallGRPC(ctx, client, "https://"+tlsSrv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if obs.Protocol != "HTTP/2.0" || obs.SNI != hostname || obs.ALPNNegotiated != "h2" || obs.Path != GRPCMethod || obs.Headers.Get("Content-Type") != GRPCContentType {
		t.Errorf("observation over TLS %+v", obs)
	}

	plain := start(t, Config{Protocols: []Protocol{HTTP1, H2C}})
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	obs, err = CallGRPC(ctx, &http.Client{Transport: &http.Transport{Protocols: &h2c}}, "http://"+plain.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if !obs.H2C || obs.TLSVersion != "" || obs.Token != plain.Token() {
		t.Errorf("observation over h2c %+v", obs)
	}
	_, err = CallGRPC(ctx, &http.Client{}, "http://"+plain.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "HTTP 400") {
		t.Errorf("a gRPC call over HTTP/1.1 got %v, want HTTP 400", err)
	}
	waitEvent(t, plain, "the HTTP/1.1 call", func(e Event) bool {
		return e.Kind == KindRequest && e.Observation.Protocol == "HTTP/1.1"
	})
}

// TestTCPSpeaksFirstThenEchoes: protocol TCP greets with the Observation
// (over TLS: with the SNI) and echoes what it is sent.
func TestTCPSpeaksFirstThenEchoes(t *testing.T) {
	ca := newCA(t, "tcp")
	for _, cfg := range []Config{{Protocols: []Protocol{TCP}}, {Hostname: hostname, TLS: TLSValid, Authority: ca, Protocols: []Protocol{TCP}}} {
		srv := start(t, cfg)
		var c net.Conn
		var err error
		if cfg.TLS == TLSValid {
			c, err = tls.Dial("tcp", srv.Addr().String(), &tls.Config{ServerName: hostname, RootCAs: ca.Pool()})
		} else {
			c, err = net.Dial("tcp", srv.Addr().String())
		}
		if err != nil {
			t.Fatal(err)
		}
		obs, err := ReadBanner(c)
		if err != nil {
			t.Fatal(err)
		}
		if obs.Token != srv.Token() || obs.Protocol != "TCP" || (cfg.TLS == TLSValid) != (obs.SNI == hostname) {
			t.Errorf("%s: banner %+v", cfg.TLS, obs)
		}
		if got, err := Echo(c, "hello"); err != nil || got != "hello" {
			t.Errorf("%s: echo %q, %v", cfg.TLS, got, err)
		}
		c.Close()
	}
	if _, err := Start(context.Background(), Config{Protocols: []Protocol{TCP, HTTP1}}); err == nil {
		t.Error("TCP with another protocol was accepted")
	}
}
