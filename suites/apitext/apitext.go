package apitext

// Sentence is a quotation from a Gateway API document, preceded by the
// document and the release it comes from: "Where: text".
type Sentence string

// Places the sentences come from.
const (
	gep        = "GEP-4894 (Backend resource, Experimental)"
	xbackend   = "XBackend API (apisx/v1alpha1) v1.6.3"
	xbackend7  = "XBackend API (apisx/v1alpha1) v1.7.0"
	crd        = "XBackend CRD v1.6.3, validation rules"
	crd7       = "XBackend CRD v1.7.0, validation rules"
	route7     = "HTTPRoute CRD v1.7.0 (experimental channel), validation rules"
	shared7    = "SessionPersistence (apis/v1) v1.7.0, reused as XBackend sessionPersistence"
	httpRoute7 = "HTTPRoute API (apis/v1) v1.7.0"
	tlsVal     = "BackendTLSPolicyValidation (apis/v1) v1.6.3, reused as XBackend tls.validation"
	httpRoute  = "HTTPRoute API (apis/v1) v1.6.3"
	rfc1035    = "RFC 1035 (Domain names), section 3.2.1"
)

// GEP-4894.
const (
	OnTheWire          = Sentence(gep + ": " + "the `Backend` resource describes what a specific gateway client connection **MUST** do on the wire when connecting to a destination.")
	SameNamespace      = Sentence(gep + ": " + "Backends MUST live in the same namespace as any route (or other parent resource) that references them.")
	LocalhostEndpoints = Sentence(gep + ": " + "implementations implementing `Backend` MUST add either TLS or JWT validation on sensitive localhost endpoints to prevent confused deputy attacks")
	Guardrails         = Sentence(gep + ": " + "Implementations SHOULD provide control-plane guardrails (for example, an allow-list of permitted egress domains)")
	RebindRisk         = Sentence(gep + ": " + "Risk: `api.external.com` resolves to `127.0.0.1`, `169.254.169.254` or other privileged, trusted addresses")
	DNSTrust           = Sentence(gep + ": " + "Any meaningful egress functionality must trust DNS resolution")
)

// The XBackend API.
const (
	Port                 = Sentence(xbackend + ": " + "Port defines the port that the implementation should use when connecting to this backend.")
	NoIPLiterals         = Sentence(xbackend + ": " + "Hostname specifies the FQDN used to reach this backend. IP addresses are not allowed in this field.")
	TrustDomains         = Sentence(xbackend + ": " + "Implementations that are aware of custom trust domains being used for Service FQDNs MUST also enforce that hostnames ending with those trust domains (e.g. .cluster.local) are not allowed.")
	ProtocolCore         = Sentence(xbackend + ": " + "When set, the implementation uses the specified protocol when connecting to this backend. When not set, the implementation will use the protocol determined by the route or listener configuration. Support: Core - HTTP, HTTP2, H2C, and HTTP11")
	ProtocolNegotiation  = Sentence(xbackend + ": " + "In cases where the protocol is negotiated on the wire (e.g. HTTP/1.1 Upgrade or ALPN), implementations MUST include the protocol set here in the negotiation options presented to the backend.")
	ServerOnly           = Sentence(xbackend + ": " + "BackendTLSModeServerOnly enables TLS with server certificate verification.")
	ClientAndServer      = Sentence(xbackend + ": " + "BackendTLSModeClientAndServer enables mutual TLS (mTLS).")
	ClientCertificateRef = Sentence(xbackend + ": " + "ClientCertificateRef is a reference to a Secret containing the client TLS certificate and private key for mutual TLS.")
	StatusEntries        = Sentence(xbackend + ": " + "A controller that manages the Backend must add an entry for each parent it manages and remove the entry when the controller no longer considers the Backend to be associated with that parent.")
	ControllerEntries    = Sentence(xbackend + ": " + "A controller MUST populate this field when writing status and ensure that entries to status populated with their controller name are removed when they are no longer necessary.")
	TLSShould            = Sentence(xbackend + ": " + "ExternalHostname backends SHOULD have TLS configured; the lack of TLS for external hostnames should be considered insecure and a security risk.")
	H2CWithoutTLS        = Sentence(xbackend7 + ": " + "tls must be disabled when protocol is H2C, use protocol HTTP2 for HTTP/2 with tls")
)

// The XBackend API of v1.7.0: EndpointSelector, sessionPersistence, WSS.
const (
	EndpointSelectorType   = Sentence(xbackend7 + ": " + "BackendTypeEndpointSelector indicates that the backend routes to a selected set of in-cluster endpoints. This type behaves equivalently to a Service backendRef but provides a dedicated resource where backend-level configuration can live and grow. Support: Core")
	EndpointsStayUpToDate  = Sentence(xbackend7 + ": " + "If this field is set, the endpoints are resolved automatically and stay up to date as pods matching the selector are added or removed; the user does not create or manage any separate endpoint resource.")
	MatchEveryLabel        = Sentence(xbackend7 + ": " + "MatchLabels contains a set of required {key,value} pairs. An object must match every label in this map to be selected. The matching logic is an AND operation on all entries.")
	ServiceGenerateName    = Sentence(xbackend7 + ": " + "Implementations MUST name the Service with generateName rather than a predictable name, so that a name like <backend-name>-backend.svc.cluster.local does not become a relied-upon DNS entry.")
	ServiceOwnerReferences = Sentence(xbackend7 + ": " + "Implementations SHOULD set ownerReferences so the created resource's lifecycle is tied to this Backend.")
	ServiceHeadless        = Sentence(xbackend7 + ": " + "Implementations SHOULD create the Service as headless (clusterIP: None), since no ClusterIP or kube-proxy load balancing is needed.")
	ServiceTargetPort      = Sentence(xbackend7 + ": " + "The Service port (ClusterIP frontend) is unused; the targetPort SHOULD be set to Backend.spec.port.number.")
	SessionPersistence     = Sentence(xbackend7 + ": " + "SessionPersistence defines and configures session persistence across the endpoints selected by this backend.")
	WSS                    = Sentence(xbackend7 + ": " + "BackendProtocolWSS indicates WebSocket over TLS as described in RFC6445. Support: Extended")
	WSSNegotiation         = Sentence(xbackend7 + ": " + "In cases where the protocol is negotiated on the wire (e.g. HTTP/1.1 Upgrade or ALPN), implementations MUST include the protocol set here in the negotiation options presented to the backend.")
)

// SessionPersistence of v1.7.0, the type XBackend shares with routes.
const (
	CookiePath    = Sentence(shared7 + ": " + "Path defines the cookie Path attribute. When not specified, implementations MUST default the cookie path to \"/\".")
	SessionHeader = Sentence(shared7 + ": " + "Name defines the name of the header used for session persistence. The client must include this header in subsequent requests to maintain the session.")
)

// HTTPRoute v1.7.0.
const NoReadyEndpoints = Sentence(httpRoute7 + ": " + "When a HTTPBackendRef refers to a Service that has no ready endpoints, implementations SHOULD return a 503 for requests to that backend instead.")

// The CRD rules of v1.7.0, quoted by their messages.
const (
	CRDEndpointSelector     = Sentence(crd7 + ": " + "endpointSelector must be set when type is EndpointSelector and must be unset otherwise")
	CRDHTTP2NeedsTLS        = Sentence(crd7 + ": " + "tls must be enabled when protocol is HTTP2, use protocol H2C for HTTP/2 without tls")
	CRDWSSNeedsTLS          = Sentence(crd7 + ": " + "tls must be enabled when protocol is WSS")
	CRDSessionNeedsSelector = Sentence(crd7 + ": " + "sessionPersistence can only be set when type is EndpointSelector")
	CRDValidationIffTLS     = Sentence(crd7 + ": " + "validation must be set if and only if mode is either ClientAndServer or ServerOnly")
	CRDSchema7              = Sentence(crd7 + ": " + "the schema of spec: type ExternalHostname or EndpointSelector; port.number from 1; protocol TCP, HTTP, HTTP2, HTTP11, H2C, MCP, GRPC or WSS; matchLabels with 1 to 64 entries")
	CRDBackendRefPort       = Sentence(route7 + ": " + "Must not have port for Backend reference")
)

// The CRD's own validation: the API server enforces it.
const (
	CRDHostname = Sentence(crd + ": " + "hostname must not be an IP address or end with .cluster.local; a PreciseHostname is lower case, has no trailing dot and no wildcard")
	CRDRules    = Sentence(crd + ": " + "the schema and x-kubernetes-validations of spec (enum values, required fields, clientCertificateRef iff ClientAndServer, exactly one CA source, port at least 1)")
)

// tls.validation, the type XBackend shares with BackendTLSPolicy.
const (
	SNI                   = Sentence(tlsVal + ": " + "Hostname MUST be used as the SNI to connect to the backend (RFC 6066).")
	HostnameAuthenticates = Sentence(tlsVal + ": " + "Hostname MUST be used for authentication and MUST match the certificate served by the matching backend, unless SubjectAltNames is specified.")
	HostnameNotWithSANs   = Sentence(tlsVal + ": " + "If SubjectAltNames are specified, Hostname can be used for certificate selection but MUST NOT be used for authentication. If you want to use the value of the Hostname field for authentication, you MUST add it to the SubjectAltNames list.")
	CACertificateRefs     = Sentence(tlsVal + ": " + "CACertificateRefs contains one or more references to Kubernetes objects that contain a PEM-encoded TLS CA certificate bundle, which is used to validate a TLS handshake between the Gateway and backend Pod.")
	WellKnownUnsupported  = Sentence(tlsVal + ": " + "If CACertificateRefs is empty or unspecified, the configuration for WellKnownCACertificates MUST be honored instead if supported by the implementation. ... If an implementation does not support the WellKnownCACertificates field, or the supplied value is not recognized, the implementation MUST ensure the `Accepted` Condition on the BackendTLSPolicy is set to `status: False`, with a Reason `Invalid`.")
	SubjectAltNames       = Sentence(tlsVal + ": " + "When specified the certificate served from the backend MUST have at least one Subject Alternate Name matching one of the specified SubjectAltNames.")
	InvalidCARef          = Sentence(tlsVal + ": " + "Connections using an invalid CACertificateRef MUST fail, and the client MUST receive an HTTP 5xx error response.")
	MultipleCARefs        = Sentence(tlsVal + ": " + "Implementations MAY choose to support attaching multiple certificates to a backend, but this behavior is implementation-specific.")
	SingleCARef           = Sentence(tlsVal + ": " + "Support: Core - An optional single reference to a Kubernetes ConfigMap, with the CA certificate in a key named `ca.crt`.")
	WellKnownCAs          = Sentence(tlsVal + ": " + "\"System\" - indicates that well-known system CA certificates should be used.")
)

// HTTPRoute.
const (
	InvalidBackendRef = Sentence(httpRoute + ": " + "A BackendRef is invalid if: It refers to an unknown or unsupported kind of resource. In this case, the Reason must be set to `InvalidKind` ... It refers to a resource that does not exist. In this case, the Reason must be set to `BackendNotFound`")
	RefNotPermitted   = Sentence(httpRoute + ": " + "It refers a resource in another namespace when the reference has not been explicitly allowed by a ReferenceGrant (or equivalent concept). In this case, the Reason must be set to `RefNotPermitted`")
	InvalidGets500    = Sentence(httpRoute + ": " + "When a HTTPBackendRef is invalid, 500 status codes MUST be returned for requests that would have otherwise been routed to an invalid backend.")
	Weight            = Sentence(httpRoute + ": " + "Weight specifies the proportion of requests forwarded to the referenced backend. ... Support for weight: Core")
	RewriteHostname   = Sentence(httpRoute + ": " + "Hostname is the value to be used to replace the Host header value during forwarding. Support: Extended")
	BackendPort       = Sentence(httpRoute + ": " + "Port specifies the destination port number to use for this resource. ... For other resources, destination port might be derived from the referent resource or this field.")
)

// DNS.
const TTL = Sentence(rfc1035 + ": " + "TTL a 32 bit signed integer that specifies the time interval that the resource record may be cached before the source of the information should again be consulted.")

// Measurements: where no sentence prescribes a behaviour, xbcheck records
// what the implementation does.
const Unspecified = Sentence("xbcheck" + ": " + "the API leaves this to the implementation; xbcheck records what it does")
