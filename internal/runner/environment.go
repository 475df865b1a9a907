package runner

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fixtures/manifest"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/implementation"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/reference"
	"github.com/xbcheck/xbcheck/reference/controller"
	"github.com/xbcheck/xbcheck/reference/guardrail"
	"github.com/xbcheck/xbcheck/suites"
)

// environment is what surrounds the implementation under test for one run.
type environment struct {
	suites.Environment
	client client.Client
	// implementation is --implementation-cmd's process, if any.
	implementation *implementation.Process
	stops          []func() error
}

// stop releases everything in reverse order of creation.
func (e *environment) stop() error {
	var errs []error
	for i := len(e.stops) - 1; i >= 0; i-- {
		errs = append(errs, e.stops[i]())
	}
	return errors.Join(errs...)
}

// ReferenceClusterDomain is the cluster DNS domain the in-process reference
// gateway is told it serves.
const ReferenceClusterDomain = "cluster.xbcheck.internal"

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

// startEnvironment starts the rogue DNS server and the reference gateway,
// and creates the GatewayClass the specs use. On error everything started
// so far is stopped again.
func startEnvironment(ctx context.Context, c *cluster.Cluster, runID string, opts Options) (_ *environment, err error) {
	e := &environment{}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.stop())
		}
	}()
	dnsAddr, pool, policy := "127.0.0.1:0", loopbackGatewayPool(), guardrail.Policy{}
	inside := sandbox.Inside()
	if inside == nil {
		e.Network = suites.Network{
			Sandboxed: true,
			Internet:  sandbox.Internet,
			Loopback:  sandbox.Harness,
			Metadata:  []netip.Addr{sandbox.MetadataV4, sandbox.MetadataV6},
			Pod:       sandbox.PodCanary,
		}
		// resolv.conf inside the sandbox points here, so every resolver
		// of the implementation meets the rogue DNS.
		dnsAddr, pool = netip.AddrPortFrom(opts.Slot.dnsAddr(sandbox.DNS), 53).String(), sandbox.GatewayPool.Addrs()
	} else {
		e.Network = suites.LoopbackNetwork()
		e.Network.NoSandbox = inside.Error()
		// Outside the sandbox the simulated internet is on loopback: allow
		// exactly that range, nothing else of 127/8.
		policy.Allow = []netip.Prefix{e.Network.Internet}
	}

	pool = opts.Slot.pool(pool)
	d, err := dns.Start(context.WithoutCancel(ctx), dns.Config{Zone: suites.TestZone + ".", Addr: dnsAddr})
	if err != nil {
		return nil, fmt.Errorf("start the rogue DNS server: %w", err)
	}
	e.stops = append(e.stops, d.Close)
	e.DNS = d

	if opts.ImplementationCmd != "" {
		p, err := startImplementation(c, opts, pool, d.Addr(), policy)
		if err != nil {
			return nil, err
		}
		e.stops = append(e.stops, p.Stop)
		e.implementation = p
	} else {
		// A custom cluster domain, so that names under it (which the CRD
		// admits, unlike cluster.local) can be tested.
		e.ClusterDomain = ReferenceClusterDomain
		gw, err := reference.Start(context.WithoutCancel(ctx), reference.Options{
			Config:         c.Config,
			ControllerName: controllerNameOf(opts),
			Addresses:      pool,
			DNSServer:      d.Addr(),
			Guardrail:      policy,
			Faults:         opts.Faults,
			ClusterDomain:  ReferenceClusterDomain,
		})
		if err != nil {
			return nil, fmt.Errorf("start the reference gateway: %w", err)
		}
		e.stops = append(e.stops, gw.Stop)
	}

	k, err := client.New(c.Config, client.Options{Scheme: manifest.Scheme()})
	if err != nil {
		return nil, err
	}
	e.client = k
	if opts.ClusterDomain != "" {
		e.ClusterDomain = opts.ClusterDomain
	}
	e.GatewayClass = opts.GatewayClass
	if e.GatewayClass == "" {
		class := &gatewayv1.GatewayClass{
			ObjectMeta: metav1.ObjectMeta{Name: "xbcheck-" + runID, Labels: map[string]string{suites.RunLabel: runID}},
			Spec:       gatewayv1.GatewayClassSpec{ControllerName: controllerNameOf(opts)},
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
		return nil, err
	}
	return e, nil
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
func startImplementation(c *cluster.Cluster, opts Options, pool []netip.Addr, dnsAddr string, policy guardrail.Policy) (*implementation.Process, error) {
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
		},
	})
}

// waitAccepted waits until the GatewayClass is Accepted by its controller,
// failing at once if the implementation process exits.
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
		last = gc.Status.Conditions
		return meta.IsStatusConditionTrue(gc.Status.Conditions, string(gatewayv1.GatewayClassConditionStatusAccepted)), nil
	})
	if err := e.implementationExited(); err != nil {
		return err
	}
	if err != nil {
		return fmt.Errorf("GatewayClass %s was not Accepted within %s (conditions %v); is its implementation running?", name, timeout, last)
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
