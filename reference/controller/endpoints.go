package controller

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

// Endpoints are the addresses of the pods an EndpointSelector XBackend
// selects: in its namespace, carrying every one of its matchLabels, Ready,
// not being deleted, with an IP; sorted. The faults select-any-label,
// select-all-namespaces and route-to-unready-pods widen the choice.
func (w *World) Endpoints(xb *xbackend.XBackend, fs faults.Set) []netip.Addr {
	sel := xb.Spec.EndpointSelector
	if sel == nil || len(sel.MatchLabels) == 0 {
		return nil
	}
	var out []netip.Addr
	for _, p := range w.Pods {
		if p.Namespace != xb.Namespace && !fs.Has(faults.SelectAllNamespaces) {
			continue
		}
		if !selects(sel.MatchLabels, p.Labels, fs.Has(faults.SelectAnyLabel)) || p.DeletionTimestamp != nil {
			continue
		}
		if !podReady(p) && !fs.Has(faults.RouteToUnreadyPods) {
			continue
		}
		if a, err := netip.ParseAddr(p.Status.PodIP); err == nil {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

// selects reports whether labels carry every key and value of want (any
// one of them, for the select-any-label fault).
func selects(want, labels map[string]string, any bool) bool {
	for k, v := range want {
		got, ok := labels[k]
		if ok && got == v && any {
			return true
		}
		if (!ok || got != v) && !any {
			return false
		}
	}
	return !any
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// firstEndpoints remembers the endpoints each XBackend was first served
// with, for the stale-endpoints fault.
type firstEndpoints struct {
	mu  sync.Mutex
	eps map[types.NamespacedName][]netip.Addr
}

func newFirstEndpoints() *firstEndpoints {
	return &firstEndpoints{eps: map[types.NamespacedName][]netip.Addr{}}
}

func (f *firstEndpoints) get(key types.NamespacedName, now []netip.Addr) []netip.Addr {
	f.mu.Lock()
	defer f.mu.Unlock()
	if eps, ok := f.eps[key]; ok {
		return eps
	}
	f.eps[key] = now
	return now
}

func (f *firstEndpoints) forget(key types.NamespacedName) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.eps, key)
}

// serviceLabel marks the Service made for an EndpointSelector XBackend,
// naming it: its name is generated, so this label finds it again;
// controllerLabel tells the Services of gateways of other controllerNames
// apart.
const (
	serviceLabel    = "reference-gateway.xbcheck.dev/xbackend"
	controllerLabel = "reference-gateway.xbcheck.dev/controller"
)

// controllerValue is controllerLabel's value: the controllerName, hashed
// into a label value.
func (c *Controllers) controllerValue() string {
	h := fnv.New64a()
	h.Write([]byte(c.opts.ControllerName))
	return strconv.FormatUint(h.Sum64(), 36)
}

// syncService keeps the Service v1.7.0's notes for implementers describe
// for an EndpointSelector XBackend: named with generateName (never a
// predictable name), headless, owned by the XBackend, selecting its
// matchLabels with targetPort its port.number, while a Gateway of ours
// uses it. It exists for the cluster's EndpointSlices; the data plane reads
// the pods itself, which works with and without an EndpointSlice
// controller. Any other XBackend (or none, when xb is nil) has no Service
// of ours: one left from before goes.
func (c *Controllers) syncService(ctx context.Context, key types.NamespacedName, xb *xbackend.XBackend) error {
	var have corev1.ServiceList
	if err := c.reader.List(ctx, &have, client.InNamespace(key.Namespace), client.MatchingLabels{serviceLabel: key.Name, controllerLabel: c.controllerValue()}); err != nil {
		return err
	}
	if xb == nil || xb.Spec.Type != xbackend.TypeEndpointSelector || xb.Spec.EndpointSelector == nil {
		for i := range have.Items {
			if err := client.IgnoreNotFound(c.client.Delete(ctx, &have.Items[i])); err != nil {
				return err
			}
		}
		return nil
	}
	want := c.service(xb)
	if len(have.Items) == 0 {
		if err := c.client.Create(ctx, want); err != nil {
			return fmt.Errorf("create the Service of EndpointSelector XBackend %s: %w", key, err)
		}
		return nil
	}
	svc := &have.Items[0]
	if maps.Equal(svc.Spec.Selector, want.Spec.Selector) && slices.EqualFunc(svc.Spec.Ports, want.Spec.Ports, func(a, b corev1.ServicePort) bool {
		return a.Port == b.Port && a.TargetPort == b.TargetPort
	}) {
		return nil
	}
	svc.Spec.Selector, svc.Spec.Ports = want.Spec.Selector, want.Spec.Ports
	return c.client.Update(ctx, svc)
}

// service is the Service syncService wants for xb.
func (c *Controllers) service(xb *xbackend.XBackend) *corev1.Service {
	port := xb.Spec.Port
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: xb.Namespace, GenerateName: xb.Name + "-",
			Labels: map[string]string{serviceLabel: xb.Name, controllerLabel: c.controllerValue()},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: gatewayapi.XBackend.GroupVersion().String(), Kind: gatewayapi.XBackend.Kind,
				Name: xb.Name, UID: xb.UID, Controller: ptrTo(true),
			}},
		},
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Selector:  maps.Clone(xb.Spec.EndpointSelector.MatchLabels),
			Ports:     []corev1.ServicePort{{Name: "backend", Port: servicePort(port, c.opts.Faults), TargetPort: intstr.FromInt32(port)}},
		},
	}
	if c.opts.Faults.Has(faults.PredictableServiceName) {
		svc.GenerateName, svc.Name = "", xb.Name+"-backend"
	}
	if c.opts.Faults.Has(faults.ServiceWithClusterIP) {
		svc.Spec.ClusterIP = ""
	}
	return svc
}
