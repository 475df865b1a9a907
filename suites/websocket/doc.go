// Package websocket is the family of Gateway API v1.7.0's
// protocol WSS: a client's WebSocket upgrade through the Gateway reaches
// the external host over TLS verified as tls.validation says, and the
// messages flow both ways; a server the validation does not trust gets no
// upgrade and no request. It skips on a v1.6.3 schema, which has no WSS.
package websocket
