package verdict

import "slices"

// Feature names a part of XBackend an implementation may support.
type Feature string

// Origin says who defines a feature name: Gateway API itself, or xbcheck
// where the API names none.
type Origin string

const (
	// OriginGEP is a name defined by GEP-4894, the XBackend proposal.
	OriginGEP Origin = "Gateway API, GEP-4894"
	// OriginGatewayAPI is a feature name of Gateway API's pkg/features.
	OriginGatewayAPI Origin = "Gateway API, pkg/features"
	// OriginXBcheck is a name xbcheck defines where the API names none; no
	// implementation claims it on its own, so nothing gated on it may pass by
	// being skipped.
	OriginXBcheck Origin = "xbcheck"
)

const (
	// FeatureResourceBackend is XBackend support as such: routes to it and
	// status on it.
	FeatureResourceBackend Feature = "ResourceBackend"
	// FeatureExternalHostname is the ExternalHostname backend type.
	FeatureExternalHostname Feature = "ResourceBackendExternalHostname"
	// FeatureTLS is tls.mode ServerOnly with validation.
	FeatureTLS Feature = "ResourceBackendTLS"
	// FeatureMutualTLS is tls.mode ClientAndServer.
	FeatureMutualTLS Feature = "ResourceBackendMutualTLS"
	// FeatureDNSRebindingProtection is refusing forbidden addresses whatever
	// DNS answers.
	FeatureDNSRebindingProtection Feature = "ResourceBackendDNSRebindingProtection"
	// FeatureSessionPersistence is v1.7.0's sessionPersistence.
	FeatureSessionPersistence Feature = "ResourceBackendSessionPersistence"
	// FeatureWSS is v1.7.0's protocol WSS: WebSocket over TLS.
	FeatureWSS Feature = "ResourceBackendProtocolWSS"
	// FeatureGRPC is v1.7.0's protocol GRPC, reached through a GRPCRoute.
	FeatureGRPC Feature = "ResourceBackendProtocolGRPC"
	// FeatureTCP is v1.7.0's protocol TCP, reached through a TCPRoute.
	FeatureTCP Feature = "ResourceBackendProtocolTCP"
	// FeatureHTTPRouteHostRewrite is the URLRewrite filter's hostname, as
	// Gateway API's conformance suite names it.
	FeatureHTTPRouteHostRewrite Feature = "HTTPRouteHostRewrite"
	// FeatureHTTPRouteQueryParamMatching is an HTTPRoute rule's
	// queryParams matches, as Gateway API's conformance suite names it.
	FeatureHTTPRouteQueryParamMatching Feature = "HTTPRouteQueryParamMatching"
)

// FeatureInfo describes a feature: who named it and whether it is core.
type FeatureInfo struct {
	Name   Feature
	Origin Origin
	// Core features are required of every implementation: their specs
	// always run and always count, whatever it claims; their MUST specs
	// make the core result of a conformance report.
	Core bool
	// Summary says in a line what the feature covers.
	Summary string
}

// Features lists every feature a spec may carry, core first.
func Features() []FeatureInfo {
	return []FeatureInfo{
		{FeatureResourceBackend, OriginGEP, true, "XBackend as a backendRef: routing, status, namespaces, the Core protocols (HTTP, HTTP11, HTTP2, H2C), tls.mode None, and v1.7.0's EndpointSelector type (Core there)"},
		{FeatureExternalHostname, OriginGEP, true, "the ExternalHostname type: an FQDN outside the cluster (Extended in GEP-4894; the XBACKEND profile certifies it, so it is required here)"},
		{FeatureTLS, OriginXBcheck, false, "tls.mode ServerOnly: server certificate verification"},
		{FeatureMutualTLS, OriginXBcheck, false, "tls.mode ClientAndServer: a client certificate presented"},
		{FeatureDNSRebindingProtection, OriginXBcheck, false, "refusing loopback, link-local and in-cluster addresses whatever DNS answers"},
		{FeatureSessionPersistence, OriginXBcheck, false, "Gateway API v1.7.0's sessionPersistence: a cookie or header keeping a client on one endpoint"},
		{FeatureWSS, OriginXBcheck, false, "Gateway API v1.7.0's protocol WSS: a WebSocket upgrade carried to the backend over verified TLS"},
		{FeatureGRPC, OriginXBcheck, false, "Gateway API v1.7.0's protocol GRPC: a GRPCRoute's calls carried to the backend as HTTP/2, over verified TLS (ALPN h2) or h2c"},
		{FeatureTCP, OriginXBcheck, false, "Gateway API v1.7.0's protocol TCP: a TCPRoute's connections relayed to the backend, over verified TLS when tls is set, within the egress guardrail"},
		{FeatureHTTPRouteHostRewrite, OriginGatewayAPI, false, "the HTTPRoute URLRewrite filter's hostname"},
		{FeatureHTTPRouteQueryParamMatching, OriginGatewayAPI, false, "an HTTPRoute rule's query parameter matches selecting its XBackend"},
	}
}

// FeatureNames lists the names of Features, in order.
func FeatureNames() []Feature {
	var names []Feature
	for _, f := range Features() {
		names = append(names, f.Name)
	}
	return names
}

// Lookup returns the description of f, and false when f is not a feature.
func (f Feature) Lookup() (FeatureInfo, bool) {
	i := slices.IndexFunc(Features(), func(info FeatureInfo) bool { return info.Name == f })
	if i < 0 {
		return FeatureInfo{}, false
	}
	return Features()[i], true
}

// Core reports whether f is a core feature.
func (f Feature) Core() bool {
	info, _ := f.Lookup()
	return info.Core
}

// FeatureSet is what the implementation claims, and what the user
// exempted from the run.
type FeatureSet struct {
	// Claimed features; nil claims every feature (--all-features). Core
	// features are claimed whatever this says.
	Claimed map[Feature]bool
	// Exempt features' specs are skipped, unless core or fail-closed.
	Exempt map[Feature]bool
	// Source says where the set came from, for reasons and reports.
	Source string
}

// Claims reports whether the implementation claims f: every core feature,
// and the extended features it lists.
func (fs FeatureSet) Claims(f Feature) bool {
	return f.Core() || fs.Claimed == nil || fs.Claimed[f]
}

// Skips reports whether the spec of s is left out of the run: only an
// extended feature the user exempted, and never a fail-closed requirement.
func (fs FeatureSet) Skips(s Scenario) bool {
	return !s.Feature.Core() && !s.FailClosed && fs.Exempt[s.Feature]
}

// List returns the claimed features in the order of Features.
func (fs FeatureSet) List() []Feature {
	var out []Feature
	for _, f := range FeatureNames() {
		if fs.Claims(f) {
			out = append(out, f)
		}
	}
	return out
}
