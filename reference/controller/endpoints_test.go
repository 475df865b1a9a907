package controller

import (
	"net/netip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

func pod(ns, name, ip string, ready bool, labels map[string]string) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Status:     corev1.PodStatus{PodIP: ip, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

func TestEndpointsAreTheReadyPodsWithEveryLabelInTheNamespace(t *testing.T) {
	both := map[string]string{"app": "api", "tier": "web", "extra": "x"}
	deleting := pod("ns", "deleting", "10.0.0.6", true, both)
	deleting.DeletionTimestamp = &metav1.Time{}
	w := &World{Pods: []*corev1.Pod{
		pod("ns", "b", "10.0.0.2", true, both),
		pod("ns", "a", "10.0.0.1", true, both),
		pod("ns", "starting", "10.0.0.3", false, both),
		pod("ns", "app-only", "10.0.0.4", true, map[string]string{"app": "api"}),
		pod("other", "elsewhere", "10.0.0.5", true, both),
		deleting,
		pod("ns", "no-ip", "", true, both),
	}}
	xb := &xbackend.XBackend{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pods"}, Spec: xbackend.BackendSpec{
		Type: xbackend.TypeEndpointSelector, EndpointSelector: &xbackend.EndpointSelectorBackend{MatchLabels: map[string]string{"app": "api", "tier": "web"}},
	}}
	addrs := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, a := range s {
			out = append(out, netip.MustParseAddr(a))
		}
		return out
	}
	for _, c := range []struct {
		fault faults.Fault
		want  []netip.Addr
	}{
		{"", addrs("10.0.0.1", "10.0.0.2")},
		{faults.SelectAnyLabel, addrs("10.0.0.1", "10.0.0.2", "10.0.0.4")},
		{faults.RouteToUnreadyPods, addrs("10.0.0.1", "10.0.0.2", "10.0.0.3")},
		{faults.SelectAllNamespaces, addrs("10.0.0.1", "10.0.0.2", "10.0.0.5")},
	} {
		if got := w.Endpoints(xb, faults.Set{c.fault: c.fault != ""}); !slices.Equal(got, c.want) {
			t.Errorf("fault %q: endpoints %v, want %v", c.fault, got, c.want)
		}
	}
	if got := w.Endpoints(&xbackend.XBackend{}, nil); got != nil {
		t.Errorf("an XBackend without endpointSelector has endpoints %v", got)
	}
}

func TestServiceForAnEndpointSelector(t *testing.T) {
	xb := &xbackend.XBackend{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pods", UID: "u1"}, Spec: xbackend.BackendSpec{
		Type: xbackend.TypeEndpointSelector, Port: 8443, EndpointSelector: &xbackend.EndpointSelectorBackend{MatchLabels: map[string]string{"app": "api"}},
	}}
	svc := (&Controllers{}).service(xb)
	if svc.Name != "" || svc.GenerateName != "pods-" || svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("name %q generateName %q clusterIP %q, want a generated name and headless", svc.Name, svc.GenerateName, svc.Spec.ClusterIP)
	}
	if len(svc.OwnerReferences) != 1 || svc.OwnerReferences[0].UID != "u1" || svc.OwnerReferences[0].Kind != "XBackend" {
		t.Errorf("ownerReferences %+v, want the XBackend", svc.OwnerReferences)
	}
	if p := svc.Spec.Ports; len(p) != 1 || p[0].TargetPort.IntValue() != 8443 || svc.Spec.Selector["app"] != "api" {
		t.Errorf("ports %+v selector %v", p, svc.Spec.Selector)
	}
	faulty := (&Controllers{opts: Options{Faults: faults.Set{faults.PredictableServiceName: true, faults.ServiceWithClusterIP: true}}}).service(xb)
	if faulty.Name != "pods-backend" || faulty.GenerateName != "" || faulty.Spec.ClusterIP != "" {
		t.Errorf("with the faults: name %q generateName %q clusterIP %q", faulty.Name, faulty.GenerateName, faulty.Spec.ClusterIP)
	}
}
