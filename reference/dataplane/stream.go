package dataplane

import (
	"context"
	"fmt"
	"net"
	"strconv"
)

// Protocols of Gateway API v1.7.0 the reference gateway also implements.
const (
	// ProtocolGRPC is gRPC: HTTP/2 over TLS (ALPN h2, required), or with
	// prior knowledge in cleartext; requests and trailers pass through.
	ProtocolGRPC Protocol = "GRPC"
	// ProtocolTCP is a raw byte stream, relayed by [Transport.DialStream]:
	// over TLS originated and verified as tls says (no ALPN), or cleartext.
	ProtocolTCP Protocol = "TCP"
)

// DialStream opens one connection to the XBackend for a relayed TCP
// stream: resolved and vetted by the guardrail as every connection is, and
// with TLS verified as tls says; for an EndpointSelector, to a ready pod at
// random. The tcp-skips-guardrail fault (in NewTransport) lets every
// address through.
func (t *Transport) DialStream(ctx context.Context) (net.Conn, error) {
	host := t.backend.Hostname
	if t.backend.Selector {
		ep, ok := t.pick()
		if !ok {
			return nil, fmt.Errorf("%w: no pod the endpointSelector of XBackend %s selects is ready", ErrNoEndpoints, t.backend.Name)
		}
		host = ep.String()
	}
	addr := net.JoinHostPort(host, strconv.Itoa(t.backend.Port))
	if t.scheme == "https" {
		return t.http.DialTLSContext(ctx, "tcp", addr)
	}
	return t.dialer.DialContext(ctx, "tcp", addr)
}
