package endpointselector

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Services checked are the ones for the XBackend: owned by it, or
// selecting its pods; a Service exposing the spec's Gateway is not one.
func TestForBackend(t *testing.T) {
	labels := selected("web")
	for _, c := range []struct {
		name string
		svc  corev1.Service
		want bool
	}{
		{"selects the matchLabels", corev1.Service{Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web", "tier": "web"}}}, true},
		{"selects some of them", corev1.Service{Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}, true},
		{"owned by the XBackend, no selector", corev1.Service{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{UID: "xb"}}}}, true},
		{"the Gateway's, no selector", corev1.Service{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{UID: "gw"}}}}, false},
		{"selects other pods", corev1.Service{Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web", "role": "gateway"}}}, false},
		{"selects another value", corev1.Service{Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "other"}}}, false},
	} {
		if got := forBackend(&c.svc, labels, "xb"); got != c.want {
			t.Errorf("%s: forBackend %t, want %t", c.name, got, c.want)
		}
	}
}
