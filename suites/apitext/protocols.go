package apitext

// Places the sentences about v1.7.0's Extended protocols come from.
const (
	tcpRoute7  = "TCPRoute CRD v1.7.0 (experimental channel), validation rules"
	grpcRoute7 = "GRPCRoute CRD v1.7.0 (experimental channel), validation rules"
)

// The protocols GRPC, TCP and MCP of v1.7.0's XBackend (Support: Extended).
const (
	ProtocolExtended = Sentence(xbackend7 + ": " + "When set, the implementation uses the specified protocol when connecting to this backend. ... Support: Extended - GRPC, MCP, TCP, WSS")
	GRPC             = Sentence(xbackend7 + ": " + "BackendProtocolGRPC indicates gRPC Support: Extended")
	TCP              = Sentence(xbackend7 + ": " + "BackendProtocolTCP indicates plain TCP. Support: Extended")
	MCP              = Sentence(xbackend7 + ": " + "BackendProtocolMCP indicates the Model Context Protocol. Support: Extended")
	// TCPRouteToXBackend and GRPCRouteToXBackend: both CRDs name XBackend
	// among their backendRefs' kinds, so either route may reach one.
	TCPRouteToXBackend  = Sentence(tcpRoute7 + ": " + "Must not have port for Backend reference (rule: (self.group == 'gateway.networking.x-k8s.io' && self.kind == 'XBackend') ? !has(self.port) : true)")
	GRPCRouteToXBackend = Sentence(grpcRoute7 + ": " + "Must not have port for Backend reference (rule: (self.group == 'gateway.networking.x-k8s.io' && self.kind == 'XBackend') ? !has(self.port) : true)")
)
