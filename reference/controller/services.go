package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// ServiceFrontends exposes each Gateway through a Service of its own
// namespace, as implementations running in pods do: the Service's
// ClusterIP is the Gateway's address, and each listener port leads to a
// port of this pod, where the data plane listens. A Service can select
// pods of its own namespace only, so the Service has no selector and an
// EndpointSlice managed here points it at the pod. Both are owned by the
// Gateway, so they go with it.
type ServiceFrontends struct {
	// Pod is this pod's address.
	Pod netip.Addr

	mu    sync.Mutex
	ports map[types.NamespacedName]map[gatewayv1.PortNumber]uint16
	addrs map[types.NamespacedName]netip.Addr
	last  uint16
}

var _ Frontend = (*ServiceFrontends)(nil)

// endpointSliceManager marks the EndpointSlices the reference gateway
// manages, so Kubernetes' own EndpointSlice controller leaves them alone.
const endpointSliceManager = "reference-gateway.xbcheck.dev"

// The pod's ports for listeners: above the ports listeners ask for, below
// the ephemeral range.
const (
	firstPodPort = 20000
	lastPodPort  = 29999
)

// Open makes gw's Service and EndpointSlice (or brings them up to date)
// and returns the Service's ClusterIP, with the pod's port for each
// listener port.
func (s *ServiceFrontends) Open(ctx context.Context, k client.Client, gw *gatewayv1.Gateway) (Exposure, error) {
	key := client.ObjectKeyFromObject(gw)
	e := Exposure{Bind: s.podPorts(key, listenerPorts(gw))}
	name := frontendName(gw.Name)
	svc := &corev1.Service{ObjectMeta: objectMeta(name, gw.Namespace)}
	_, err := controllerutil.CreateOrUpdate(ctx, k, svc, func() error {
		svc.Spec.Type = corev1.ServiceTypeClusterIP
		svc.Spec.Selector = nil
		svc.Spec.Ports = nil
		for _, p := range listenerPorts(gw) {
			svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{
				Name: portName(p), Port: int32(p), Protocol: corev1.ProtocolTCP,
				TargetPort: intstr.FromInt32(int32(e.Bind[p].Port())),
			})
		}
		return controllerutil.SetControllerReference(gw, svc, k.Scheme())
	})
	if err != nil {
		return e, fmt.Errorf("expose Gateway %s through Service %s: %w", key, name, err)
	}
	if e.Addr, err = netip.ParseAddr(svc.Spec.ClusterIP); err != nil {
		return e, fmt.Errorf("Service %s/%s of Gateway %s has no ClusterIP (%q)", gw.Namespace, name, key, svc.Spec.ClusterIP)
	}
	slice := &discoveryv1.EndpointSlice{ObjectMeta: objectMeta(name, gw.Namespace)}
	_, err = controllerutil.CreateOrUpdate(ctx, k, slice, func() error {
		if slice.Labels == nil {
			slice.Labels = map[string]string{}
		}
		slice.Labels[discoveryv1.LabelServiceName] = name
		slice.Labels[discoveryv1.LabelManagedBy] = endpointSliceManager
		slice.AddressType = discoveryv1.AddressTypeIPv4
		if s.Pod.Is6() {
			slice.AddressType = discoveryv1.AddressTypeIPv6
		}
		ready := true
		slice.Endpoints = []discoveryv1.Endpoint{{Addresses: []string{s.Pod.String()}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}}
		slice.Ports = nil
		for _, p := range listenerPorts(gw) {
			n, port, proto := portName(p), int32(e.Bind[p].Port()), corev1.ProtocolTCP
			slice.Ports = append(slice.Ports, discoveryv1.EndpointPort{Name: &n, Port: &port, Protocol: &proto})
		}
		return controllerutil.SetControllerReference(gw, slice, k.Scheme())
	})
	if err != nil {
		return e, fmt.Errorf("point Service %s/%s of Gateway %s at this pod: %w", gw.Namespace, name, key, err)
	}
	s.mu.Lock()
	s.addrs[key] = e.Addr
	s.mu.Unlock()
	return e, nil
}

// podPorts gives each listener port of gw a port of the pod, keeping
// those it had.
func (s *ServiceFrontends) podPorts(gw types.NamespacedName, ports []gatewayv1.PortNumber) map[gatewayv1.PortNumber]netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ports == nil {
		s.ports, s.addrs = map[types.NamespacedName]map[gatewayv1.PortNumber]uint16{}, map[types.NamespacedName]netip.Addr{}
	}
	have := s.ports[gw]
	if have == nil {
		have = map[gatewayv1.PortNumber]uint16{}
		s.ports[gw] = have
	}
	used := map[uint16]bool{}
	for _, ps := range s.ports {
		for _, p := range ps {
			used[p] = true
		}
	}
	out := map[gatewayv1.PortNumber]netip.AddrPort{}
	for _, p := range ports {
		if _, ok := have[p]; !ok {
			have[p] = s.nextPort(used)
			used[have[p]] = true
		}
		out[p] = netip.AddrPortFrom(netip.IPv4Unspecified(), have[p])
	}
	return out
}

// nextPort is the pod port after the last one handed out that used does
// not hold. The caller holds s.mu.
func (s *ServiceFrontends) nextPort(used map[uint16]bool) uint16 {
	for range lastPodPort - firstPodPort + 1 {
		if s.last < firstPodPort || s.last >= lastPodPort {
			s.last = firstPodPort
		} else {
			s.last++
		}
		if !used[s.last] {
			break
		}
	}
	return s.last
}

// Close deletes gw's Service and EndpointSlice (when gw is deleted, the
// garbage collector does too) and frees its pod ports.
func (s *ServiceFrontends) Close(ctx context.Context, k client.Client, gw types.NamespacedName) error {
	s.mu.Lock()
	delete(s.ports, gw)
	delete(s.addrs, gw)
	s.mu.Unlock()
	name := frontendName(gw.Name)
	for _, obj := range []client.Object{
		&corev1.Service{ObjectMeta: objectMeta(name, gw.Namespace)},
		&discoveryv1.EndpointSlice{ObjectMeta: objectMeta(name, gw.Namespace)},
	} {
		if err := client.IgnoreNotFound(k.Delete(ctx, obj)); err != nil {
			return fmt.Errorf("withdraw the frontend of Gateway %s: %w", gw, err)
		}
	}
	return nil
}

// Lookup returns gw's ClusterIP, once Open made it.
func (s *ServiceFrontends) Lookup(gw types.NamespacedName) (netip.Addr, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.addrs[gw]
	return a, ok
}

func objectMeta(name, namespace string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: namespace}
}

// frontendName is the name of a Gateway's Service: its own name with a
// suffix when that is a valid Service name, else a digest of it.
func frontendName(gateway string) string {
	name := gateway + "-xbgw"
	if len(validation.IsDNS1035Label(name)) == 0 {
		return name
	}
	sum := sha256.Sum256([]byte(gateway))
	return "xbgw-" + hex.EncodeToString(sum[:8])
}

func portName(p gatewayv1.PortNumber) string { return "listener-" + strconv.Itoa(int(p)) }
