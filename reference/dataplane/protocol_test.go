package dataplane

import (
	"crypto/tls"
	"testing"
)

func TestProtocolOverTLS(t *testing.T) {
	ca := newCA(t, "ca")
	leaf := ca.leaf(t, leafSpec{dnsNames: []string{apiHost}})
	both := mustStartUpstream(t, serverTLS(leaf), h1h2)
	h1only := mustStartUpstream(t, serverTLS(leaf), protocols(true, false, false))
	// A server that ignores ALPN, as servers without it do: the handshake succeeds.
	noALPN := mustStartUpstream(t, &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return serverTLS(leaf), nil
	}}, protocols(true, false, false))
	for _, tc := range []struct {
		name               string
		server             *upstream
		protocol           Protocol
		faults             string
		wantProto, wantErr string
		wantALPN           string
	}{
		{name: "unset is HTTP/1.1", server: both, protocol: ProtocolUnset, wantProto: "HTTP/1.1", wantALPN: "http/1.1"},
		{name: "HTTP11 is HTTP/1.1", server: both, protocol: ProtocolHTTP11, wantProto: "HTTP/1.1", wantALPN: "http/1.1"},
		{name: "HTTP11 uses h2 with h2-when-http11", server: both, protocol: ProtocolHTTP11, faults: "h2-when-http11",
			wantProto: "HTTP/2.0", wantALPN: "h2"},
		{name: "HTTP2 is h2", server: both, protocol: ProtocolHTTP2, wantProto: "HTTP/2.0", wantALPN: "h2"},
		{name: "HTTP2 fails against an HTTP/1.1 server", server: h1only, protocol: ProtocolHTTP2, wantErr: "no application protocol"},
		{name: "HTTP2 fails when the server ignores ALPN", server: noALPN, protocol: ProtocolHTTP2, wantErr: `negotiated ALPN "", not h2`},
		{name: "HTTP11 works when the server ignores ALPN", server: noALPN, protocol: ProtocolHTTP11, wantProto: "HTTP/1.1"},
		{name: "HTTP negotiates h2", server: both, protocol: ProtocolHTTP, wantProto: "HTTP/2.0", wantALPN: "h2"},
		{name: "HTTP falls back to HTTP/1.1", server: h1only, protocol: ProtocolHTTP, wantProto: "HTTP/1.1", wantALPN: "http/1.1"},
		{name: "HTTP fails against an HTTP/1.1 server with alpn-h2-only", server: h1only, protocol: ProtocolHTTP, faults: "alpn-h2-only",
			wantErr: "no application protocol"},
		{name: "GRPC is h2", server: both, protocol: ProtocolGRPC, wantProto: "HTTP/2.0", wantALPN: "h2"},
		{name: "GRPC fails against an HTTP/1.1 server", server: h1only, protocol: ProtocolGRPC, wantErr: "no application protocol"},
		{name: "GRPC is HTTP/1.1 with grpc-over-http11", server: both, protocol: ProtocolGRPC, faults: "grpc-over-http11", wantProto: "HTTP/1.1", wantALPN: "http/1.1"},
		{name: "HTTP2 fails with no-h2-alpn", server: both, protocol: ProtocolHTTP2, faults: "no-h2-alpn", wantErr: `negotiated ALPN "http/1.1", not h2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := serverOnly(tc.server, ca)
			b.Protocol = tc.protocol
			s, err := get(t, b, loopback(tc.faults, t))
			checkErr(t, err, tc.wantErr)
			if err == nil && (s.Proto != tc.wantProto || s.ALPN != tc.wantALPN) {
				t.Errorf("upstream saw %s with ALPN %q, want %s with %q", s.Proto, s.ALPN, tc.wantProto, tc.wantALPN)
			}
		})
	}
}

func TestProtocolInCleartext(t *testing.T) {
	u := mustStartUpstream(t, nil, protocols(true, false, true))
	for _, tc := range []struct {
		protocol  Protocol
		faults    string
		wantProto string
	}{
		{ProtocolUnset, "", "HTTP/1.1"},
		{ProtocolHTTP, "", "HTTP/1.1"},
		{ProtocolHTTP11, "", "HTTP/1.1"},
		{ProtocolH2C, "", "HTTP/2.0"},
		{ProtocolH2C, "no-h2c", "HTTP/1.1"},
		{ProtocolGRPC, "", "HTTP/2.0"},
		{ProtocolGRPC, "grpc-over-http11", "HTTP/1.1"},
		{ProtocolUnset, "h2c-when-protocol-unset", "HTTP/2.0"},
	} {
		b := Backend{Name: "ns/app", Hostname: appHost, Port: int(u.addr.Port()), Protocol: tc.protocol}
		s, err := get(t, b, loopback(tc.faults, t))
		if err != nil || s.TLS || s.Proto != tc.wantProto {
			t.Errorf("protocol %q faults %q: upstream saw %s TLS=%v (err %v), want %s in cleartext",
				tc.protocol, tc.faults, s.Proto, s.TLS, err, tc.wantProto)
		}
	}
}

func TestTLSModeNoneIsCleartext(t *testing.T) {
	u := mustStartUpstream(t, nil, protocols(true, false, false))
	b := Backend{Name: "ns/app", Hostname: appHost, Port: int(u.addr.Port()), TLS: &TLS{Mode: TLSModeNone}}
	if s, err := get(t, b, loopback("", t)); err != nil || s.TLS {
		t.Errorf("tls.mode None: upstream saw TLS=%v (err %v), want cleartext", s.TLS, err)
	}
}
