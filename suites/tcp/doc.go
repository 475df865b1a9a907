// Package tcp is the scenario group of Gateway API v1.7.0's protocol TCP
// (Support: Extended): a TCPRoute on a TCP listener of the Gateway to an
// XBackend with protocol TCP relays a client's connection to the external
// host, byte for byte; with tls, over TLS originated by the Gateway and
// verified as tls.validation says (a server of an untrusted CA gets
// nothing); and the egress guardrail holds there as on HTTP: a hostname
// the DNS answers with the Gateway's own loopback is never dialled. The
// fake upstream speaks first (one line: what it saw of the connection),
// then echoes. It skips on a v1.6.3 schema, which serves no TCPRoute v1.
package tcp
