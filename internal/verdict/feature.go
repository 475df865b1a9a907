package verdict

import "slices"

// Feature names a part of XBackend an implementation may support.
type Feature string

// Origin says who defines a feature name: Gateway API itself, or xbcheck
// where the API names none.
type Origin string

const (
	// OriginGatewayAPI is a name defined by Gateway API (GEP-4894).
	OriginGatewayAPI Origin = "Gateway API (GEP-4894)"
	// OriginXBcheck is a name xbcheck defines; no implementation claims it
	// on its own, so specs gated on it must never pass by being skipped.
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
	// FeatureProtocol is the protocol field: HTTP, HTTP11, HTTP2, H2C.
	FeatureProtocol Feature = "ResourceBackendProtocol"
	// FeatureDNSRebindingProtection is refusing forbidden addresses whatever
	// DNS answers.
	FeatureDNSRebindingProtection Feature = "ResourceBackendDNSRebindingProtection"
)

// FeatureInfo describes a feature: who named it and whether it is core.
type FeatureInfo struct {
	Name   Feature
	Origin Origin
	// Core features' MUST specs make the core result of a conformance report.
	Core bool
	// Summary says in a line what the feature covers.
	Summary string
}

// Features lists every feature a spec may carry, core first.
func Features() []FeatureInfo {
	return []FeatureInfo{
		{FeatureResourceBackend, OriginGatewayAPI, true, "XBackend as a backendRef: routing to it and its status"},
		{FeatureExternalHostname, OriginGatewayAPI, true, "the ExternalHostname type: an FQDN outside the cluster"},
		{FeatureTLS, OriginXBcheck, false, "tls.mode ServerOnly: server certificate verification"},
		{FeatureMutualTLS, OriginXBcheck, false, "tls.mode ClientAndServer: a client certificate presented"},
		{FeatureProtocol, OriginXBcheck, false, "the protocol field: HTTP, HTTP11, HTTP2, H2C"},
		{FeatureDNSRebindingProtection, OriginXBcheck, false, "refusing loopback, link-local and in-cluster addresses whatever DNS answers"},
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

// FeatureSet says which features the implementation supports and where
// that came from.
type FeatureSet struct {
	// Supported features; nil means every feature.
	Supported map[Feature]bool
	// Source says where the set came from, for skip reasons and reports.
	Source string
}

// Supports reports whether f is in the set.
func (fs FeatureSet) Supports(f Feature) bool {
	return fs.Supported == nil || fs.Supported[f]
}

// List returns the supported features in the order of Features.
func (fs FeatureSet) List() []Feature {
	var out []Feature
	for _, f := range FeatureNames() {
		if fs.Supports(f) {
			out = append(out, f)
		}
	}
	return out
}
