package runner

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/incluster"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// Where the fakes run (--fakes).
const (
	// FakesLocal runs them in xbcheck's process, in its sandbox when it
	// has one: for the embedded control plane and an implementation
	// running as a local process.
	FakesLocal = "local"
	// FakesCluster deploys them into the cluster as a pod
	// (internal/incluster): for implementations whose data plane runs in
	// pods.
	FakesCluster = "cluster"
)

// FakesPlaces lists what --fakes accepts.
func FakesPlaces() []string { return []string{FakesLocal, FakesCluster} }

// fakesInCluster says whether the run deploys its fakes into the cluster.
func (o *Options) fakesInCluster() bool { return o.Fakes == FakesCluster }

// validateFakes refuses the combinations that cannot work, before anything
// starts.
func (o *Options) validateFakes() error {
	switch o.Fakes {
	case "", FakesLocal:
		return nil
	case FakesCluster:
	default:
		return usagef("--fakes %q: use %s (in xbcheck's process) or %s (a pod of the cluster)", o.Fakes, FakesLocal, FakesCluster)
	}
	switch {
	case o.Provider == "" && o.Kubeconfig == "", o.Provider == "envtest":
		return usagef("--fakes cluster needs a cluster that runs pods: give --provider node or kind, or --kubeconfig")
	case o.FakesURL != "":
		return usagef("--fakes cluster and --fakes-url both say where the fakes are: give one of them")
	}
	return nil
}

// deployFakes puts the fakes into the cluster and makes them the run's:
// upstreams advertised in the simulated internet, the fakes pod's address
// and the canary Service's ClusterIP as the in-cluster canaries, probes
// sent from the pod. When the cluster is a node in this process's sandbox,
// canaries at the sandbox plan's addresses (the metadata address, the
// range edges) listen here, where the node routes pods' connections to
// them.
func (e *environment) deployFakes(ctx context.Context, c *cluster.Cluster, runID string, opts Options) error {
	if c.Image == "" {
		return usagef("--fakes cluster: the %s provider loads no xbcheck image into the cluster; use --provider node or kind", c.Provider)
	}
	var local control.Fakes
	if c.Node != nil {
		// Local fakes need a DNS server of their own; the run's DNS is the
		// pod's, so this one answers nobody.
		d, err := dns.Start(context.WithoutCancel(ctx), dns.Config{Zone: harness.TestZone + ".", Addr: "127.0.0.1:0"})
		if err != nil {
			return fmt.Errorf("start the harness's canaries: %w", err)
		}
		e.stops = append(e.stops, d.Close)
		l, err := control.NewLocal(control.LocalOptions{DNS: d, Guard: sandbox.Guard})
		if err != nil {
			return fmt.Errorf("start the harness's canaries: %w", err)
		}
		e.stops = append(e.stops, l.Close)
		local = l
	}
	d, err := incluster.Deploy(ctx, incluster.Options{
		Config:    c.Config,
		Image:     c.Image,
		Namespace: "xbcheck-fakes-" + runID,
		Labels:    map[string]string{harness.RunLabel: runID},
		Zone:      harness.TestZone + ".",
		Local:     local,
		Progress:  opts.Out,
	})
	if err != nil {
		return fmt.Errorf("deploy the fakes into the cluster: %w", err)
	}
	e.stops = append(e.stops, func() error { return d.Close(context.Background()) })
	e.fakes, e.prober, e.inCluster = d.Fakes, d.Prober, d
	e.DNSServer = d.DNS.String()
	e.internet = netip.MustParsePrefix(incluster.DefaultInternet)
	e.Network.Pod = d.Pod
	e.Network.Service = d.Service
	e.Network.NoLoopback = "the implementation runs in pods, and a pod's loopback is its own"
	if !d.IPv6 {
		e.Network.NoIPv6 = "the cluster's pods have no IPv6 address (the fakes pod has none)"
	}
	if c.Node == nil {
		// The nodes are not in this process's sandbox: the plan's
		// addresses there are real destinations.
		e.Network.Sandboxed, e.Network.Metadata = false, nil
		e.Network.NoSandbox = fmt.Sprintf("the %s cluster's nodes are outside xbcheck's sandbox, where the metadata address and the private ranges' edges are real destinations", c.Provider)
	}
	return nil
}

// probeURL is the in-cluster probe for the workers, or "".
func (e *environment) probeURL() string {
	if e.inCluster == nil {
		return ""
	}
	return e.inCluster.Prober.URL
}
