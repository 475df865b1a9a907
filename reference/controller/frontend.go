package controller

import (
	"context"
	"errors"
	"net/netip"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Frontend gives a Gateway the address its clients use (its
// status.addresses) and says where the data plane listens for each of its
// listener ports: an address of a pool the data plane binds itself
// (Addresses), or a Service in front of the data plane's pod
// (ServiceFrontends).
type Frontend interface {
	// Open exposes gw, or returns ErrNoAddress when there is no address
	// left for it; k reaches the API server.
	Open(ctx context.Context, k client.Client, gw *gatewayv1.Gateway) (Exposure, error)
	// Close withdraws what Open made for gw.
	Close(ctx context.Context, k client.Client, gw types.NamespacedName) error
	// Lookup returns gw's address, if it is exposed.
	Lookup(gw types.NamespacedName) (netip.Addr, bool)
}

// Exposure is a Gateway's address and, per listener port, where the data
// plane listens for it.
type Exposure struct {
	Addr netip.Addr
	Bind map[gatewayv1.PortNumber]netip.AddrPort
}

// ErrNoAddress says a Frontend has no address left for a Gateway.
var ErrNoAddress = errors.New("every data-plane address of the pool is taken by another Gateway: give the gateway more addresses")

// listenerPorts are the distinct ports of gw's listeners.
func listenerPorts(gw *gatewayv1.Gateway) []gatewayv1.PortNumber {
	var out []gatewayv1.PortNumber
	seen := map[gatewayv1.PortNumber]bool{}
	for _, l := range gw.Spec.Listeners {
		if !seen[l.Port] {
			seen[l.Port] = true
			out = append(out, l.Port)
		}
	}
	return out
}

var _ Frontend = (*Addresses)(nil)

// Open gives gw an address of the pool (its address in an earlier status
// when it is free), where the data plane binds every listener port.
func (a *Addresses) Open(_ context.Context, _ client.Client, gw *gatewayv1.Gateway) (Exposure, error) {
	addr, ok := a.Assign(client.ObjectKeyFromObject(gw), statusAddress(gw))
	if !ok {
		return Exposure{}, ErrNoAddress
	}
	e := Exposure{Addr: addr, Bind: map[gatewayv1.PortNumber]netip.AddrPort{}}
	for _, p := range listenerPorts(gw) {
		e.Bind[p] = netip.AddrPortFrom(addr, uint16(p))
	}
	return e, nil
}

// Close returns gw's address to the pool.
func (a *Addresses) Close(_ context.Context, _ client.Client, gw types.NamespacedName) error {
	a.Release(gw)
	return nil
}
