package harness

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/fakes/probe"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/incluster"
)

// podsUnavailable says why the harness can give a scenario no pods behind
// fake upstreams, or "" when it can: real pods of xbcheck's image where
// its fakes run in the cluster (Environment.PodImage), or pods it plays on
// a control plane with no node, hence no kubelet to own their status.
func (h *Harness) podsUnavailable(ctx context.Context) string {
	switch {
	case h.pods != nil:
		return ""
	case h.podsErr != nil:
		return "the harness cannot reach pods of xbcheck's image " + h.Env.PodImage + ": " + h.podsErr.Error()
	}
	var nodes corev1.NodeList
	if err := h.Client.List(ctx, &nodes, client.Limit(1)); err != nil {
		return "cannot list the cluster's nodes: " + err.Error()
	}
	if len(nodes.Items) > 0 {
		return "the cluster's kubelets own pods, and xbcheck's fakes run outside the cluster (--fakes local, --implementation-cmd or --fakes-url), so no image of xbcheck's is there to run real pods of"
	}
	return ""
}

// FakePod is a pod behind a fake upstream, of one of two kinds the
// harness chooses, the same to a scenario. On a control plane with no
// kubelet it is an object whose status (address, readiness) the harness
// writes, with the upstream listening at that address in the simulated
// internet. Where kubelets run pods it is a real pod of xbcheck's image,
// its upstream listening on the pod's own address, its Ready condition
// written by the kubelet from a readinessProbe whose answer the harness
// sets.
type FakePod struct {
	Name      string
	Namespace string
	Upstream  *Upstream

	real *incluster.EndpointPod
}

// Addr is the pod's IP: where its upstream listens.
func (p *FakePod) Addr() netip.Addr { return p.Upstream.Addr.Addr() }

// StartPod starts a pod in namespace with labels, Ready or not, serving a
// fake upstream on port (the XBackend's port.number; 0 takes a free one,
// the first pod's) configured by cfg (TLS and protocols; Role and Addr are
// the pod's). The pod is played or real (see FakePod); both go when the
// spec ends.
func (s *T) StartPod(ctx context.Context, namespace, name string, labels map[string]string, ready bool, port int, cfg UpstreamConfig) *FakePod {
	GinkgoHelper()
	cfg.Role = "pod/" + namespace + "/" + name
	var p *FakePod
	if s.h.pods != nil {
		p = s.startRealPod(ctx, namespace, name, labels, port, cfg)
	} else {
		p = s.startPlayedPod(ctx, namespace, name, labels, port, cfg)
	}
	s.SetPodReady(ctx, p, ready)
	s.Note("pod %s/%s (labels %v) at %s, Ready=%t", namespace, name, sortedLabels(labels), p.Upstream.Addr, ready)
	return p
}

// startPlayedPod starts the upstream at a new address of the simulated
// internet, then creates the pod object whose IP that address becomes.
func (s *T) startPlayedPod(ctx context.Context, namespace, name string, labels map[string]string, port int, cfg UpstreamConfig) *FakePod {
	GinkgoHelper()
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
	return &FakePod{Name: name, Namespace: namespace, Upstream: up}
}

// startRealPod creates a pod of xbcheck's image, not Ready, starts the
// upstream on the pod's address through the pod's control API, and proves
// it reachable from the run's prober (a pod of the cluster), so that a pod
// never reached later was reachable.
func (s *T) startRealPod(ctx context.Context, namespace, name string, labels map[string]string, port int, cfg UpstreamConfig) *FakePod {
	GinkgoHelper()
	start := time.Now()
	rp, err := s.h.pods.Start(ctx, namespace, name, labels)
	s.h.clock.add(start)
	s.DeleteAtEnd(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}})
	Check(err, "start pod %s/%s of image %s", namespace, name, s.h.pods.Image())
	s.Note("pod %s/%s of image %s running at %s, started in %s", namespace, name, s.h.pods.Image(), rp.IP, time.Since(start).Round(time.Millisecond))
	cfg.Addr = net.JoinHostPort(rp.IP.String(), strconv.Itoa(port))
	up := s.startUpstream(ctx, timedFakes{Fakes: rp.Fakes, clock: s.h.clock}, cfg)
	s.proveServing(ctx, up)
	return &FakePod{Name: name, Namespace: namespace, Upstream: up, real: rp}
}

// proveServing sends a request to up from the prober and waits for up to
// log it, then clears its log: the positive control of a real pod.
func (s *T) proveServing(ctx context.Context, up *Upstream) {
	GinkgoHelper()
	res, err := s.h.prober.Get(ctx, probe.Request{URL: "http://" + up.Addr.String() + "/xbcheck-reachable", Timeout: s.h.Timeouts.Request})
	Check(err, "probe upstream %s at %s", up.role, up.Addr)
	s.eventuallyOrFault(ctx, s.h.Timeouts.Request, func(g Gomega) {
		events, err := up.fakes.UpstreamLog(ctx, up.Role)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(events).To(ContainElement(HaveField("Kind", Not(Equal(upstream.KindAccept)))))
	}, "upstream %s at %s did not log the harness's own request (probe: status %d, error %q): 'never reached' would prove nothing", up.role, up.Addr, res.Status, res.Error)
	Check(up.fakes.ClearUpstreamLog(ctx, up.Role), "clear the log of upstream %s", up.role)
	s.Note("positive control: upstream %s at %s answers from the prober", up.role, up.Addr)
}

// SetPodReady makes pod p Ready or not. A played pod's status is written
// as a kubelet would: Running, its IP, and the Ready condition. A real
// pod's readinessProbe answers as ready says, and this returns once the
// kubelet has written the Ready condition.
func (s *T) SetPodReady(ctx context.Context, p *FakePod, ready bool) {
	GinkgoHelper()
	if p.real != nil {
		start := time.Now()
		err := p.real.SetReady(ctx, ready)
		s.h.clock.add(start)
		Check(err, "make pod %s/%s Ready=%t", p.Namespace, p.Name, ready)
		s.Note("pod %s/%s Ready=%t (written by the kubelet after %s)", p.Namespace, p.Name, ready, time.Since(start).Round(time.Millisecond))
		return
	}
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

// DeletePod deletes pod p at once (grace period 0). A played pod's object
// goes as a kubelet confirms it gone, its upstream still listening; a real
// pod's upstream goes with it, its log so far kept as its last.
func (s *T) DeletePod(ctx context.Context, p *FakePod) {
	GinkgoHelper()
	if p.real != nil {
		p.Upstream.goneWithPod(ctx)
	}
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
