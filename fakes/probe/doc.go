// Package probe sends requests through a Gateway on behalf of a harness
// that cannot reach it: in a cluster, the probe runs in a pod (beside the
// fakes, in `xbcheck fakes`) and the harness drives it through the API
// server, so a Gateway at a ClusterIP, a pod IP or a load balancer without
// an external address is probed from where the implementation's clients
// are. Each request goes on a fresh connection, so every probe makes the
// implementation route anew.
//
//	mux.Handle("POST /v1/probe", probe.Handler())          // in the pod
//	res, err := (&probe.Client{URL: base}).Get(ctx, probe.Request{URL: "http://10.96.3.4:8080/x"})
package probe
