// Package endpointselector is the family of Gateway API v1.7.0's
// EndpointSelector XBackend: traffic reaches the ready pods of the
// XBackend's namespace carrying every one of its matchLabels, and follows
// them as they come, go and change readiness (endpointselector.go); the
// Service an implementation makes for it, if it makes one, is named with
// generateName, headless, owned by the XBackend and aimed at its port
// (service.go). On the embedded control plane the pods are objects whose
// status the harness writes, each with a fake upstream at its address; in
// a cluster with nodes these specs skip, saying so. On a v1.6.3 schema,
// which has no EndpointSelector, they skip too.
package endpointselector
