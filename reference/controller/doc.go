// Package controller is the control plane of the reference gateway:
// controller-runtime reconcilers for GatewayClass, Gateway, HTTPRoute and
// XBackend, and the glue that programs the data plane
// (reference/dataplane) from them.
//
//	c := controller.New(controller.Options{
//		Addresses: []netip.Addr{netip.MustParseAddr("127.0.2.1")},
//		DataPlane: dataplane.Options{Resolver: dataplane.DNS{Server: dnsAddr}},
//	})
//	if err := c.SetupWithManager(mgr); err != nil { ... }
//	// run mgr; after it stopped:
//	c.Close()
//
// Every reconciler decides from a [World], a snapshot of the cache, with pure
// functions that the unit tests call directly: [World.Resolve] (a backendRef:
// XBackend, or InvalidKind, RefNotPermitted, BackendNotFound),
// [World.Attach] (a parentRef: the listeners it binds to), [Translator]
// (an XBackend and its ConfigMaps and Secret: a dataplane.Backend, or the
// [Refusal] reported as Accepted=False), [XBackendParents] and
// [RouteParents] (status.parents, other controllers' entries untouched).
//
// XBackends are watched unstructured and decoded by reference/xbackend in
// the schema the CRD serves (Gateway API v1.6.3 or v1.7.0). An
// EndpointSelector XBackend is served by the ready pods of its namespace
// carrying every matchLabel ([World.Endpoints]); the XBackend reconciler
// also keeps the Service v1.7.0's notes describe for it (generateName,
// headless, owned by the XBackend, targetPort its port.number).
//
// A Service backendRef is InvalidKind: the reference gateway implements
// XBackend only. A not-Accepted XBackend gets no transport, so its requests
// get 500 and nothing is sent. Each Gateway gets its own address from the
// pool ([Addresses]) and one http.Server per listener port there
// ([Listeners]); HTTP listeners (h2c too, for gRPC clients) and TCP ones
// (others are UnsupportedProtocol). GRPCRoutes, and from v1.7.0 TCPRoutes
// (v1, read unstructured), enter the World as the HTTPRoutes that route
// alike (grpcroute.go, tcproute.go); a TCP listener relays each connection
// through the XBackend's transport (streams.go). The
// routing [Table] looks XBackends up per request, so a transport rebuilt
// because a CA ConfigMap was created or rotated is used at once.
//
// Status is written with merge patches guarded by resourceVersion, never a
// typed Update: the typed XBackend always serialises tls.validation, whose
// empty hostname the CRD rejects.
//
// The controller faults of reference/faults act here: accept-ip-literal
// and ignore-cluster-domain in [Translator], wrong-reason-on-missing-backend
// in [RouteStatus], stale-observed-generation, no-xbackend-status,
// keep-stale-parents, status-for-foreign-gateways and
// ignore-configmap-updates in the XBackend reconciler,
// keep-transport-on-refusal in [Backends], ignore-weights, flatten-weights
// and port-from-route in [Table], select-any-label, select-all-namespaces
// and route-to-unready-pods in [World.Endpoints], stale-endpoints,
// predictable-service-name and service-with-cluster-ip in the XBackend
// reconciler, session-cookie-no-path in [Translator].
package controller
