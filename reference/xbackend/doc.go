// Package xbackend is the XBackend resource as the reference gateway reads
// and writes it, in whichever schema the cluster's CRD serves: Gateway API
// v1.6.3's (spec.port.port, status.parents[].parentRef) or v1.7.0's
// (spec.port.number, status.ancestors[].ancestorRef, the EndpointSelector
// type, sessionPersistence, protocol WSS). The pinned Go module has
// v1.6.3's types only, and v1.7.0's module needs a newer Go, so the
// gateway watches XBackends as unstructured objects and decodes them here;
// internal/gatewayapi's Schema, detected from the installed CRD, is the one
// place that knows where the two releases put the port and the status.
//
//	schema, err := xbackend.Installed(ctx, reader) // from the XBackend CRD
//	xb, err := xbackend.Decode(u, schema)          // u: *unstructured.Unstructured
//	patch, err := xbackend.StatusPatch(schema, xb.ResourceVersion, entries)
package xbackend
