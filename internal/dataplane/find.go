package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Selector names the data-plane pods outright (--data-plane-selector):
// those of Namespace whose labels Labels matches.
type Selector struct {
	Namespace string
	Labels    labels.Selector
}

// ParseSelector reads NAMESPACE/SELECTOR, SELECTOR being a label selector
// as kubectl takes it (app=envoy,gateway in (a,b)).
func ParseSelector(s string) (Selector, error) {
	ns, sel, ok := strings.Cut(s, "/")
	if !ok || ns == "" || strings.TrimSpace(sel) == "" {
		return Selector{}, fmt.Errorf("--data-plane-selector %q: write NAMESPACE/LABEL-SELECTOR, e.g. envoy-gateway-system/app.kubernetes.io/name=envoy", s)
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return Selector{}, fmt.Errorf("--data-plane-selector %q: namespace %q: %s", s, ns, errs[0])
	}
	parsed, err := labels.Parse(sel)
	if err != nil {
		return Selector{}, fmt.Errorf("--data-plane-selector %q: label selector %q: %s", s, sel, strings.Join(strings.Fields(err.Error()), " "))
	}
	if parsed.Empty() {
		return Selector{}, fmt.Errorf("--data-plane-selector %q: the label selector selects every pod of %s; name the data plane's labels", s, ns)
	}
	return Selector{Namespace: ns, Labels: parsed}, nil
}

func (s Selector) String() string { return s.Namespace + "/" + s.Labels.String() }

// finder finds the running pods that serve a Gateway.
type finder struct {
	cs       kubernetes.Interface
	gateways client.Reader
	selector *Selector
}

// pods returns the running pods that serve the Gateway: those the selector
// names, or those behind its address (the Services that have it, their
// EndpointSlices, the pods of their endpoints).
func (f finder) pods(ctx context.Context, gateway types.NamespacedName) ([]corev1.Pod, error) {
	if f.selector != nil {
		list, err := f.cs.CoreV1().Pods(f.selector.Namespace).List(ctx, metav1.ListOptions{LabelSelector: f.selector.Labels.String()})
		if err != nil {
			return nil, fmt.Errorf("list the data-plane pods of --data-plane-selector %s: %w", f.selector, err)
		}
		pods := running(list.Items)
		if len(pods) == 0 {
			return nil, fmt.Errorf("--data-plane-selector %s selects no running pod; check the namespace and labels of the implementation's data plane", f.selector)
		}
		return pods, nil
	}
	addrs, err := f.addresses(ctx, gateway)
	if err != nil {
		return nil, err
	}
	services, err := f.services(ctx, addrs)
	if err != nil {
		return nil, err
	}
	if len(services) == 0 {
		return nil, fmt.Errorf("Gateway %s is at %v, which no Service of the cluster has (as ClusterIP, externalIP or load-balancer ingress); name its data plane with --data-plane-selector NAMESPACE/LABELS", gateway, addrs)
	}
	var pods []corev1.Pod
	for _, svc := range services {
		found, err := f.endpointPods(ctx, svc)
		if err != nil {
			return nil, err
		}
		for _, p := range found {
			if !slices.ContainsFunc(pods, func(q corev1.Pod) bool { return q.UID == p.UID }) {
				pods = append(pods, p)
			}
		}
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("Gateway %s is at %v, Service %s/%s, whose EndpointSlices lead to no running pod; name its data plane with --data-plane-selector NAMESPACE/LABELS", gateway, addrs, services[0].Namespace, services[0].Name)
	}
	return pods, nil
}

// addresses are the IP addresses of the Gateway's status.
func (f finder) addresses(ctx context.Context, gateway types.NamespacedName) ([]netip.Addr, error) {
	gw := &gatewayv1.Gateway{}
	if err := f.gateways.Get(ctx, gateway, gw); err != nil {
		return nil, fmt.Errorf("read Gateway %s for its data plane: %w", gateway, err)
	}
	var out []netip.Addr
	for _, a := range gw.Status.Addresses {
		if ip, err := netip.ParseAddr(a.Value); err == nil {
			out = append(out, ip.Unmap())
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Gateway %s has no IP address in its status (addresses %v); its data plane is found from one, or name it with --data-plane-selector NAMESPACE/LABELS", gateway, gw.Status.Addresses)
	}
	return out, nil
}

// services are the Services that hold one of addrs.
func (f finder) services(ctx context.Context, addrs []netip.Addr) ([]corev1.Service, error) {
	list, err := f.cs.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the Services for the Gateway's address: %w", err)
	}
	var out []corev1.Service
	for _, svc := range list.Items {
		held := append(slices.Clone(svc.Spec.ClusterIPs), svc.Spec.ExternalIPs...)
		for _, in := range svc.Status.LoadBalancer.Ingress {
			held = append(held, in.IP)
		}
		if slices.ContainsFunc(held, func(s string) bool { return holds(addrs, s) }) {
			out = append(out, svc)
		}
	}
	return out, nil
}

// endpointPods are the running pods behind the Service's EndpointSlices:
// an endpoint's targetRef when it names a pod, else the pod with the
// endpoint's address.
func (f finder) endpointPods(ctx context.Context, svc corev1.Service) ([]corev1.Pod, error) {
	slices, err := f.cs.DiscoveryV1().EndpointSlices(svc.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name}).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("list the EndpointSlices of Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	var out []corev1.Pod
	for _, slice := range slices.Items {
		for _, ep := range slice.Endpoints {
			pods, err := f.endpointPod(ctx, ep)
			if err != nil {
				return nil, err
			}
			out = append(out, pods...)
		}
	}
	return running(out), nil
}

func (f finder) endpointPod(ctx context.Context, ep discoveryv1.Endpoint) ([]corev1.Pod, error) {
	if ref := ep.TargetRef; ref != nil && ref.Kind == "Pod" {
		p, err := f.cs.CoreV1().Pods(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("read pod %s/%s of an endpoint: %w", ref.Namespace, ref.Name, err)
		}
		return []corev1.Pod{*p}, nil
	}
	var out []corev1.Pod
	for _, a := range ep.Addresses {
		list, err := f.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("status.podIP", a).String()})
		if err != nil {
			return nil, fmt.Errorf("find the pod at endpoint address %s: %w", a, err)
		}
		// The field selector narrows the list; the address decides.
		for _, p := range list.Items {
			if slices.ContainsFunc(p.Status.PodIPs, func(ip corev1.PodIP) bool { return ip.IP == a }) && !p.Spec.HostNetwork {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// holds says whether s is one of addrs.
func holds(addrs []netip.Addr, s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && slices.Contains(addrs, a.Unmap())
}

// running keeps the pods that run, and have an address.
func running(pods []corev1.Pod) []corev1.Pod {
	return slices.DeleteFunc(slices.Clone(pods), func(p corev1.Pod) bool {
		return p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" || p.DeletionTimestamp != nil
	})
}
