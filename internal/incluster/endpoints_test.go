package incluster

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/xbcheck/xbcheck/fakes/control"
)

// The pod carries exactly the scenario's labels, runs `xbcheck fakes` with
// a config it reads from its own annotation (no ConfigMap in a scenario's
// namespace), its control API on the port the pod proxy names, and its
// readinessProbe reads the readiness the harness sets.
func TestEndpointPodIsTheScenarios(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "web"}
	pod := endpointPod("xbcheck.local/xbcheck:test", "web-1", labels)
	if !maps.Equal(pod.Labels, labels) {
		t.Errorf("labels %v, want exactly the scenario's %v", pod.Labels, labels)
	}
	cfg, err := control.ParseConfig([]byte(pod.Annotations[endpointConfigAnnotation]))
	if err != nil {
		t.Fatalf("the pod's fakes config does not parse: %v", err)
	}
	if want := ":8080"; !strings.HasSuffix(cfg.Control.Addr, want) {
		t.Errorf("control API at %q, want port %s, where the pod proxy reaches it", cfg.Control.Addr, want)
	}
	c := pod.Spec.Containers[0]
	if got := c.ReadinessProbe.HTTPGet; got == nil || got.Path != "/v1/readiness" || got.Port.String() != "control" {
		t.Errorf("readinessProbe %+v, want GET /v1/readiness on the control port", c.ReadinessProbe)
	}
	if f := pod.Spec.Volumes[0].DownwardAPI.Items[0].FieldRef.FieldPath; !strings.Contains(f, endpointConfigAnnotation) {
		t.Errorf("config volume reads %q, want the annotation %s", f, endpointConfigAnnotation)
	}
}

// SetReady returns once the kubelet (here a loop reading the probe, as a
// kubelet does) has written the readiness the harness set, both ways; a
// kubelet that never does is named with the pod's state.
func TestSetReadyWaitsForTheKubelet(t *testing.T) {
	s, err := control.Start(t.Context(), control.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cs := fake.NewClientset(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web-1"}})
	p := &EndpointPod{Namespace: "ns", Name: "web-1", remote: &control.Remote{URL: s.URL()}, pods: &EndpointPods{cs: cs, timeout: 5 * time.Second}}
	kubelet := func(ctx context.Context) {
		for ctx.Err() == nil {
			status := corev1.ConditionFalse
			if resp, err := http.Get(s.URL() + "/v1/readiness"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					status = corev1.ConditionTrue
				}
			}
			pod, err := cs.CoreV1().Pods("ns").Get(ctx, "web-1", metav1.GetOptions{})
			if err == nil {
				pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
				_, _ = cs.CoreV1().Pods("ns").UpdateStatus(ctx, pod, metav1.UpdateOptions{})
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	ctx, stop := context.WithCancel(t.Context())
	go kubelet(ctx)
	for _, ready := range []bool{true, false, true} {
		if err := p.SetReady(t.Context(), ready); err != nil {
			t.Fatalf("SetReady(%t): %v", ready, err)
		}
		pod, _ := cs.CoreV1().Pods("ns").Get(t.Context(), "web-1", metav1.GetOptions{})
		if got := pod.Status.Conditions[0].Status; got != map[bool]corev1.ConditionStatus{true: corev1.ConditionTrue, false: corev1.ConditionFalse}[ready] {
			t.Errorf("SetReady(%t) returned with the pod's Ready %s", ready, got)
		}
	}
	stop()
	time.Sleep(100 * time.Millisecond)
	p.pods.timeout = 300 * time.Millisecond
	err = p.SetReady(t.Context(), false)
	if err == nil || !strings.Contains(err.Error(), "did not set pod ns/web-1 Ready=False") {
		t.Errorf("SetReady with no kubelet: %v, want it named", err)
	}
}
