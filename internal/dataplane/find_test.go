package dataplane

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

func TestParseSelector(t *testing.T) {
	s, err := ParseSelector("envoy-gateway-system/app.kubernetes.io/name=envoy,gateway.envoyproxy.io/owning-gateway-name")
	if err != nil {
		t.Fatal(err)
	}
	if s.Namespace != "envoy-gateway-system" || s.Labels.String() != "app.kubernetes.io/name=envoy,gateway.envoyproxy.io/owning-gateway-name" {
		t.Errorf("parsed %q as namespace %q, labels %q", "envoy-gateway-system/...", s.Namespace, s.Labels)
	}
	for in, want := range map[string]string{
		"app=envoy":       "write NAMESPACE/LABEL-SELECTOR",
		"/app=envoy":      "write NAMESPACE/LABEL-SELECTOR",
		"gw/":             "write NAMESPACE/LABEL-SELECTOR",
		"Bad_NS/app=x":    `namespace "Bad_NS"`,
		"gw/app in (a":    "label selector",
		"gw/app=a,,b=c=d": "label selector",
	} {
		_, err := ParseSelector(in)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseSelector(%q) = %v, want one line saying %q", in, err, want)
		}
	}
}

func pod(ns, name, ip string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(ns + "-" + name), Labels: map[string]string{"app": name}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func gateway(ns, name string, addrs ...string) *gatewayv1.Gateway {
	gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, a := range addrs {
		gw.Status.Addresses = append(gw.Status.Addresses, gatewayv1.GatewayStatusAddress{Value: a})
	}
	return gw
}

func service(ns, name, clusterIP string, mutate ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{ClusterIP: clusterIP, ClusterIPs: []string{clusterIP}}}
	for _, m := range mutate {
		m(s)
	}
	return s
}

func slice(ns, service string, endpoints ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: service + "-x", Labels: map[string]string{discoveryv1.LabelServiceName: service}},
		AddressType: discoveryv1.AddressTypeIPv4, Endpoints: endpoints,
	}
}

func finderOf(objs []runtime.Object, gws ...*gatewayv1.Gateway) finder {
	b := crfake.NewClientBuilder().WithScheme(gatewayapi.Scheme())
	for _, gw := range gws {
		b = b.WithObjects(gw).WithStatusSubresource(gw)
	}
	return finder{cs: fake.NewClientset(objs...), gateways: b.Build()}
}

func names(pods []corev1.Pod) string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Namespace+"/"+p.Name)
	}
	return strings.Join(out, " ")
}

// TestFindPodsFromTheGatewaysAddress: the Gateway's address leads to the
// Services holding it (ClusterIP, externalIP, load-balancer ingress), their
// EndpointSlices to pods by targetRef or address, running ones only, never
// one on the node's network; another Service's pods stay out.
func TestFindPodsFromTheGatewaysAddress(t *testing.T) {
	withRef := discoveryv1.Endpoint{Addresses: []string{"10.88.0.7"}, TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "envoy", Name: "proxy-b"}}
	objs := []runtime.Object{
		// The reference gateway's shape: a Service without selector in the
		// Gateway's namespace, an EndpointSlice with the pod's address.
		service("spec1", "gw-xbgw", "10.96.0.20"),
		slice("spec1", "gw-xbgw", discoveryv1.Endpoint{Addresses: []string{"10.88.0.5"}}),
		pod("xbcheck-fakes-run", "reference-gateway", "10.88.0.5"),
		// A load balancer's address, endpoints by targetRef.
		service("envoy", "proxy", "10.96.0.30", func(s *corev1.Service) {
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "172.18.255.200"}}
		}),
		slice("envoy", "proxy", discoveryv1.Endpoint{Addresses: []string{"10.88.0.6"}}, withRef),
		pod("envoy", "proxy-a", "10.88.0.6"),
		pod("envoy", "proxy-b", "10.88.0.7"),
		// Not running, another Service, the node's network: left out.
		pod("envoy", "proxy-old", "10.88.0.6", func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
		pod("kube-system", "node-agent", "10.88.0.6", func(p *corev1.Pod) { p.Spec.HostNetwork = true }),
		service("other", "web", "10.96.0.40"),
		slice("other", "web", discoveryv1.Endpoint{Addresses: []string{"10.88.0.9"}}),
		pod("other", "web", "10.88.0.9"),
	}
	f := finderOf(objs, gateway("spec1", "gw", "10.96.0.20"), gateway("spec2", "gw", "172.18.255.200"), gateway("spec3", "gw", "gw.example.com"), gateway("spec4", "gw", "192.0.2.1"))
	ctx := context.Background()
	for gw, want := range map[string]string{
		"spec1": "xbcheck-fakes-run/reference-gateway",
		"spec2": "envoy/proxy-a envoy/proxy-b",
	} {
		pods, err := f.pods(ctx, types.NamespacedName{Namespace: gw, Name: "gw"})
		if err != nil {
			t.Fatalf("%s/gw: %v", gw, err)
		}
		if got := names(pods); got != want {
			t.Errorf("%s/gw is served by %q, want %q", gw, got, want)
		}
	}
	for gw, want := range map[string]string{
		"spec3": "no IP address in its status",
		"spec4": "which no Service of the cluster has",
		"spec5": "read Gateway spec5/gw",
	} {
		_, err := f.pods(ctx, types.NamespacedName{Namespace: gw, Name: "gw"})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s/gw: %v, want an error saying %q", gw, err, want)
		}
		if err != nil && gw != "spec5" && !strings.Contains(err.Error(), "--data-plane-selector") {
			t.Errorf("%s/gw: %v does not name --data-plane-selector", gw, err)
		}
	}
}

// TestFindPodsBySelector: --data-plane-selector names the pods outright,
// running ones only; selecting none is an error saying so.
func TestFindPodsBySelector(t *testing.T) {
	objs := []runtime.Object{
		pod("envoy", "proxy-a", "10.88.0.6"),
		pod("envoy", "proxy-b", "10.88.0.7", func(p *corev1.Pod) { p.Status.Phase = corev1.PodPending }),
		pod("other", "proxy-a", "10.88.0.8"),
	}
	f := finderOf(objs)
	sel, err := ParseSelector("envoy/app=proxy-a")
	if err != nil {
		t.Fatal(err)
	}
	f.selector = &sel
	pods, err := f.pods(context.Background(), types.NamespacedName{Namespace: "spec", Name: "gw"})
	if err != nil || names(pods) != "envoy/proxy-a" {
		t.Fatalf("selected %q (%v), want envoy/proxy-a", names(pods), err)
	}
	sel, _ = ParseSelector("envoy/app=proxy-b")
	f.selector = &sel
	if _, err := f.pods(context.Background(), types.NamespacedName{Namespace: "spec", Name: "gw"}); err == nil || !strings.Contains(err.Error(), "selects no running pod") {
		t.Errorf("a selector of no running pod: %v", err)
	}
}
