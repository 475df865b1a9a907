// Package incluster runs xbcheck's fakes inside the cluster under test, for
// implementations whose data plane runs in pods: a gateway pod can reach
// neither the harness's loopback nor its network sandbox, and it resolves
// through the cluster's DNS, not through xbcheck's.
//
// [Deploy] creates a namespace of the run holding one pod of xbcheck's own
// image running `xbcheck fakes` (the rogue DNS server, the upstreams, the
// canaries, the control API and the probe), a Service in front of its
// control API and DNS server, and a Service whose ClusterIP is a canary.
// The harness reaches the pod only through the API server's service
// proxy: no network path from the harness to pods is assumed.
//
// [Fakes] is control.Fakes over that pod, with the simulated internet made
// to look external: an upstream listens on a free port of the pod and is
// advertised at an address of 203.0.113.0/24 (TEST-NET-3, never routed on
// the internet) through a Service with that address in spec.externalIPs,
// which kube-proxy captures on every node, so pods reach it as they would
// an address outside the cluster. A canary at the ClusterIP canary address
// is a port of the canary Service. A canary anywhere else (the metadata
// address, the private ranges' edges) is started by the Local fakes, when
// the harness hosts addresses pods reach (the node provider, whose node
// lives in the harness's own sandbox), and refused otherwise. Each start
// returns once the new Service carries traffic, proven by a request from
// the pod through it, whose trace is cleared before the spec sees the log.
//
// Services with externalIPs change what a cluster routes: they are made
// only where the caller may change the cluster (a cluster xbcheck created,
// or --allow-cluster-changes), and live in the run's namespace, so they go
// with it. A cluster whose admission refuses them (the
// DenyServiceExternalIPs plugin) is named in the error of Deploy.
//
// [EndpointPods] makes the pods a scenario of an EndpointSelector XBackend
// selects, as real pods of the same image: each runs `xbcheck fakes` with
// its control API on its own address, reached through the API server's pod
// proxy; the harness starts one upstream there and sets the readiness the
// pod's readinessProbe reads (GET /v1/readiness), so the kubelet writes
// the pod's Ready condition. They live in the scenario's namespaces and go
// with them.
//
//	d, err := incluster.Deploy(ctx, incluster.Options{Config: cfg, Image: img, Namespace: "xbcheck-fakes-" + run})
//	defer d.Close(context.Background())
//	up, err := d.Fakes.StartUpstream(ctx, control.UpstreamSpec{Role: "api"}) // up.Addr is 203.0.113.x:port
//	res, err := d.Prober.Get(ctx, probe.Request{URL: "http://10.96.4.7/"})   // from the pod
package incluster
