package dataplane

import (
	"context"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	k8stesting "k8s.io/client-go/testing"

	"k8s.io/client-go/kubernetes/fake"
)

// ephemeralUpdates are the updates of the pods/ephemeralcontainers
// subresource the clientset was asked for.
func ephemeralUpdates(cs *fake.Clientset) []k8stesting.UpdateAction {
	var out []k8stesting.UpdateAction
	for _, a := range cs.Actions() {
		if u, ok := a.(k8stesting.UpdateAction); ok && a.GetSubresource() == "ephemeralcontainers" {
			out = append(out, u)
		}
	}
	return out
}

// TestAddContainer: the canary container goes into the pod through the
// ephemeralcontainers subresource once, unprivileged, running xbcheck's
// fakes with the control API on the pod's address and an idle exit; a pod
// that has it is left alone, and one on the node's network is refused
// without a change.
func TestAddContainer(t *testing.T) {
	ctx := context.Background()
	p := pod("envoy", "proxy-a", "10.88.0.6")
	cs := fake.NewClientset(p)
	added, err := addContainer(ctx, cs, p, containerName("run1"), "xbcheck.local/xbcheck:1")
	if err != nil || !added {
		t.Fatalf("addContainer = %v, %v", added, err)
	}
	updates := ephemeralUpdates(cs)
	if len(updates) != 1 {
		t.Fatalf("%d updates of pods/ephemeralcontainers, want 1", len(updates))
	}
	got := updates[0].GetObject().(*corev1.Pod).Spec.EphemeralContainers
	if len(got) != 1 {
		t.Fatalf("ephemeral containers %v, want one", got)
	}
	c := got[0]
	wantArgs := []string{"fakes", "--control-addr", "10.88.0.6:0", "--exit-when-idle", IdleExit.String()}
	if c.Name != "xbcheck-canary-run1" || c.Image != "xbcheck.local/xbcheck:1" || !slices.Equal(c.Args, wantArgs) {
		t.Errorf("container %s image %s args %v; want xbcheck-canary-run1, xbcheck.local/xbcheck:1, %v", c.Name, c.Image, c.Args, wantArgs)
	}
	sc := c.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("security context %+v is not the restricted profile's", sc)
	}

	// The pod as the API server now has it: nothing more to add.
	p.Spec.EphemeralContainers = got
	if added, err := addContainer(ctx, cs, p, containerName("run1"), "xbcheck.local/xbcheck:1"); err != nil || added {
		t.Errorf("adding it again = %v, %v; want nothing done", added, err)
	}
	host := pod("kube-system", "agent", "10.88.0.1", func(p *corev1.Pod) { p.Spec.HostNetwork = true })
	if _, err := addContainer(ctx, cs, host, containerName("run1"), "xbcheck.local/xbcheck:1"); err == nil || !strings.Contains(err.Error(), "hostNetwork") {
		t.Errorf("a hostNetwork pod: %v, want a refusal", err)
	}
	if n := len(ephemeralUpdates(cs)); n != 1 {
		t.Errorf("%d updates of pods/ephemeralcontainers in all, want the first only", n)
	}
}

func TestControlPort(t *testing.T) {
	for log, want := range map[string]string{
		"control-api http://10.88.0.6:44081\ndns 127.0.0.1:5353 zone xbcheck.test.\n": "44081",
		"control-api http://[fd00::6]:8080\n":                                         "8080",
		"":                                                                            "",
		"dns 127.0.0.1:5353\ncontrol-api http://10.88.0.6:1\n": "",
	} {
		if got := controlPort([]byte(log)); got != want {
			t.Errorf("controlPort(%q) = %q, want %q", log, got, want)
		}
	}
}
