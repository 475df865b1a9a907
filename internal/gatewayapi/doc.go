// Package gatewayapi is the one place that knows the Gateway API as
// xbcheck speaks it: the kinds it reads and writes and a scheme holding
// them (kinds.go), and the XBackend schema of each Gateway API release
// (schema.go): where spec.port holds the number and what the per-Gateway
// status entries are called. A schema change (Gateway API v1.7's
// port.number) is made here, not throughout the specs or the reference
// gateway.
//
// The harness and the reference gateway both import it; neither imports
// the other's packages for it.
//
//	schema, err := gatewayapi.SchemaOf(crd) // from the installed XBackend CRD
//	port, err := schema.Port(xb)            // xb: *unstructured.Unstructured
//	entries, err := schema.Ancestors(xb)
package gatewayapi
