package runner

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/gateway"
	"github.com/xbcheck/xbcheck/fakes/gateway/controller"
	"github.com/xbcheck/xbcheck/fakes/gateway/faults"
	"github.com/xbcheck/xbcheck/fakes/gateway/guardrail"
	"github.com/xbcheck/xbcheck/fixtures/manifest"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/suites"
)

// environment is what surrounds the implementation under test for one run.
type environment struct {
	suites.Environment
	client client.Client
	stops  []func() error
}

// stop releases everything in reverse order of creation.
func (e *environment) stop() error {
	var errs []error
	for i := len(e.stops) - 1; i >= 0; i-- {
		errs = append(errs, e.stops[i]())
	}
	return errors.Join(errs...)
}

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
func startEnvironment(ctx context.Context, c *cluster.Cluster, runID string, fs faults.Set) (_ *environment, err error) {
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
		dnsAddr, pool = netip.AddrPortFrom(sandbox.DNS, 53).String(), sandbox.GatewayPool.Addrs()
	} else {
		e.Network = suites.LoopbackNetwork()
		e.Network.NoSandbox = inside.Error()
		// Outside the sandbox the simulated internet is on loopback: allow
		// exactly that range, nothing else of 127/8.
		policy.Allow = []netip.Prefix{e.Network.Internet}
	}

	d, err := dns.Start(context.WithoutCancel(ctx), dns.Config{Zone: suites.TestZone + ".", Addr: dnsAddr})
	if err != nil {
		return nil, fmt.Errorf("start the rogue DNS server: %w", err)
	}
	e.stops = append(e.stops, d.Close)
	e.DNS = d

	gw, err := gateway.Start(context.WithoutCancel(ctx), gateway.Options{
		Config:    c.Config,
		Addresses: pool,
		DNSServer: d.Addr(),
		Guardrail: policy,
		Faults:    fs,
	})
	if err != nil {
		return nil, fmt.Errorf("start the reference gateway: %w", err)
	}
	e.stops = append(e.stops, gw.Stop)

	k, err := client.New(c.Config, client.Options{Scheme: manifest.Scheme()})
	if err != nil {
		return nil, err
	}
	e.client = k
	class := &gatewayv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: "xbcheck-" + runID, Labels: map[string]string{suites.RunLabel: runID}},
		Spec:       gatewayv1.GatewayClassSpec{ControllerName: controller.DefaultControllerName},
	}
	if err := k.Create(ctx, class); err != nil {
		return nil, fmt.Errorf("create GatewayClass %s: %w", class.Name, err)
	}
	e.stops = append(e.stops, func() error {
		return client.IgnoreNotFound(k.Delete(context.Background(), class))
	})
	if err := waitAccepted(ctx, k, class.Name, time.Minute); err != nil {
		return nil, err
	}
	e.GatewayClass = class.Name
	return e, nil
}

// waitAccepted waits until the GatewayClass is Accepted by its controller.
func waitAccepted(ctx context.Context, k client.Client, name string, timeout time.Duration) error {
	var last []metav1.Condition
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		var gc gatewayv1.GatewayClass
		if err := k.Get(ctx, client.ObjectKey{Name: name}, &gc); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		last = gc.Status.Conditions
		return meta.IsStatusConditionTrue(gc.Status.Conditions, string(gatewayv1.GatewayClassConditionStatusAccepted)), nil
	})
	if err != nil {
		return fmt.Errorf("GatewayClass %s was not Accepted within %s (conditions %v); is its implementation running?", name, timeout, last)
	}
	return nil
}
