package runner

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/coredns"
	"github.com/xbcheck/xbcheck/internal/incluster"
	"github.com/xbcheck/xbcheck/internal/node"
	"github.com/xbcheck/xbcheck/internal/registry"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/reference/controller"
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

// fakesInCluster says whether the run deploys its fakes into the cluster
// (once placeFakes has resolved the default).
func (o *Options) fakesInCluster() bool { return o.Fakes == FakesCluster }

// placeFakes resolves where the fakes run when --fakes does not say: in
// the cluster when the implementation runs there (a cluster that runs
// pods, no --implementation-cmd beside xbcheck, no fakes already running
// elsewhere), else in xbcheck's process.
func placeFakes(o Options, c *cluster.Cluster) string {
	switch {
	case o.Fakes != "":
		return o.Fakes
	case o.ImplementationCmd != "" || o.FakesURL != "" || c.Provider == "envtest":
		return FakesLocal
	}
	return FakesCluster
}

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
	image, err := imageFor(ctx, c, opts)
	if err != nil {
		return err
	}
	if !c.ClusterWide {
		return usagef("--fakes cluster changes the cluster as a whole (a stub zone for %s in CoreDNS, Services with externalIPs), which xbcheck does only on a cluster it created: give --allow-cluster-changes to allow it on this one", harness.TestZone)
	}
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return err
	}
	found, err := incluster.TakeFootprint(ctx, cs)
	if err != nil {
		return fmt.Errorf("read the cluster before changing it: %w", err)
	}
	e.footprint = &footprint{cs: cs, found: found, out: opts.Out}
	var local control.Fakes
	if c.Node != nil {
		// Local fakes need a DNS server of their own; the run's DNS is the
		// pod's, so this one answers nobody.
		d, err := dns.Start(context.WithoutCancel(ctx), dns.Config{Zone: harness.TestZone + ".", Addr: "127.0.0.1:0"})
		if err != nil {
			return fmt.Errorf("start the harness's canaries: %w", err)
		}
		e.stops = append(e.stops, d.Close)
		// The sandbox's plan, and the node's own address, where pods reach
		// this process.
		nodeIP := c.Node.NodeIP
		guard := func(a netip.Addr) error {
			if a == nodeIP {
				return nil
			}
			return sandbox.Guard(a)
		}
		l, err := control.NewLocal(control.LocalOptions{DNS: d, Guard: guard})
		if err != nil {
			return fmt.Errorf("start the harness's canaries: %w", err)
		}
		e.stops = append(e.stops, l.Close)
		local = l
	}
	d, err := incluster.Deploy(ctx, incluster.Options{
		Config:    c.Config,
		Image:     image,
		Namespace: "xbcheck-fakes-" + runID,
		Labels:    map[string]string{harness.RunLabel: runID},
		Zone:      harness.TestZone + ".",
		Local:     local,
		Progress:  opts.Out,
	})
	if err != nil {
		return fmt.Errorf("deploy the fakes into the cluster: %w", err)
	}
	e.stops = append(e.stops, func() error {
		// The pods' logs outlive them in the report folder.
		if opts.ReportDir != "" {
			if _, err := d.SaveLogs(context.Background(), filepath.Join(opts.ReportDir, "pods")); err != nil {
				fmt.Fprintf(opts.Out, "xbcheck: %v\n", err)
			}
		}
		return d.Close(context.Background())
	})
	// The implementation's pods resolve through the cluster's DNS, which
	// must send the test zone to the rogue DNS.
	change, err := coredns.Add(ctx, cs, runID, coredns.StubZone{Zone: harness.TestZone, Servers: []netip.AddrPort{d.DNS}}, opts.Out)
	if err != nil {
		return fmt.Errorf("send %s to the rogue DNS: %w", harness.TestZone, err)
	}
	e.stops = append(e.stops, func() error { return change.Restore(context.Background()) })
	e.fakes, e.prober, e.inCluster, e.image = d.Fakes, d.Prober, d, image
	e.DNSServer = d.DNS.String()
	e.internet = netip.MustParsePrefix(incluster.DefaultInternet)
	e.Network.Pod = d.Pod
	e.Network.Service = d.Service
	e.Network.InternetV6 = netip.Addr{}
	e.Network.NoInternetV6 = "the fakes run in a pod, which has no address of the simulated internet's IPv6 half (2001:db8::/32) to listen on"
	if !d.IPv6 {
		e.Network.NoIPv6 = "the cluster's pods have no IPv6 address (the fakes pod has none)"
	}
	if c.Node != nil {
		e.Network.Node = c.Node.NodeIP
	} else {
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

// deployReference runs the reference gateway as a pod of the cluster,
// beside the fakes, trusting the run's system CA.
func (e *environment) deployReference(ctx context.Context, c *cluster.Cluster, runID string, opts Options) error {
	domain := controller.DefaultClusterDomain
	if c.Node != nil {
		domain = c.Node.ClusterDomain
	}
	r, err := incluster.DeployReference(ctx, incluster.ReferenceOptions{
		Config:         c.Config,
		Image:          e.image,
		Namespace:      e.inCluster.Namespace,
		Name:           "xbcheck-reference-" + runID,
		Labels:         map[string]string{harness.RunLabel: runID},
		ControllerName: string(e.ControllerName),
		Faults:         opts.Faults.String(),
		ClusterDomain:  domain,
		SystemRoots:    e.SystemCA.CertPEM,
	})
	if err != nil {
		return fmt.Errorf("deploy the reference gateway into the cluster: %w", err)
	}
	e.stops = append(e.stops, func() error { return r.Close(context.Background()) })
	e.reference = r
	e.ClusterDomain = domain
	e.implementationName = "reference gateway (pods)"
	fmt.Fprintf(opts.Out, "reference gateway pod %s/%s ready in %s\n", e.inCluster.Namespace, r.Pod, r.Took.Round(time.Millisecond))
	return nil
}

// footprint is what the run found in the cluster, to prove it leaves the
// cluster so.
type footprint struct {
	cs    kubernetes.Interface
	found incluster.Footprint
	out   io.Writer
}

// leftTimeout bounds the wait for the cluster to be as it was found: the
// namespaces the run deleted take a moment to go.
const leftTimeout = 2 * time.Minute

// check waits until the cluster is as the run found it, and says so, or
// returns what differs.
func (f *footprint) check() error {
	diff, err := incluster.AwaitFootprint(context.Background(), f.cs, f.found, leftTimeout)
	if err != nil {
		return fmt.Errorf("check the cluster is left as found: %w", err)
	}
	if len(diff) > 0 {
		return fmt.Errorf("the run left the cluster changed (xbcheck clean removes what it made): %s", strings.Join(diff, "; "))
	}
	fmt.Fprintf(f.out, "cluster left as found: CoreDNS's configuration byte for byte, the same %d namespaces, ClusterRoles, ClusterRoleBindings and Services in all\n", len(f.found.Objects))
	return nil
}

// imageFor is xbcheck's image for the cluster's pods: --fakes-image, the
// one the provider loaded, or this executable's pushed to --image-registry
// (for nodes of its own architecture).
func imageFor(ctx context.Context, c *cluster.Cluster, opts Options) (string, error) {
	switch {
	case opts.FakesImage != "":
		return opts.FakesImage, nil
	case c.Image != "":
		return c.Image, nil
	case opts.ImageRegistry == "":
		return "", usagef("the fakes run in the cluster, from xbcheck's own image, which the %s provider does not load: give --image-registry (xbcheck pushes its image there) or --fakes-image (an image of this xbcheck the nodes pull), or --fakes %s for an implementation that runs beside xbcheck", c.Provider, FakesLocal)
	}
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return "", err
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("list the nodes for their architecture: %w", err)
	}
	arch := map[string]string{}
	for _, n := range nodes.Items {
		arch[n.Name] = n.Status.NodeInfo.Architecture
	}
	if err := registry.CheckArchitectures(arch); err != nil {
		return "", UsageError{err}
	}
	start := time.Now()
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "xbcheck-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	img, err := node.ExecutableImage(exe, "xbcheck", dir)
	if err != nil {
		return "", fmt.Errorf("write xbcheck's image: %w", err)
	}
	ref, err := registry.Push(ctx, img.Path, opts.ImageRegistry)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(opts.Out, "image %s pushed in %s\n", ref, time.Since(start).Round(time.Millisecond))
	return ref, nil
}
