// Package dimension names the behaviour dimensions the XBackend API
// implies without spelling them as fields: DNS resolution, TLS chain
// validation, protocol negotiation, route and Gateway topology, and status
// over time and across controllers, each broken into value classes taken
// from the RFCs and the Gateway API model the API text leans on.
//
// It is a leaf, so a spec's declaration can say which classes it
// exercises without importing the coverage map:
//
//	harness.Scenario{..., Covers: []dimension.Class{dimension.TLSExpired}}
package dimension
