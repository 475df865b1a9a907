// Package endpointselector is the family of Gateway API v1.7.0's
// EndpointSelector XBackend: traffic reaches the ready pods of the
// XBackend's namespace carrying every one of its matchLabels, and follows
// them as they come, go and change readiness (endpointselector.go); the
// Service an implementation makes for it, if it makes one, is named with
// generateName, headless, owned by the XBackend and aimed at its port
// (service.go). On the embedded control plane the pods are objects whose
// status the harness writes, each with a fake upstream at its address;
// where xbcheck's fakes run in a cluster with kubelets they are real pods
// of xbcheck's image, each serving a fake upstream on its own address,
// Ready when the kubelet's probe finds the harness said so (harness.StartPod
// chooses; the specs are the same). On a v1.6.3 schema, which has no
// EndpointSelector, they skip.
package endpointselector
