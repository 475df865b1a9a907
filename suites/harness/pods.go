package harness

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// kubeletsOwnPods says why the harness cannot play pods in this cluster
// (it has nodes, whose kubelets would schedule them and own their
// status), or "" on an embedded control plane, which has none.
func (h *Harness) kubeletsOwnPods(ctx context.Context) string {
	var nodes corev1.NodeList
	if err := h.Client.List(ctx, &nodes, client.Limit(1)); err != nil {
		return "cannot list the cluster's nodes: " + err.Error()
	}
	if len(nodes.Items) > 0 {
		return "the cluster has nodes, whose kubelets run pods and own their status; a real pod behind a fake upstream is not built yet"
	}
	return ""
}

// FakePod is a pod the harness plays on a control plane with no kubelet:
// an object whose status (address, readiness) the harness writes, with a
// fake upstream listening at its address.
type FakePod struct {
	Name      string
	Namespace string
	Upstream  *Upstream
}

// Addr is the pod's IP: where its upstream listens.
func (p *FakePod) Addr() netip.Addr { return p.Upstream.Addr.Addr() }

// StartPod starts an upstream for a pod, then creates the pod in
// namespace with labels, and writes its IP and readiness into its status.
// The upstream listens on port (the XBackend's port.number) at a new
// address of the simulated internet, which becomes the pod's IP; cfg sets
// its TLS and protocols (Role and Addr are the pod's). Both go when the
// spec ends.
func (s *T) StartPod(ctx context.Context, namespace, name string, labels map[string]string, ready bool, port int, cfg UpstreamConfig) *FakePod {
	GinkgoHelper()
	cfg.Role = "pod/" + namespace + "/" + name
	cfg.Addr = fmt.Sprintf(":%d", port)
	up := s.StartUpstream(ctx, cfg)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "upstream", Image: "xbcheck.invalid/fake-upstream",
			Ports: []corev1.ContainerPort{{ContainerPort: int32(up.Addr.Port())}},
		}}},
	}
	s.Create(ctx, pod)
	p := &FakePod{Name: name, Namespace: namespace, Upstream: up}
	s.SetPodReady(ctx, p, ready)
	s.Note("pod %s/%s (labels %v) at %s, Ready=%t", namespace, name, sortedLabels(labels), up.Addr, ready)
	return p
}

// SetPodReady writes pod p's status as a kubelet would: Running, its IP,
// and the Ready condition.
func (s *T) SetPodReady(ctx context.Context, p *FakePod, ready bool) {
	GinkgoHelper()
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	s.eventuallyOrFault(ctx, s.h.Timeouts.Status, func(g Gomega) {
		pod := &corev1.Pod{}
		g.Expect(s.h.Client.Get(ctx, client.ObjectKey{Namespace: p.Namespace, Name: p.Name}, pod)).To(Succeed())
		ip := p.Addr().String()
		now := metav1.Now()
		pod.Status = corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}, StartTime: &now,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: status, LastTransitionTime: now},
				{Type: corev1.ContainersReady, Status: status, LastTransitionTime: now},
			},
		}
		g.Expect(s.h.Client.Status().Update(ctx, pod)).To(Succeed())
	}, "could not write the status of pod %s/%s", p.Namespace, p.Name)
	s.Note("pod %s/%s Ready=%t", p.Namespace, p.Name, ready)
}

// DeletePod deletes pod p, at once, as a kubelet confirms it gone.
func (s *T) DeletePod(ctx context.Context, p *FakePod) {
	GinkgoHelper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name}}
	Expect(client.IgnoreNotFound(s.h.Client.Delete(ctx, pod, client.GracePeriodSeconds(0)))).To(Succeed(), "delete pod %s/%s", p.Namespace, p.Name)
	s.Note("deleted pod %s/%s", p.Namespace, p.Name)
}

func sortedLabels(labels map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		out = append(out, k+"="+labels[k])
	}
	return out
}
