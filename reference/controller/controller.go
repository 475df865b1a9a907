package controller

import (
	"context"
	"io"
	"log"
	"net/netip"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/reference/dataplane"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

// DefaultControllerName is the GatewayClass controllerName the reference gateway serves.
const DefaultControllerName gatewayv1.GatewayController = "xbcheck.dev/reference-gateway"

// DefaultClusterDomain is the cluster domain XBackend hostnames may not end in.
const DefaultClusterDomain = "cluster.local"

// SupportedFeatures is what GatewayClass status.supportedFeatures reports,
// sorted as the API requires. ResourceBackend and
// ResourceBackendExternalHostname are GEP-4894's names for XBackend.
var SupportedFeatures = []gatewayv1.FeatureName{
	"Gateway",
	"HTTPRoute",
	"HTTPRouteHostRewrite",
	"HTTPRouteMethodMatching",
	"HTTPRouteQueryParamMatching",
	"ResourceBackend",
	"ResourceBackendDNSRebindingProtection",
	"ResourceBackendExternalHostname",
	"ResourceBackendMutualTLS",
	"ResourceBackendProtocol",
	"ResourceBackendProtocolGRPC",
	"ResourceBackendProtocolTCP",
	"ResourceBackendProtocolWSS",
	"ResourceBackendSessionPersistence",
	"ResourceBackendTLS",
}

// Options configures the controllers. Zero values take the defaults named
// on each field, except DataPlane.Resolver, which is required.
type Options struct {
	ControllerName gatewayv1.GatewayController // default DefaultControllerName
	// Schema is the XBackend schema the cluster's CRD serves (xbackend.Installed).
	Schema        gatewayapi.Schema
	ClusterDomain string // default DefaultClusterDomain
	// Addresses is the pool of data-plane IPs, one per Gateway, used
	// unless Frontend is set.
	Addresses []netip.Addr
	// Frontend, when set, exposes the Gateways instead (ServiceFrontends,
	// for a data plane in a pod).
	Frontend Frontend
	// DataPlane builds XBackend transports: resolver, guardrail and the
	// data-plane faults.
	DataPlane dataplane.Options
	// Faults switches the controller faults on (the data-plane ones go in DataPlane.Faults).
	Faults faults.Set
	Logger logr.Logger
}

// Controllers is the reference gateway's control plane and the data-plane
// state it programs.
type Controllers struct {
	opts      Options
	client    client.Client
	reader    client.Reader
	backends  *Backends
	frontend  Frontend
	listeners *Listeners
	firstGen  *firstGenerations
	firstEps  *firstEndpoints
}

// New builds the controllers; SetupWithManager registers them.
func New(o Options) *Controllers {
	if o.ControllerName == "" {
		o.ControllerName = DefaultControllerName
	}
	if o.ClusterDomain == "" {
		o.ClusterDomain = DefaultClusterDomain
	}
	errorLog := log.New(io.Discard, "", 0)
	if o.Logger.GetSink() != nil {
		errorLog = log.New(logWriter{o.Logger.WithName("dataplane")}, "", 0)
	}
	backends := NewBackends(o.DataPlane)
	backends.keepOnRefusal = o.Faults.Has(faults.KeepTransportOnRefusal)
	frontend := o.Frontend
	if frontend == nil {
		frontend = NewAddresses(o.Addresses)
	}
	return &Controllers{
		opts:      o,
		backends:  backends,
		frontend:  frontend,
		listeners: NewListeners(errorLog),
		firstGen:  newFirstGenerations(),
		firstEps:  newFirstEndpoints(),
	}
}

type logWriter struct{ l logr.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.Info(string(p))
	return len(p), nil
}

// Address returns the address given to a Gateway, if any.
func (c *Controllers) Address(gw types.NamespacedName) (netip.Addr, bool) {
	return c.frontend.Lookup(gw)
}

// Close closes every data-plane listener; call it after the manager stopped.
func (c *Controllers) Close() { c.listeners.Close() }

// SetupWithManager registers the GatewayClass, Gateway, HTTPRoute and
// XBackend reconcilers with mgr.
func (c *Controllers) SetupWithManager(mgr ctrl.Manager) error {
	c.client, c.reader = mgr.GetClient(), mgr.GetCache()
	for _, setup := range []func(ctrl.Manager) error{c.setupGatewayClass, c.setupGateway, c.setupHTTPRoute, c.setupGRPCRoute, c.setupTCPRoute, c.setupXBackend} {
		if err := setup(mgr); err != nil {
			return err
		}
	}
	return nil
}

func (c *Controllers) world(ctx context.Context) (*World, error) {
	return loadWorld(ctx, c.reader, c.opts.ControllerName, c.opts.Schema)
}

// enqueueAll maps any event to every object of a kind, listed by list:
// decisions are made from the whole World anyway, and the work queue
// merges duplicates.
func (c *Controllers) enqueueAll(list func(context.Context) ([]client.Object, error)) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, _ client.Object) []reconcile.Request {
		objs, err := list(ctx)
		if err != nil {
			c.opts.Logger.Error(err, "listing objects to reconcile")
			return nil
		}
		out := make([]reconcile.Request, len(objs))
		for i, o := range objs {
			out[i] = reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)}
		}
		return out
	})
}

func (c *Controllers) allGateways(ctx context.Context) ([]client.Object, error) {
	var l gatewayv1.GatewayList
	err := c.reader.List(ctx, &l)
	out := make([]client.Object, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out, err
}

func (c *Controllers) allRoutes(ctx context.Context) ([]client.Object, error) {
	var l gatewayv1.HTTPRouteList
	err := c.reader.List(ctx, &l)
	out := make([]client.Object, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out, err
}

func (c *Controllers) allXBackends(ctx context.Context) ([]client.Object, error) {
	l := xbackend.List()
	err := c.reader.List(ctx, l)
	out := make([]client.Object, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out, err
}
