// Package admission170 is catalog family A for Gateway API v1.7.0's
// XBackend: what its CRD (and its HTTPRoute CRD's rule for XBackend
// backendRefs) admits and rejects, measured in both directions, as
// package admission does for v1.6.3. Its specs run where the installed
// schema is v1.7.0's and skip on v1.6.3's, saying so; the one spec of the
// other direction (v1.6.3 refusing the EndpointSelector type) runs on
// v1.6.3 only. Every manifest is a YAML file beside this package.
package admission170
