package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/coredns"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/implementation"
	"github.com/xbcheck/xbcheck/internal/incluster"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/reference"
	"github.com/xbcheck/xbcheck/reference/controller"
	"github.com/xbcheck/xbcheck/reference/guardrail"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// environment is what surrounds the implementation under test for one run.
type environment struct {
	harness.Environment
	client client.Client
	fakes  control.Fakes
	// prober sends the specs' requests to Gateways; nil probes from this
	// process.
	prober harness.Prober
	// inCluster is the fakes deployed into the cluster, if they are, from
	// xbcheck's image.
	inCluster *incluster.Deployment
	image     string
	// footprint is the cluster as the run found it, when it changes it.
	footprint *footprint
	// reference is the reference gateway running as a pod, if it does.
	reference *incluster.Reference
	// internet is where the fakes put upstreams: the simulated internet.
	internet netip.Prefix
	// implementationName says what is tested, for the report.
	implementationName string
	// implementation is --implementation-cmd's process, if any.
	implementation *implementation.Process
	stops          []func() error
}

// stop releases everything in reverse order of creation, then, when the
// run changed a cluster it did not create for itself alone, proves the
// cluster is as the run found it.
func (e *environment) stop() error {
	var errs []error
	for i := len(e.stops) - 1; i >= 0; i-- {
		errs = append(errs, e.stops[i]())
	}
	e.stops = nil
	if e.footprint != nil {
		errs = append(errs, e.footprint.check())
		e.footprint = nil
	}
	return errors.Join(errs...)
}

// ReferenceClusterDomain is the cluster DNS domain the in-process reference
// gateway is told it serves.
const ReferenceClusterDomain = "cluster.xbcheck.internal"

// loopbackInternet is the simulated internet outside the sandbox.
var loopbackInternet = netip.MustParsePrefix("127.0.1.0/24")

// loopbackGatewayPool are the data-plane addresses of the reference gateway
// outside the sandbox: one per spec Gateway.
func loopbackGatewayPool() []netip.Addr {
	var pool []netip.Addr
	a := netip.MustParseAddr("127.0.2.1")
	for range 200 {
		pool = append(pool, a)
		a = a.Next()
	}
	return pool
}

// startEnvironment starts the rogue DNS server and the fakes, the
// implementation (the in-process reference gateway or --implementation-cmd),
// and creates the GatewayClass the specs use. On error everything started
// so far is stopped again.
func startEnvironment(ctx context.Context, c *cluster.Cluster, runID string, opts Options) (_ *environment, err error) {
	e := &environment{}
	opts.Fakes = placeFakes(opts, c)
	defer func() {
		if err != nil {
			err = errors.Join(err, e.stop())
		}
	}()
	dnsAddr, pool, policy := "127.0.0.1:0", loopbackGatewayPool(), guardrail.Policy{}
	e.internet = loopbackInternet
	if inside := sandbox.Inside(); inside == nil {
		e.Network = harness.Network{
			Sandboxed:  true,
			Loopback:   sandbox.Harness,
			Metadata:   []netip.Addr{sandbox.MetadataV4, sandbox.MetadataV6},
			Pod:        sandbox.PodCanary,
			InternetV6: sandbox.InternetV6,
		}
		// resolv.conf inside the sandbox points here, so every resolver
		// of the implementation meets the rogue DNS.
		dnsAddr, pool, e.internet = netip.AddrPortFrom(opts.Slot.DNSAddr(sandbox.DNS), 53).String(), sandbox.GatewayPool.Addrs(), sandbox.Internet
	} else {
		// Outside the sandbox the simulated internet is on loopback: the
		// reference gateway's guardrail allows exactly that range below,
		// nothing else of 127/8.
		e.Network = harness.Network{Loopback: netip.MustParseAddr("127.0.0.1"), NoSandbox: inside.Error(),
			NoInternetV6: "the run is outside xbcheck's sandbox (" + inside.Error() + "), where the only IPv6 address an upstream may use is ::1, a loopback address the gateway must never dial"}
	}
	pool, e.internet = opts.Slot.Pool(pool), opts.Slot.Internet(e.internet)
	if opts.fakesInCluster() {
		err = e.deployFakes(ctx, c, runID, opts)
		if err == nil {
			err = e.placeDataPlaneCanaries(c, runID, opts)
		}
	} else {
		err = e.startFakes(ctx, opts.FakesURL, dnsAddr)
	}
	if err != nil {
		return nil, err
	}
	if !e.Network.Sandboxed {
		policy.Allow = []netip.Prefix{e.internet}
	}

	e.ControllerName = controllerNameOf(opts)
	roots, err := e.systemTrust()
	if err != nil {
		return nil, err
	}
	switch {
	case opts.fakesInCluster() && opts.ImplementationCmd == "" && opts.GatewayClass == "":
		if err := e.deployReference(ctx, c, runID, opts); err != nil {
			return nil, err
		}
	case opts.ImplementationCmd != "":
		p, err := startImplementation(c, opts, pool, e.DNSServer, policy, roots)
		if err != nil {
			return nil, err
		}
		e.stops = append(e.stops, p.Stop)
		e.implementation = p
		e.implementationName = fmt.Sprintf("%q", opts.ImplementationCmd)
	default:
		// A custom cluster domain, so that names under it (which the CRD
		// admits, unlike cluster.local) can be tested.
		e.ClusterDomain = ReferenceClusterDomain
		// The in-process gateway reads its system roots from here: nothing
		// in this process has loaded them before the gateway dials.
		if err := os.Setenv(implementation.EnvSystemRoots, roots); err != nil {
			return nil, err
		}
		gw, err := reference.Start(context.WithoutCancel(ctx), reference.Options{
			Config:         c.Config,
			ControllerName: e.ControllerName,
			Addresses:      pool,
			DNSServer:      e.DNSServer,
			Guardrail:      policy,
			Faults:         opts.Faults,
			ClusterDomain:  ReferenceClusterDomain,
			Logger:         opts.gatewayLog,
		})
		if err != nil {
			return nil, fmt.Errorf("start the reference gateway: %w", err)
		}
		e.stops = append(e.stops, gw.Stop)
		e.implementationName = "reference gateway (in-process)"
	}

	k, err := client.New(c.Config, client.Options{Scheme: gatewayapi.Scheme()})
	if err != nil {
		return nil, err
	}
	e.client = k
	if opts.ClusterDomain != "" {
		e.ClusterDomain = opts.ClusterDomain
	}
	if e.ClusterDomain == "" {
		e.ClusterDomain = coreDNSClusterDomain(ctx, c, opts.Out)
	}
	e.GatewayAddress = opts.GatewayAddress
	e.GatewayClass = opts.GatewayClass
	if opts.GatewayClass != "" && opts.ImplementationCmd == "" {
		// The class's implementation was not started by the run: its trust
		// store is its own.
		e.SystemCA = nil
	}
	if e.GatewayClass == "" {
		class := &gatewayv1.GatewayClass{
			ObjectMeta: metav1.ObjectMeta{Name: "xbcheck-" + runID, Labels: map[string]string{harness.RunLabel: runID}},
			Spec:       gatewayv1.GatewayClassSpec{ControllerName: e.ControllerName},
		}
		if err := k.Create(ctx, class); err != nil {
			return nil, fmt.Errorf("create GatewayClass %s: %w", class.Name, err)
		}
		e.stops = append(e.stops, func() error {
			return client.IgnoreNotFound(k.Delete(context.Background(), class))
		})
		e.GatewayClass = class.Name
	}
	if err := e.waitAccepted(ctx, k, time.Minute); err != nil {
		if e.reference != nil {
			err = fmt.Errorf("%w; the reference gateway's pod: %s", err, e.reference.State(context.WithoutCancel(ctx)))
		}
		return nil, err
	}
	return e, nil
}

// startFakes starts the rogue DNS server at dnsAddr and the fakes in this
// process, or connects to the fakes whose control API is at url.
func (e *environment) startFakes(ctx context.Context, url, dnsAddr string) error {
	if url != "" {
		remote := &control.Remote{URL: url}
		sum, err := remote.Summary(ctx)
		if err != nil {
			return usagef("--fakes-url %s: %v; give the control-api URL `xbcheck fakes` printed", url, err)
		}
		e.fakes, e.DNSServer, e.internet = remote, sum.DNS.Addr, sum.Internet
		return nil
	}
	d, err := dns.Start(context.WithoutCancel(ctx), dns.Config{Zone: harness.TestZone + ".", Addr: dnsAddr})
	if err != nil {
		return fmt.Errorf("start the rogue DNS server: %w", err)
	}
	e.stops = append(e.stops, d.Close)
	e.DNSServer = d.Addr()
	fakes, err := control.NewLocal(control.LocalOptions{DNS: d, Internet: e.internet, Guard: sandbox.Guard})
	if err != nil {
		return fmt.Errorf("start the fakes: %w", err)
	}
	e.stops = append(e.stops, fakes.Close)
	e.fakes = fakes
	return nil
}

// systemTrust makes the run's system CA and writes it as the trust store
// file an implementation started by the run uses for "the system CAs".
func (e *environment) systemTrust() (string, error) {
	ca, err := pki.NewAuthority("xbcheck system trust CA")
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "xbcheck-trust-")
	if err != nil {
		return "", err
	}
	e.stops = append(e.stops, func() error { return os.RemoveAll(dir) })
	path := filepath.Join(dir, "system-roots.pem")
	if err := os.WriteFile(path, ca.CertPEM, 0o644); err != nil {
		return "", err
	}
	e.SystemCA = ca
	return path, nil
}

// controllerNameOf is the controllerName of the GatewayClass xbcheck
// creates: the reference gateway's unless the user names another.
func controllerNameOf(opts Options) gatewayv1.GatewayController {
	if opts.ControllerName != "" {
		return gatewayv1.GatewayController(opts.ControllerName)
	}
	return controller.DefaultControllerName
}

// startImplementation starts --implementation-cmd with what it needs to
// know in its environment, logging to the report folder.
func startImplementation(c *cluster.Cluster, opts Options, pool []netip.Addr, dnsAddr string, policy guardrail.Policy, roots string) (*implementation.Process, error) {
	var addrs, allow []string
	for _, a := range pool {
		addrs = append(addrs, a.String())
	}
	for _, p := range policy.Allow {
		allow = append(allow, p.String())
	}
	logDir := opts.ReportDir
	if logDir == "" {
		logDir = os.TempDir()
	}
	return implementation.Start(implementation.Options{
		Command: opts.ImplementationCmd,
		LogPath: filepath.Join(logDir, "implementation.log"),
		Env: map[string]string{
			implementation.EnvKubeconfig:       c.Kubeconfig,
			implementation.EnvGatewayAddresses: strings.Join(addrs, ","),
			implementation.EnvDNSServer:        dnsAddr,
			implementation.EnvGuardrailAllow:   strings.Join(allow, ","),
			implementation.EnvControllerName:   string(controllerNameOf(opts)),
			implementation.EnvSystemRoots:      roots,
		},
	})
}

// waitAccepted waits until the GatewayClass is Accepted by its controller,
// failing at once if the implementation process exits. It also learns the
// class's controllerName, whose status entries the specs read.
func (e *environment) waitAccepted(ctx context.Context, k client.Client, timeout time.Duration) error {
	name := e.GatewayClass
	var last []metav1.Condition
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := e.implementationExited(); err != nil {
			return false, err
		}
		var gc gatewayv1.GatewayClass
		if err := k.Get(ctx, client.ObjectKey{Name: name}, &gc); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		e.ControllerName = gc.Spec.ControllerName
		last = gc.Status.Conditions
		return meta.IsStatusConditionTrue(gc.Status.Conditions, string(gatewayv1.GatewayClassConditionStatusAccepted)), nil
	})
	if err := e.implementationExited(); err != nil {
		return err
	}
	if err != nil {
		return fmt.Errorf("GatewayClass %s was not Accepted within %s (conditions: %s); is its implementation running?", name, timeout, harness.DescribeConditions(last))
	}
	return nil
}

// implementationExited returns the early exit of --implementation-cmd.
func (e *environment) implementationExited() error {
	if e.implementation == nil {
		return nil
	}
	select {
	case <-e.implementation.Exited():
		return e.implementation.ExitError()
	default:
		return nil
	}
}

// coreDNSClusterDomain is the cluster DNS domain c's CoreDNS serves, or ""
// when c runs none or it cannot be read (said on out: the specs that need
// it then skip, saying it is unknown).
func coreDNSClusterDomain(ctx context.Context, c *cluster.Cluster, out io.Writer) string {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err == nil {
		var d string
		if d, err = coredns.ClusterDomain(ctx, cs); err == nil {
			return d
		}
	}
	fmt.Fprintf(out, "xbcheck: the cluster's DNS domain is unknown (%v); give --cluster-domain\n", err)
	return ""
}
