// Package dataplane places canaries on the loopback of an implementation
// whose data plane runs in pods: a pod's loopback is its own, so a canary
// watching it has to be inside the pod's network namespace. A data plane's
// loopback is where its admin API listens (Envoy's admin port, a metrics
// or debug endpoint): the confused-deputy target GEP-4894 warns about.
//
// [Fakes] wraps the run's fakes. A canary asked with CanarySpec.Gateway
// set (every address loopback) goes into each pod that serves that
// Gateway, found from the Gateway's status address through the Services
// that hold it and their EndpointSlices, or named by a [Selector]
// (--data-plane-selector NAMESPACE/LABELS). Each pod is given, once per
// run, an ephemeral container of xbcheck's image (the pods/ephemeralcontainers
// subresource) running `xbcheck fakes` with nothing but its control API
// on the pod's address, which the harness reaches through the API
// server's pod proxy. The canary starts there with one token for every
// pod, and is proven before it is returned: a request sent from inside the
// pod (the fakes' probe) must reach it and get its token back
// (CanarySummary.Proven); otherwise StartCanary fails and the spec reports
// a harness error. Hits of all pods are read as one canary's.
//
// An ephemeral container cannot be removed: it stays in the pod's spec
// until the pod is recreated. Its process exits IdleExit after the last
// request to its control API, which Fakes keeps busy while the run lasts,
// so it ends soon after the run, also after a crash. Fakes says on
// Progress what it added where, and at Close where the containers stay.
// Changing the implementation's pods is the caller's decision: the runner
// does it on a cluster xbcheck created, or with --allow-data-plane-canaries.
//
//	f, err := dataplane.New(dataplane.Options{Client: cs, Gateways: k, APIServer: cfg.Host, HTTP: hc,
//		Image: img, RunID: run, Progress: os.Stdout}, fakes)
//	defer f.Close(context.Background())
//	info, err := f.StartCanary(ctx, control.CanarySpec{Name: "spec/lo", Addrs: []string{"127.0.0.1:0"}, Gateway: "spec/gw"})
package dataplane
