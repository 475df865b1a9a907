package faults

// Faults of Gateway API v1.7.0's protocols GRPC and TCP; [All] describes each one.
const (
	GRPCSkipsVerify     Fault = "grpc-skips-verify"
	GRPCOverHTTP11      Fault = "grpc-over-http11"
	TCPSkipsGuardrail   Fault = "tcp-skips-guardrail"
	TCPPlaintextWhenTLS Fault = "tcp-plaintext-when-tls"
)
