package runner

import (
	"context"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/dataplane"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

// noDataPlaneConsent is why the loopback specs skip on a cluster xbcheck
// did not create, unless --allow-data-plane-canaries.
const noDataPlaneConsent = "the implementation runs in pods, and a pod's loopback is its own: a canary there is an ephemeral container xbcheck adds to the implementation's pods, which it does only on a cluster it created; give --allow-data-plane-canaries to allow it on this one"

// dataPlaneConsent says whether the run may add canary containers to the
// implementation's pods: on a cluster it created, or with the user's word.
func dataPlaneConsent(o Options, c *cluster.Cluster) bool {
	return c.Created || o.AllowDataPlaneCanaries
}

// validateDataPlane refuses the data-plane flags where they mean nothing.
func (o *Options) validateDataPlane() error {
	inCluster := o.Kubeconfig != "" || o.Provider == "node" || o.Provider == "kind"
	if o.DataPlaneSelector != "" {
		if _, err := dataplane.ParseSelector(o.DataPlaneSelector); err != nil {
			return UsageError{err}
		}
		if !inCluster || o.Fakes == FakesLocal {
			return usagef("--data-plane-selector names the implementation's pods, for canaries on their loopback with the fakes in a cluster: give --provider node or kind, or --kubeconfig, without --fakes %s", FakesLocal)
		}
	}
	if o.AllowDataPlaneCanaries && o.Kubeconfig == "" && o.Provider != "kind" {
		return usagef("--allow-data-plane-canaries is for a cluster xbcheck did not create (it adds canaries to the pods of one it created anyway): give --kubeconfig (or --provider kind with --kind-cluster) too, or leave it out")
	}
	return nil
}

// placeDataPlaneCanaries makes the run's canaries on the implementation's
// loopback listen inside its pods, when the run may change them; else the
// specs that need one skip, saying which flag allows it.
func (e *environment) placeDataPlaneCanaries(c *cluster.Cluster, runID string, opts Options) error {
	if opts.ImplementationCmd != "" {
		// It runs beside xbcheck, out of the canary pods' and the harness's reach.
		e.Network.NoLoopback = "the implementation runs beside xbcheck while the fakes run in the cluster, so no canary shares its loopback"
		return nil
	}
	if !dataPlaneConsent(opts, c) {
		e.Network.NoLoopback = noDataPlaneConsent
		return nil
	}
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return err
	}
	hc, err := rest.HTTPClientFor(c.Config)
	if err != nil {
		return err
	}
	k, err := client.New(c.Config, client.Options{Scheme: gatewayapi.Scheme()})
	if err != nil {
		return err
	}
	o := dataplane.Options{
		Client: cs, Gateways: k, APIServer: c.Config.Host, HTTP: hc,
		Image: e.image, RunID: runID, Progress: opts.Out,
	}
	if opts.DataPlaneSelector != "" {
		sel, _ := dataplane.ParseSelector(opts.DataPlaneSelector) // validateDataPlane parsed it
		o.Selector = &sel
	}
	f, err := dataplane.New(o, e.fakes)
	if err != nil {
		return err
	}
	e.stops = append(e.stops, func() error { return f.Close(context.Background()) })
	e.fakes = f
	e.Network.NoLoopback, e.Network.LoopbackInPods = "", true
	return nil
}
