// Package grpc is the scenario group of Gateway API v1.7.0's protocol
// GRPC (Support: Extended): a GRPCRoute to an XBackend with protocol GRPC
// carries a gRPC call to the external host as HTTP/2, over TLS verified as
// tls.validation says (the validation hostname as SNI, h2 negotiated by
// ALPN), or with prior knowledge in cleartext (h2c) when the XBackend has
// no tls; a server whose certificate is for another name gets no call. The
// fake upstream answers gRPC calls as a gRPC server does: over HTTP/2 only.
// It skips on a v1.6.3 schema, whose CRD refuses protocol GRPC.
//
// Protocol MCP, the third Extended protocol of v1.7.0, has no scenario:
// its whole text is "BackendProtocolMCP indicates the Model Context
// Protocol" (apitext.MCP), and GEP-4894 calls it "Higher-level protocol
// metadata for AI/agentic use cases". It names no transport (MCP has
// stdio and Streamable HTTP), no negotiation and no behaviour, so nothing
// on the wire is checkable without assuming what the text does not say.
package grpc
