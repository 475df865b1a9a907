package dimension

// Class is one value class of a behaviour dimension.
type Class string

// Info describes a class: its dimension, what it is, the reference it
// comes from and, where no spec can exercise it, why.
type Info struct {
	Class     Class
	Dimension string
	Text      string
	Source    string
	// NoneCan, when set, says with the sentence why no spec can exercise
	// the class.
	NoneCan string
}

// The dimensions.
const (
	DNS      = "DNS resolution"
	TLSChain = "TLS chain validation"
	Protocol = "Protocol negotiation"
	Topology = "Route and Gateway topology"
	Status   = "Status over time and across controllers"
)

const (
	rfc1035 = "RFC 1035 (Domain names), section 3.2.1 and 4.1.1; RFC 2181 section 10.1 (CNAME)"
	rfc3596 = "RFC 3596 (DNS extensions for IPv6): AAAA records"
	rebind  = "GEP-4894: Risk: `api.external.com` resolves to `127.0.0.1`, `169.254.169.254` or other privileged, trusted addresses"
	rfc5280 = "RFC 5280 (X.509 PKI), section 6 (path validation) and 4.1.2.5 (validity)"
	rfc6125 = "RFC 6125 (service identity), sections 6.4.3 (wildcards) and 6.4.4 (no CN fallback when a SAN is present)"
	tlsVal  = "BackendTLSPolicyValidation: Hostname MUST be used for authentication and MUST match the certificate served by the matching backend"
	rfc7301 = "RFC 7301 (ALPN); RFC 9113 section 3 (starting HTTP/2: h2 over TLS, prior knowledge for h2c)"
	rfc6455 = "RFC 6455 (WebSocket) section 4; XBackend v1.7.0: BackendProtocolWSS indicates WebSocket over TLS"
	proto   = "XBackend API: When not set, the implementation will use the protocol determined by the route or listener configuration."
	routes  = "Gateway API HTTPRoute: backendRefs, parentRefs, weights and ReferenceGrant (GEP-709)"
	status  = "XBackend API: A controller that manages the Backend must add an entry for each parent it manages and remove the entry when the controller no longer considers the Backend to be associated with that parent."
)

// Classes.
const (
	DNSSingleA         Class = "dns.a"
	DNSOnlyAAAA        Class = "dns.aaaa-only"
	DNSSeveralA        Class = "dns.several-a"
	DNSCNAME           Class = "dns.cname"
	DNSTTLExpiry       Class = "dns.ttl-expiry"
	DNSNXDOMAIN        Class = "dns.nxdomain"
	DNSSERVFAIL        Class = "dns.servfail"
	DNSNoAnswer        Class = "dns.no-answer"
	DNSRebindLoopback  Class = "dns.rebind-loopback"
	DNSRebindMetadata  Class = "dns.rebind-metadata"
	DNSRebindCluster   Class = "dns.rebind-cluster"
	DNSRebindEmbedded  Class = "dns.rebind-ipv6-embedded"
	DNSRebindMixed     Class = "dns.rebind-mixed-answers"
	DNSRebindCNAME     Class = "dns.rebind-cname"
	DNSRebindAfterTTL  Class = "dns.rebind-after-ttl"
	TLSValidChain      Class = "tls.valid"
	TLSWrongSAN        Class = "tls.wrong-san"
	TLSUntrustedCA     Class = "tls.untrusted-ca"
	TLSExpired         Class = "tls.expired"
	TLSNotYetValid     Class = "tls.not-yet-valid"
	TLSWildcardOne     Class = "tls.wildcard-one-label"
	TLSWildcardDeep    Class = "tls.wildcard-two-labels"
	TLSIPSANOnly       Class = "tls.ip-san-only"
	TLSCNOnly          Class = "tls.cn-only"
	TLSIntermediate    Class = "tls.intermediate"
	TLSClientCert      Class = "tls.client-cert"
	TLSCARotation      Class = "tls.ca-rotation"
	TLSSystemRoots     Class = "tls.system-roots-public"
	ProtoHTTP11TLS     Class = "proto.http11-tls"
	ProtoH2ALPN        Class = "proto.h2-alpn"
	ProtoHTTP11Only    Class = "proto.http11-only-server"
	ProtoH2C           Class = "proto.h2c"
	ProtoCleartext     Class = "proto.cleartext-http11"
	ProtoUnset         Class = "proto.unset"
	ProtoWSS           Class = "proto.wss"
	TopoOneGateway     Class = "topo.one-gateway"
	TopoTwoGateways    Class = "topo.two-gateways"
	TopoTwoRoutes      Class = "topo.two-routes"
	TopoCrossNamespace Class = "topo.cross-namespace-denied"
	TopoRefGrant       Class = "topo.cross-namespace-granted"
	TopoWeights        Class = "topo.weights"
	TopoSeveralRules   Class = "topo.several-rules"
	TopoForeignGateway Class = "topo.foreign-gateway"
	StatusPerGateway   Class = "status.entry-per-gateway"
	StatusRemoved      Class = "status.entry-removed"
	StatusGeneration   Class = "status.observed-generation"
	StatusForeignKept  Class = "status.foreign-entries-kept"
	StatusBackendGone  Class = "status.backend-deleted"
	StatusLateBackend  Class = "status.backend-created-late"
)

// All lists every class, by dimension.
func All() []Info {
	return []Info{
		{DNSSingleA, DNS, "one A record", rfc1035, ""},
		{DNSOnlyAAAA, DNS, "AAAA records only (an IPv6 upstream)", rfc3596, ""},
		{DNSSeveralA, DNS, "several A records in one answer", rfc1035, ""},
		{DNSCNAME, DNS, "a CNAME to another name of the zone", rfc1035, ""},
		{DNSTTLExpiry, DNS, "a new answer after the TTL expired is followed", "RFC 1035 section 3.2.1: TTL ... specifies the time interval that the resource record may be cached before the source of the information should again be consulted.", ""},
		{DNSNXDOMAIN, DNS, "NXDOMAIN: the request fails with a 5xx, nothing dialled", rfc1035, ""},
		{DNSSERVFAIL, DNS, "SERVFAIL: the request fails with a 5xx, nothing dialled", rfc1035, ""},
		{DNSNoAnswer, DNS, "no answer (the query times out)", rfc1035, ""},
		{DNSRebindLoopback, DNS, "an answer of a loopback address", rebind, ""},
		{DNSRebindMetadata, DNS, "an answer of the link-local metadata address", rebind, ""},
		{DNSRebindCluster, DNS, "an answer of an in-cluster (RFC 1918) address", rebind, ""},
		{DNSRebindEmbedded, DNS, "an IPv6 answer embedding a forbidden IPv4 address (mapped, NAT64, 6to4)", rebind, ""},
		{DNSRebindMixed, DNS, "one answer with an allowed and a forbidden address", rebind, ""},
		{DNSRebindCNAME, DNS, "a CNAME to a forbidden name (localhost, .cluster.local)", rebind, ""},
		{DNSRebindAfterTTL, DNS, "a safe answer, then a forbidden one once the TTL expired", rebind, ""},
		{TLSValidChain, TLSChain, "a certificate for the hostname, signed by the configured CA", tlsVal, ""},
		{TLSWrongSAN, TLSChain, "a certificate of the trusted CA for another name", tlsVal, ""},
		{TLSUntrustedCA, TLSChain, "a certificate signed by a CA not configured", rfc5280, ""},
		{TLSExpired, TLSChain, "an expired certificate", rfc5280, ""},
		{TLSNotYetValid, TLSChain, "a certificate not yet valid", rfc5280, ""},
		{TLSWildcardOne, TLSChain, "a wildcard certificate for the parent domain (one label)", rfc6125, ""},
		{TLSWildcardDeep, TLSChain, "a wildcard certificate two labels above the hostname, refused", rfc6125, ""},
		{TLSIPSANOnly, TLSChain, "a certificate naming only the address, refused for a hostname", rfc6125, ""},
		{TLSCNOnly, TLSChain, "a certificate with the hostname only in its subject CN, refused", rfc6125, ""},
		{TLSIntermediate, TLSChain, "a chain through an intermediate CA the upstream serves", rfc5280, ""},
		{TLSClientCert, TLSChain, "a client certificate presented on request (mTLS)", "XBackend API: BackendTLSModeClientAndServer enables mutual TLS (mTLS).", ""},
		{TLSCARotation, TLSChain, "the CA ConfigMap rotated while in use", "BackendTLSPolicyValidation: CACertificateRefs contains one or more references to Kubernetes objects that contain a PEM-encoded TLS CA certificate bundle", ""},
		{TLSSystemRoots, TLSChain, "a certificate of a public CA accepted with wellKnownCACertificates System", "BackendTLSPolicyValidation: \"System\" - indicates that well-known system CA certificates should be used.",
			"no scenario can: a certificate signed by a CA of the system trust store needs that CA's private key; the harness can only show a private CA refused (TLSSystemRootsRejectPrivateCA)"},
		{ProtoHTTP11TLS, Protocol, "HTTP/1.1 over TLS", rfc7301, ""},
		{ProtoH2ALPN, Protocol, "HTTP/2 negotiated by ALPN (h2)", rfc7301, ""},
		{ProtoHTTP11Only, Protocol, "an upstream speaking only HTTP/1.1 over TLS", rfc7301, ""},
		{ProtoH2C, Protocol, "h2c with prior knowledge", rfc7301, ""},
		{ProtoCleartext, Protocol, "cleartext HTTP/1.1", rfc7301, ""},
		{ProtoUnset, Protocol, "protocol unset: the route or listener decides", proto, ""},
		{ProtoWSS, Protocol, "a WebSocket upgrade over TLS", rfc6455, ""},
		{TopoOneGateway, Topology, "one Gateway, one route, one XBackend", routes, ""},
		{TopoTwoGateways, Topology, "two Gateways reaching one XBackend", routes, ""},
		{TopoTwoRoutes, Topology, "two routes to one XBackend", routes, ""},
		{TopoCrossNamespace, Topology, "a backendRef to another namespace without a ReferenceGrant", routes, ""},
		{TopoRefGrant, Topology, "a backendRef to another namespace with a ReferenceGrant", routes, ""},
		{TopoWeights, Topology, "weighted backendRefs with an XBackend among them", routes, ""},
		{TopoSeveralRules, Topology, "several rules of one route, each to its own XBackend", routes, ""},
		{TopoForeignGateway, Topology, "a Gateway of another controller", routes, ""},
		{StatusPerGateway, Status, "an entry for each Gateway using the XBackend", status, ""},
		{StatusRemoved, Status, "the entry removed when the route goes", status, ""},
		{StatusGeneration, Status, "observedGeneration follows spec changes", "Gateway API Condition: observedGeneration represents the .metadata.generation that the condition was set based upon", ""},
		{StatusForeignKept, Status, "entries of other controllers kept", "XBackend API: A controller MUST populate this field when writing status and ensure that entries to status populated with their controller name are removed when they are no longer necessary.", ""},
		{StatusBackendGone, Status, "the XBackend deleted while routed to", "HTTPRoute API: When a HTTPBackendRef is invalid, 500 status codes MUST be returned for requests that would have otherwise been routed to an invalid backend.", ""},
		{StatusLateBackend, Status, "the XBackend created after the route that names it", "HTTPRoute API: It refers to a resource that does not exist. In this case, the Reason must be set to `BackendNotFound`", ""},
	}
}
