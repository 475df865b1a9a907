// Package suites is the XBackend conformance suite: one package per
// scenario group of the catalog, each with the manifests its specs apply
// beside it, and the harness they are written with.
//
//	admission/   group A: what the API server admits, and hostnames never routed
//	routing/     group B: routing, route conditions, XBackend status
//	backendtls/  group C: TLS to the external host
//	protocol/    group D: the protocol spoken upstream
//	rebinding/   group E: DNS and egress safety
//	admission170/      Gateway API v1.7.0's CRD rules, both directions
//	endpointselector/  v1.7.0's EndpointSelector: selected pods, the Service made for them
//	session/           v1.7.0's sessionPersistence
//	websocket/         v1.7.0's protocol WSS
//	harness/     the Harness, the Spec each test gets, and the shared helpers
//
// A spec is found by its ShortName in the group's Go file; the YAML it
// applies is named in its body and lies in the same folder; the fakes it
// talks to are started in its body through the harness (StartUpstream,
// StartCanary, Answer).
package suites
