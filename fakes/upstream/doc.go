// Package upstream is the fake external server an XBackend points at. Every response
// is JSON describing what the server saw, so a scenario can assert on what the
// gateway under test actually sent: SNI, offered and negotiated ALPN, TLS version,
// whether a TLS session was resumed (every server keeps one session ticket key, so
// clients can resume as with a real server), client certificate, HTTP protocol (HTTP/1.1, HTTP/2 by ALPN, h2c by prior
// knowledge), Host, method, path and headers.
//
// Start one server per role:
//
//	ca, _ := pki.NewAuthority("trusted")
//	srv, err := upstream.Start(ctx, upstream.Config{
//		Role:      "api",
//		Addr:      "203.0.113.10:443",
//		Hostname:  "api.xbcheck.test",
//		TLS:       upstream.TLSValid,
//		Authority: ca,
//	})
//	defer srv.Close()
//
// The TLS modes give the certificate shapes the TLS scenarios need: valid for
// Hostname, for another name (WrongSANName), from a CA nobody trusts, expired, and
// valid with a client certificate required. Protocols restricts what is spoken; a
// connection in another protocol is closed and logged as rejected.
//
// The server's Log records every connection: the accept (before any byte is read, so a
// connection that never completes a handshake is still seen), the handshake or its
// failure with the reason, rejections, and each request with its Observation. Wait
// returns the first matching event, past or future:
//
//	ev, err := srv.Log().Wait(ctx, func(e upstream.Event) bool { return e.Kind == upstream.KindHandshakeFailed })
//
// DropConnections hangs up on every client and goes on serving, so that a gateway
// holding pooled connections must dial, and resolve, again.
//
// Responses also carry the server's Token in the TokenHeader header. A gRPC
// call (content-type application/grpc) over HTTP/2 is answered as a gRPC
// server does: one length-prefixed message holding the Observation, then
// grpc-status 0 (CallGRPC makes one). Protocol TCP is spoken alone: the
// server greets with its Observation on one line, then echoes (ReadBanner).
package upstream
