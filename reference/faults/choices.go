package faults

import "slices"

// Choices: behaviours the API leaves to the implementation, the mirror of
// the faults. Each is switched on like a fault (a [Set], --faults), but no
// spec may fail on it: `xbcheck mutate --choices` proves none does.
const (
	NoGatewayAddress    Fault = "no-gateway-address"
	NoSupportedFeatures Fault = "no-supported-features"

	MeshAncestorEntry       Fault = "mesh-ancestor-entry"
	ExtraXBackendConditions Fault = "extra-xbackend-conditions"
	EmptyAcceptedMessage    Fault = "empty-accepted-message"
	VendorRefusalReasons    Fault = "vendor-refusal-reasons"
	RouteVendorCondition    Fault = "route-vendor-condition"

	NoWSS                Fault = "no-wss"
	NoMutualTLS          Fault = "no-mutual-tls"
	NoSessionPersistence Fault = "no-session-persistence"
	SingleCARefOnly      Fault = "single-ca-ref-only"
	NoSystemCAs          Fault = "no-system-cas"

	Refused500     Fault = "refused-500"
	Refused503     Fault = "refused-503"
	Refused504     Fault = "refused-504"
	EmptyErrorBody Fault = "empty-error-body"

	ConnectionPerRequest Fault = "connection-per-request"
	DNSMinTTL            Fault = "dns-min-ttl"
	DNSNoCache           Fault = "dns-no-cache"
	HTTP11ForHTTP        Fault = "http11-for-protocol-http"
	H2ALPNWhenUnset      Fault = "h2-alpn-when-protocol-unset"
	NoXForwarded         Fault = "no-x-forwarded"
	ViaHeader            Fault = "via-header"
	SessionCookieStrict  Fault = "session-cookie-samesite"
	ServicePort80        Fault = "service-port-80"
	CAContentValidation  Fault = "ca-content-validation"
)

// Groups of choices that exclude each other: a run switches on one of each.
const (
	GroupRefusedStatus = "the status code of refused traffic"
	GroupDNSCache      = "how long DNS answers are cached"
)

// ChoiceInfo describes a choice: what the reference does with it on, the
// API text that leaves it open ("Where: text"), and, when it excludes
// other choices, their common group.
type ChoiceInfo struct {
	Info
	Sentence string
	Group    string
	// NotAlone, when set, says why a run of the reference alone cannot
	// show the choice (it needs what only an operator gives).
	NotAlone string
}

// MeshName is the XMesh the mesh-ancestor-entry choice names in its entry.
const MeshName = "mesh"

// Where the choices' sentences come from.
const (
	xbackendCRD7 = "XBackend CRD v1.7.0"
	xbackendAPI7 = "XBackend API (apisx/v1alpha1) v1.7.0"
	tlsValAPI    = "BackendTLSPolicyValidation (apis/v1) v1.6.3, reused as XBackend tls.validation"
	conditionAPI = "metav1.Condition (k8s.io/apimachinery), the type of every XBackend and route condition"
	gatewayClass = "GatewayClass CRD v1.6.3, status.supportedFeatures"
	gep4894      = "GEP-4894 (Backend resource, Experimental)"
	rfc1035      = "RFC 1035 (Domain names), section 3.2.1"
	rfc9110      = "RFC 9110 (HTTP Semantics), section 7.6.3"
	httpRouteAPI = "HTTPRoute CRD v1.7.0, status.parents[].conditions"
	sessionAPI   = "SessionPersistence (apis/v1) v1.7.0, reused as XBackend sessionPersistence"
	gatewayAPI   = "Gateway CRD v1.6.3, status.addresses"
)

var choices = []ChoiceInfo{
	{Info{NoGatewayAddress, "serves a Gateway without publishing its address in status.addresses: load balancers whose address only the operator knows (run with --gateway-address)"},
		gatewayAPI + ": Addresses lists the network addresses that have been bound to the Gateway. (+optional: an implementation that cannot know them leaves the list empty, and the suite reaches the Gateway at --gateway-address)", "",
		"it needs --gateway-address, one address every Gateway answers on, while the reference gives each Gateway its own"},
	{Info{NoSupportedFeatures, "lists no status.supportedFeatures on its GatewayClass: implementations of Gateway API before v1.2, which claim nothing"},
		gatewayClass + ": SupportedFeatures is the set of features the GatewayClass support. It MUST be sorted in ascending alphabetical order by the Name key. (+optional)", "", ""},
	{Info{MeshAncestorEntry, "writes beside each Gateway's XBackend status entry one of its own for the XMesh \"mesh\" (gateway.networking.x-k8s.io), as mesh implementations record the mesh an XBackend serves"},
		xbackendCRD7 + ": Ancestors is a list of ancestor resources (usually Gateways) that are associated with this Backend, and the status of the Backend with respect to each ancestor.", "", ""},
	{Info{ExtraXBackendConditions, "adds ResolvedRefs and example.com/Programmed conditions beside Accepted on each XBackend status entry"},
		xbackendAPI7 + ": conditions represent the current state of the Backend resource. Each condition has a unique type and reflects the status of a specific aspect of the resource. Defined condition types include: - \"Accepted\"", "", ""},
	{Info{EmptyAcceptedMessage, "writes the Accepted=True condition of an XBackend with an empty message"},
		conditionAPI + ": message is a human readable message indicating details about the transition. This may be an empty string.", "", ""},
	{Info{VendorRefusalReasons, "refuses an XBackend with reason Rejected wherever the API prescribes no reason (an in-cluster hostname, an unsupported type or protocol, H2C with TLS) instead of Invalid or UnsupportedProtocol"},
		conditionAPI + ": reason contains a programmatic identifier indicating the reason for the condition's last transition. Producers of specific condition types may define expected values and meanings for this field (XBackend v1alpha1 defines no reasons)", "", ""},
	{Info{RouteVendorCondition, "adds an example.com/Programmed condition to each HTTPRoute status.parents entry it writes"},
		httpRouteAPI + ": Conditions describes the status of the route with respect to the Gateway. ... that Gateway's controller MUST set the \"Accepted\" condition on the Route (no list of the only condition types allowed)", "", ""},
	{Info{NoWSS, "does not support protocol WSS: refuses such an XBackend with Accepted=False, reason UnsupportedProtocol, and does not claim ResourceBackendProtocolWSS"},
		xbackendAPI7 + ": Protocol ... Support: Core - HTTP, HTTP2, H2C, and HTTP11. Support: Extended - GRPC, MCP, TCP, WSS", "", ""},
	{Info{NoMutualTLS, "does not support tls.mode ClientAndServer: refuses such an XBackend with Accepted=False, reason Invalid, and does not claim ResourceBackendMutualTLS"},
		xbackendAPI7 + ": Mode ... Support: Core - None. Support: Extended - ServerOnly, ClientAndServer", "", ""},
	{Info{NoSessionPersistence, "does not support sessionPersistence: refuses such an XBackend with Accepted=False, reason Invalid, and does not claim ResourceBackendSessionPersistence"},
		xbackendCRD7 + ": SessionPersistence defines and configures session persistence across the endpoints selected by this backend. ... Support: Extended", "", ""},
	{Info{SingleCARefOnly, "supports one caCertificateRefs entry only: refuses an XBackend with more with Accepted=False, reason Invalid"},
		tlsValAPI + ": Implementations MAY choose to support attaching multiple certificates to a backend, but this behavior is implementation-specific.", "", ""},
	{Info{NoSystemCAs, "does not support wellKnownCACertificates: refuses an XBackend that sets it with Accepted=False, reason Invalid"},
		tlsValAPI + ": If an implementation does not support the WellKnownCACertificates field, or the supplied value is not recognized, the implementation MUST ensure the `Accepted` Condition on the BackendTLSPolicy is set to `status: False`, with a Reason `Invalid`.", "", ""},
	{Info{Refused500, "answers a request it cannot forward (dial, egress guardrail or TLS failure) with 500 instead of 502"},
		tlsValAPI + ": Connections using an invalid CACertificateRef MUST fail, and the client MUST receive an HTTP 5xx error response.", GroupRefusedStatus, ""},
	{Info{Refused503, "answers a request it cannot forward (dial, egress guardrail or TLS failure) with 503 instead of 502"},
		tlsValAPI + ": Connections using an invalid CACertificateRef MUST fail, and the client MUST receive an HTTP 5xx error response.", GroupRefusedStatus, ""},
	{Info{Refused504, "answers a request it cannot forward (dial, egress guardrail or TLS failure) with 504 instead of 502"},
		tlsValAPI + ": Connections using an invalid CACertificateRef MUST fail, and the client MUST receive an HTTP 5xx error response.", GroupRefusedStatus, ""},
	{Info{EmptyErrorBody, "answers a request it cannot forward with an empty body instead of a line naming the failure"},
		tlsValAPI + ": the client MUST receive an HTTP 5xx error response (nothing says what its body holds)", "", ""},
	{Info{ConnectionPerRequest, "opens a new upstream connection (and DNS lookup, TLS handshake) for every request instead of reusing idle ones"},
		gep4894 + ": the `Backend` resource describes what a specific gateway client connection **MUST** do on the wire when connecting to a destination (nothing says whether a connection is reused)", "", ""},
	{Info{DNSMinTTL, "caches DNS answers for at least 5s whatever their TTL (Envoy's dns_min_refresh_rate)"},
		rfc1035 + ": TTL a 32 bit signed integer that specifies the time interval that the resource record may be cached before the source of the information should again be consulted.", GroupDNSCache, ""},
	{Info{DNSNoCache, "resolves the hostname again for every new connection, caching no DNS answer"},
		rfc1035 + ": TTL a 32 bit signed integer that specifies the time interval that the resource record may be cached before the source of the information should again be consulted.", GroupDNSCache, ""},
	{Info{HTTP11ForHTTP, "for protocol HTTP over TLS offers only http/1.1 by ALPN, never h2"},
		xbackendAPI7 + ": BackendProtocolHTTP indicates HTTP (version negotiated via ALPN or implementation default).", "", ""},
	{Info{H2ALPNWhenUnset, "when no protocol is set, offers h2 and http/1.1 by ALPN over TLS instead of http/1.1 alone"},
		xbackendAPI7 + ": When not set, the implementation will use the protocol determined by the route or listener configuration.", "", ""},
	{Info{NoXForwarded, "sends no X-Forwarded-For, X-Forwarded-Host or X-Forwarded-Proto header upstream"},
		gep4894 + ": the `Backend` resource describes what a specific gateway client connection **MUST** do on the wire when connecting to a destination (nothing names the forwarding headers)", "", ""},
	{Info{ViaHeader, "adds a Via header to the requests it forwards and to the responses it returns"},
		rfc9110 + ": An HTTP-to-HTTP gateway MUST send an appropriate Via header field in each inbound request message and MAY send a Via header field in forwarded response messages.", "", ""},
	{Info{SessionCookieStrict, "sends the session cookie with SameSite=Strict and Secure=false, beside its Path"},
		sessionAPI + ": Cookie provides configuration settings that are specific to cookie-based session persistence (name, path and lifetimeType only: the other cookie attributes are left open)", "", ""},
	{Info{ServicePort80, "gives the Service it creates for an EndpointSelector port 80 (targetPort still the XBackend's port)"},
		xbackendAPI7 + ": The Service port (ClusterIP frontend) is unused; the targetPort SHOULD be set to Backend.spec.port.number.", "", ""},
	{Info{CAContentValidation, "validates the content of each caCertificateRefs bundle further: refuses the XBackend (Accepted=False, reason NoValidCACertificate) when a PEM block is not a certificate, not a CA certificate, or outside its validity period"},
		tlsValAPI + ": Implementations MAY choose to perform further validation of the certificate content (e.g., checking expiry or enforcing specific formats).", "", ""},
}

// Choices returns every choice with its sentence, in a stable order.
func Choices() []ChoiceInfo { return slices.Clone(choices) }
