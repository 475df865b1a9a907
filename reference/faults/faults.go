package faults

import (
	"fmt"
	"slices"
	"strings"
)

// Fault names one deliberate bug.
type Fault string

// Data-plane faults; [All] describes each one.
const (
	SkipSANCheck       Fault = "skip-san-check"
	SkipChainCheck     Fault = "skip-chain-check"
	NoSNI              Fault = "no-sni"
	WrongSNI           Fault = "wrong-sni"
	UnverifiedCARefs   Fault = "unsupported-ca-refs-unverified"
	PlaintextWhenMTLS  Fault = "plaintext-when-mtls"
	NoClientCert       Fault = "no-client-cert"
	FollowRebind       Fault = "follow-rebind"
	CheckAtResolveOnly Fault = "check-at-resolve-only"
	H2WhenHTTP11       Fault = "h2-when-http11"
	NoH2C              Fault = "no-h2c"
	PassClientHost     Fault = "pass-client-host"
	CacheDNSForever    Fault = "cache-dns-forever"
)

// Data-plane faults of TLS validation, SNI and ALPN; [All] describes each one.
const (
	CARefsPlusSystemRoots Fault = "ca-refs-plus-system-roots"
	SystemRootsSkipName   Fault = "system-roots-skip-name"
	SkipValidityPeriod    Fault = "skip-validity-period"
	CheckExpiryOnly       Fault = "check-expiry-only"
	SANSkipsChain         Fault = "san-skips-chain"
	HostnameWithSANs      Fault = "hostname-authenticates-with-sans"
	WildcardAnyDepth      Fault = "wildcard-any-depth"
	IssuerNameOnly        Fault = "issuer-name-only"
	PeerChainAsRoots      Fault = "peer-chain-as-roots"
	ResumeSkipsVerify     Fault = "resume-skips-verify"
	MTLSSkipsServerVerify Fault = "mtls-skips-server-verify"
	IPAsSNI               Fault = "ip-as-sni"
	SNIFromHost           Fault = "sni-from-host"
	ALPNH2Only            Fault = "alpn-h2-only"
	NoH2ALPN              Fault = "no-h2-alpn"
	H2CWhenProtocolUnset  Fault = "h2c-when-protocol-unset"
)

// Data-plane faults of the egress guardrail and the resolver; [All] describes each one.
const (
	TrustCNAMEChain     Fault = "trust-cname-chain"
	StdlibIPClasses     Fault = "stdlib-ip-classes"
	TextPrefixBlocklist Fault = "text-prefix-blocklist"
	UncheckedDNSRefresh Fault = "unchecked-dns-refresh"
)

// Controller faults; [All] describes each one.
const (
	AcceptIPLiteral             Fault = "accept-ip-literal"
	IgnoreClusterDomain         Fault = "ignore-cluster-domain"
	StaleObservedGeneration     Fault = "stale-observed-generation"
	NoXBackendStatus            Fault = "no-xbackend-status"
	NoRouteStatus               Fault = "no-route-status"
	KeepStaleParents            Fault = "keep-stale-parents"
	WrongReasonOnMissingBackend Fault = "wrong-reason-on-missing-backend"
	IgnoreWeights               Fault = "ignore-weights"
	FlattenWeights              Fault = "flatten-weights"
	PortFromRoute               Fault = "port-from-route"
	StatusForForeignGateways    Fault = "status-for-foreign-gateways"
	IgnoreConfigMapUpdates      Fault = "ignore-configmap-updates"
	CARefAnyKind                Fault = "ca-ref-any-kind"
	KeepTransportOnRefusal      Fault = "keep-transport-on-refusal"
)

// Faults of EndpointSelector, sessionPersistence and WSS (Gateway API
// v1.7.0's XBackend); [All] describes each one.
const (
	SelectAnyLabel         Fault = "select-any-label"
	RouteToUnreadyPods     Fault = "route-to-unready-pods"
	SelectAllNamespaces    Fault = "select-all-namespaces"
	StaleEndpoints         Fault = "stale-endpoints"
	PredictableServiceName Fault = "predictable-service-name"
	ServiceWithClusterIP   Fault = "service-with-cluster-ip"
	IgnoreSession          Fault = "ignore-session"
	SessionCookieNoPath    Fault = "session-cookie-no-path"
	WSSSkipsVerify         Fault = "wss-skips-verify"
)

// Info describes a fault in one line: what breaks, and the real bug it imitates.
type Info struct {
	Name        Fault
	Description string
}

var all = []Info{
	{SkipSANCheck, "verifies the chain but not the name (hostname or subjectAltNames): the implementations that skip the name check when subjectAltNames is empty"},
	{SkipChainCheck, "accepts any server certificate chain (InsecureSkipVerify): the classic disabled-verification bug"},
	{NoSNI, "sends no SNI in the ClientHello: proxies that dial the resolved IP and forget the server name"},
	{WrongSNI, "sends the externalHostname as SNI instead of tls.validation.hostname: the Host-versus-SNI mix-up"},
	{UnverifiedCARefs, "with more than one caCertificateRefs entry, drops them all and verifies nothing: one ref hard-coded as supported (agentgateway/agentgateway#1898) meeting the no-CA-means-no-verification default of Istio's DestinationRule (istio/istio#42790)"},
	{PlaintextWhenMTLS, "sends plaintext HTTP when tls.mode is ClientAndServer: implementations without mTLS support failing open"},
	{NoClientCert, "does not present the client certificate in ClientAndServer mode: the Secret is read but never wired into the handshake"},
	{FollowRebind, "turns the egress guardrail off, so DNS answers of loopback, link-local or pod addresses are dialled: DNS rebinding (CVE-2021-25740 shape)"},
	{CheckAtResolveOnly, "checks the addresses of one lookup, then dials by name and resolves again unchecked: the time-of-check/time-of-use rebinding bug"},
	{H2WhenHTTP11, "offers and uses h2 by ALPN although the protocol is HTTP11: transports that enable HTTP/2 globally"},
	{NoH2C, "speaks HTTP/1.1 over cleartext when the protocol is H2C: implementations that ignore the prior-knowledge protocol"},
	{PassClientHost, "forwards the client's Host header unchanged, ignoring the externalHostname and the URLRewrite hostname: proxies that pass Host through"},
	{CacheDNSForever, "keeps the first DNS answer for the life of the process, ignoring the TTL: resolvers cached at start-up"},
	{CARefsPlusSystemRoots, "starts the caCertificateRefs pool from the system roots, so any public CA is trusted too: x509.SystemCertPool plus AppendCertsFromPEM, the pattern of vbauerster/getparty#26 and oauth2-proxy/oauth2-proxy#2236, applied where only the referenced CA may be trusted"},
	{SystemRootsSkipName, "under wellKnownCACertificates System checks the chain but not the name: Envoy trusting any certificate of a trusted CA when no SAN matcher is set (envoyproxy/envoy#6763, envoyproxy/envoy#7312)"},
	{SkipValidityPeriod, "verifies the chain as of the certificate's own NotBefore, never against the clock, so an expired certificate passes: a custom verifier that skips the validity period (google/nomulus#391)"},
	{CheckExpiryOnly, "checks that the certificate has not expired but not that its validity has begun, so a certificate valid only from tomorrow passes: a verifier comparing NotAfter alone"},
	{SANSkipsChain, "when subjectAltNames is set, matches the SAN but skips the chain: SAN-only verification without a trusted CA (envoyproxy/envoy#3550)"},
	{HostnameWithSANs, "accepts a certificate for validation.hostname even when subjectAltNames is set and none matches: the precedence gateway-api fixed in kubernetes-sigs/gateway-api#4039 (hostname MUST NOT authenticate then)"},
	{WildcardAnyDepth, "lets a wildcard certificate name match any number of labels (*.example.com for a.b.example.com): the RFC 6125 violation of testssl/testssl.sh#94 and eclipse-ee4j/angus-mail#208"},
	{IssuerNameOnly, "accepts a chain whose issuer name matches a trusted CA's subject without checking the signature: a CA spoofed by name (CVE-2020-0601 shape)"},
	{PeerChainAsRoots, "adds the CA certificates the server sends after its leaf to the trusted roots, so any intermediate the server presents becomes a trust anchor: the mistake of code that loads a whole chain file into a root pool"},
	{ResumeSkipsVerify, "keeps one TLS session cache across CA changes and skips verification on resumed sessions, so a CA removed from the ConfigMap is still trusted: CVE-2025-68121 in Go's crypto/tls"},
	{MTLSSkipsServerVerify, "in ClientAndServer mode presents the client certificate but does not verify the server: the MUTUAL-without-caCertificates behaviour of istio/istio#42790"},
	{IPAsSNI, "sets the server name to the dialled IP address, so no valid SNI is sent: Kong/kong#2225, mitmproxy/mitmproxy#4480"},
	{SNIFromHost, "sends the Host header sent upstream (a URLRewrite hostname, else the externalHostname) as SNI instead of tls.validation.hostname, still verifying the certificate against the latter: Envoy's auto_sni (envoyproxy/gateway#6901, emissary-ingress/emissary#449)"},
	{ALPNH2Only, "offers only h2 by ALPN for protocol HTTP, so an HTTP/1.1-only TLS server refuses the handshake: an ALPN list the backend cannot accept (istio/istio#24619)"},
	{NoH2ALPN, "omits h2 from the ALPN list for protocol HTTP2, so the backend falls back to HTTP/1.1 and the connection is refused: istio/istio#25089"},
	{H2CWhenProtocolUnset, "opens cleartext connections with the HTTP/2 prior-knowledge preface when no protocol is set, instead of following the HTTP/1.1 route: an h2 upgrade policy applied to every backend (istio/istio#5769)"},
	{TrustCNAMEChain, "vets only the addresses the asked name owns, trusting those a CNAME chain leads to (localhost., a cluster-local Service): egress filters that vet the first hop of a chain"},
	{StdlibIPClasses, "denies only what net/netip calls loopback, private, link-local or multicast, so 0.0.0.0 (which reaches loopback), 0/8, carrier-grade NAT and the NAT64 and 6to4 forms pass: SSRF filters built on IsPrivate and IsLoopback"},
	{TextPrefixBlocklist, "matches the address's text against the prefixes examples show (127.0.0., 10., 172.16., 192.168., 169.254.169.254, ::1, fd00:ec2::254), missing the rest of each range: string blocklists in SSRF filters"},
	{UncheckedDNSRefresh, "vets the addresses of the first resolution only, then re-resolves every 10s in the background, whatever the TTL, and dials what the refresh brings unchecked: a guardrail applied when the configuration is accepted while the data plane refreshes DNS on its own timer (Envoy's dns_refresh_rate, NGINX's resolver valid=)"},
	{AcceptIPLiteral, "accepts an IP literal as externalHostname although the API forbids it: trusting admission that lets 10.0.0.1 through"},
	{IgnoreClusterDomain, "accepts hostnames under the cluster domain and short in-cluster names: treating external names like Services"},
	{StaleObservedGeneration, "writes status with the generation first seen, not the current one: status computed from a cached object"},
	{NoXBackendStatus, "never writes XBackend status.parents: implementations that only route"},
	{NoRouteStatus, "never writes HTTPRoute status.parents: a data plane without a status writer, whose routes look unprocessed"},
	{KeepStaleParents, "leaves a Gateway's status.parents entry after no route of it refers to the XBackend: no cleanup on unreference"},
	{WrongReasonOnMissingBackend, "reports a missing XBackend with reason InvalidKind instead of BackendNotFound: reason strings mixed up"},
	{IgnoreWeights, "sends every request to the first backendRef of a rule, ignoring weights: implementations without weighted backendRefs"},
	{FlattenWeights, "gives every backendRef of a rule weight 1, so 3:1 becomes 1:1: Backend weights lost in translation (envoyproxy/gateway#4602)"},
	{PortFromRoute, "dials the backendRef's port, and 80 or 443 when it has none, instead of the XBackend's port: the port confusion of kgateway-dev/kgateway.dev#311"},
	{StatusForForeignGateways, "writes XBackend status entries for every Gateway a route names, other controllers' Gateways included: kgateway-dev/kgateway#10967"},
	{CARefAnyKind, "reads every caCertificateRefs entry as a ConfigMap of that name, whatever its group and kind, so a reference to an unregistered kind is trusted instead of rejected"},
	{IgnoreConfigMapUpdates, "rebuilds an XBackend's TLS only when the XBackend changes, not when its CA ConfigMap does, so a replaced or deleted CA is still trusted: kubernetes-sigs/gateway-api#4338"},
	{SelectAnyLabel, "selects the pods having any one of the endpointSelector's matchLabels instead of all of them: a selector built as OR, e.g. one label query per key merged"},
	{RouteToUnreadyPods, "routes to every selected pod whatever its Ready condition: endpoints taken from pod IPs as publishNotReadyAddresses would, so pods still starting or failing their probes get traffic"},
	{SelectAllNamespaces, "selects matching pods in every namespace, not only the XBackend's: a cluster-wide pod informer queried without the namespace, reaching other tenants' pods"},
	{StaleEndpoints, "computes the endpoints when the XBackend is accepted and never again: no pod watch, so pods added later get no traffic and removed ones keep getting it"},
	{PredictableServiceName, "names the Service it creates for an EndpointSelector <xbackend>-backend instead of using generateName: the predictable DNS name v1.7.0's notes for implementers forbid"},
	{ServiceWithClusterIP, "creates the EndpointSelector's Service with a ClusterIP instead of headless: kube-proxy programs a virtual IP nobody should use"},
	{IgnoreSession, "issues a session token (cookie or header) but routes each request at random whatever token it brings: session persistence configured but dropped by the load balancer"},
	{SessionCookieNoPath, "sends the session cookie without a Path attribute, ignoring cookie.path (\"/\" by default, a MUST of v1.7.0), so browsers scope it to the first request's directory and sessions break across paths: data planes that cannot set the cookie path"},
	{WSSSkipsVerify, "for protocol WSS skips the server certificate check: a WebSocket upgrade path with a TLS client of its own, built with InsecureSkipVerify (the classic websocket-proxy shortcut)"},
	{GRPCSkipsVerify, "for protocol GRPC skips the server certificate check: a gRPC upstream cluster with a TLS context of its own and no validation context (Envoy's UpstreamTlsContext without validation_context trusts any server)"},
	{GRPCOverHTTP11, "speaks HTTP/1.1 to a GRPC backend (ALPN http/1.1 over TLS, no prior knowledge in cleartext), which a gRPC server refuses: the HTTP/1.1 upstream default of proxies when no HTTP/2 protocol option is set for the cluster"},
	{TCPSkipsGuardrail, "turns the egress guardrail off for protocol TCP, so whatever address DNS gives is dialled: a TCP proxy path that resolves on its own, outside the HTTP transport's checks"},
	{TCPPlaintextWhenTLS, "relays protocol TCP in cleartext although the XBackend's tls asks for TLS: a TCP proxy that forwards bytes and ignores the backend's TLS settings"},
	{KeepTransportOnRefusal, "keeps serving an XBackend with its last good configuration after it becomes refused (CA deleted, hostname an IP literal), while status says not Accepted: linkerd/linkerd2#1349, cilium/cilium#44743"},
	{IPv4Only, "uses only the A records of a hostname and drops its AAAA answers, so a host on IPv6 only is never reached: Envoy's dns_lookup_family V4_ONLY, a common default for upstream clusters"},
	{SessionCookieUnnamed, "names every session cookie the XBackend names none for \"session\", the same for every XBackend, so two XBackends' sessions on one host overwrite each other's cookie: data planes with one default cookie name instead of a generated unique one"},
}

// All returns every switch with its one-line description, in a stable
// order: the faults, then the choices ([Choices]).
func All() []Info {
	out := slices.Clone(all)
	for _, c := range choices {
		out = append(out, c.Info)
	}
	return out
}

// Choice says f is no bug but something an implementation may choose (see
// [Choices]): the harness must cope with it, and no spec may fail on it,
// so mutation testing leaves it out.
func Choice(f Fault) bool {
	return slices.ContainsFunc(choices, func(c ChoiceInfo) bool { return c.Name == f })
}

// Set is a set of enabled faults. The zero Set enables none.
type Set map[Fault]bool

// Has reports whether f is enabled.
func (s Set) Has(f Fault) bool { return s[f] }

// String lists the enabled faults, sorted and comma-separated, in the form Parse reads.
func (s Set) String() string {
	names := make([]string, 0, len(s))
	for f, on := range s {
		if on {
			names = append(names, string(f))
		}
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// Parse reads a comma-separated list of fault names; blanks are ignored.
func Parse(list string) (Set, error) {
	set := Set{}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !known(Fault(name)) {
			return nil, fmt.Errorf("unknown fault %q: use one or more of %s", name, validNames())
		}
		set[Fault(name)] = true
	}
	return set, nil
}

func known(f Fault) bool {
	return slices.ContainsFunc(All(), func(i Info) bool { return i.Name == f })
}

func validNames() string {
	infos := All()
	names := make([]string, len(infos))
	for i, info := range infos {
		names[i] = string(info.Name)
	}
	return strings.Join(names, ", ")
}
