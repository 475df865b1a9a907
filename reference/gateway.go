package reference

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/reference/controller"
	"github.com/xbcheck/xbcheck/reference/dataplane"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/guardrail"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

// Options configures the reference gateway. Config and DNSServer are
// required; every other zero value takes the default named on its field.
type Options struct {
	// Config reaches the API server (envtest or a cluster).
	Config *rest.Config
	// ControllerName is the GatewayClass controllerName served; default
	// controller.DefaultControllerName (xbcheck.dev/reference-gateway).
	ControllerName gatewayv1.GatewayController
	// Addresses is the pool of data-plane IPs: each Gateway gets its own and
	// binds its listener ports there. Default 127.0.2.1. Unused with
	// Frontend.
	Addresses []netip.Addr
	// Frontend, when set, exposes the Gateways instead: a
	// controller.ServiceFrontends when the gateway runs in a pod.
	Frontend controller.Frontend
	// DNSServer is host:port of the resolver XBackend hostnames are resolved with.
	DNSServer string
	// Guardrail is the egress policy; the zero Policy denies every internal range.
	Guardrail guardrail.Policy
	// Faults breaks the gateway on purpose, for mutation testing.
	Faults faults.Set
	// AdminAddr is where the admin endpoint listens, serving a secret token
	// (the prize of a rebinding attack); default 127.0.0.1:0.
	AdminAddr string
	// ClusterDomain is the domain XBackend hostnames may not end in; default cluster.local.
	ClusterDomain string
	// Logger receives the controllers' and the data plane's logs; default none.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Config == nil {
		return o, errors.New("gateway: Options.Config is nil: give the rest.Config of the API server")
	}
	if o.DNSServer == "" {
		return o, errors.New("gateway: Options.DNSServer is empty: give host:port of the DNS server that resolves XBackend hostnames")
	}
	if len(o.Addresses) == 0 && o.Frontend == nil {
		o.Addresses = []netip.Addr{netip.MustParseAddr("127.0.2.1")}
	}
	if o.AdminAddr == "" {
		o.AdminAddr = "127.0.0.1:0"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Gateway is a running reference gateway.
type Gateway struct {
	controllers *controller.Controllers
	admin       *http.Server
	adminAddr   netip.AddrPort
	token       string

	cancel   context.CancelFunc
	done     chan struct{} // closed when the manager returned
	err      error         // the manager's error, set before done closes
	stopOnce sync.Once
}

// Start starts the admin endpoint and the controllers, waits until their
// caches are in sync and returns. The gateway runs until Stop or the end of ctx.
func Start(ctx context.Context, o Options) (*Gateway, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, gatewayv1.Install} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	log := logr.FromSlogHandler(o.Logger.Handler())
	mgr, err := ctrl.NewManager(o.Config, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 log,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// The harness may run several gateways in one process, one after another.
		Controller: config.Controller{SkipNameValidation: ptrTo(true)},
	})
	if err != nil {
		return nil, fmt.Errorf("gateway: controller manager: %w", err)
	}
	// XBackends are read and written in the schema the CRD serves.
	schema, err := xbackend.Installed(ctx, mgr.GetAPIReader())
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	c := controller.New(controller.Options{
		ControllerName: o.ControllerName,
		Schema:         schema,
		ClusterDomain:  o.ClusterDomain,
		Addresses:      o.Addresses,
		Frontend:       o.Frontend,
		DataPlane: dataplane.Options{
			Resolver:  dataplane.DNS{Server: o.DNSServer},
			Guardrail: o.Guardrail,
			Faults:    o.Faults,
		},
		Faults: o.Faults,
		Logger: log,
	})
	if err := c.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("gateway: controllers: %w", err)
	}
	g := &Gateway{controllers: c, token: rand.Text(), done: make(chan struct{})}
	ln, err := net.Listen("tcp", o.AdminAddr)
	if err != nil {
		return nil, fmt.Errorf("gateway: admin endpoint: cannot listen on %s (%v): give a free host:port such as 127.0.0.1:0", o.AdminAddr, err)
	}
	g.adminAddr = ln.Addr().(*net.TCPAddr).AddrPort()
	g.admin = &http.Server{Handler: dataplane.AdminHandler(g.token), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = g.admin.Serve(ln) }()

	runCtx, cancel := context.WithCancel(ctx)
	g.cancel = cancel
	go func() {
		g.err = mgr.Start(runCtx)
		close(g.done)
	}()
	if !mgr.GetCache().WaitForCacheSync(runCtx) {
		g.Stop()
		if g.err != nil {
			return nil, fmt.Errorf("gateway: %w", g.err)
		}
		return nil, errors.New("gateway: caches did not sync before the context ended")
	}
	return g, nil
}

func ptrTo[T any](v T) *T { return &v }

// Run starts the gateway and blocks until ctx ends, then stops it.
func Run(ctx context.Context, o Options) error {
	g, err := Start(ctx, o)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return g.Stop()
}

// AdminToken is the secret the admin endpoint serves.
func (g *Gateway) AdminToken() string { return g.token }

// AdminAddr is where the admin endpoint listens.
func (g *Gateway) AdminAddr() netip.AddrPort { return g.adminAddr }

// Address returns the data-plane IP given to the Gateway namespace/name; it
// is also in the Gateway's status.addresses.
func (g *Gateway) Address(namespace, name string) (netip.Addr, bool) {
	return g.controllers.Address(types.NamespacedName{Namespace: namespace, Name: name})
}

// Stop stops the controllers, then closes every data-plane listener and the
// admin endpoint. It returns the manager's error, if it failed.
func (g *Gateway) Stop() error {
	g.stopOnce.Do(func() {
		g.cancel()
		<-g.done
		g.controllers.Close()
		_ = g.admin.Close()
	})
	return g.err
}
