package coredns

import (
	"bytes"
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A crashed run's change is found by its label, put back and CoreDNS
// restarted; by run when a run is named, every run's otherwise.
func TestCleanRestoresByRun(t *testing.T) {
	ctx := context.Background()
	f := newFakeDNS(t, namespace, "coredns", kindCorefile, 2)
	if _, err := Add(ctx, f, "r1", testZone, nil); err != nil {
		t.Fatal(err)
	}
	// A second DNS, its ConfigMap as a crashed run r2 left it.
	f.addCoreDNS(t, "dns2", "corefile", ".:53 {\n    whoami\n}", 1)
	cm := f.configMap(t, "dns2", "corefile")
	cm.Labels = map[string]string{RunLabel: "r2"}
	cm.Annotations[OriginalAnnotation] = cm.Data[corefileKey]
	cm.Data[corefileKey] = withZone(cm.Data[corefileKey], testZone, "r2")
	if _, err := f.CoreV1().ConfigMaps("dns2").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	deleted := f.deletions()
	n, err := Clean(ctx, f, "r2", &out)
	if err != nil || n != 1 {
		t.Fatalf("Clean r2 = %d, %v; want 1 restored", n, err)
	}
	if got := f.configMap(t, "dns2", "corefile"); got.Data[corefileKey] != ".:53 {\n    whoami\n}" || got.Labels[RunLabel] != "" || got.Annotations[OriginalAnnotation] != "" {
		t.Errorf("after Clean r2 the ConfigMap is %v, labels %v, annotations %v; want it as before r2", got.Data, got.Labels, got.Annotations)
	}
	if got := f.configMap(t, namespace, "coredns"); got.Labels[RunLabel] != "r1" {
		t.Errorf("Clean r2 restored run r1's ConfigMap")
	}
	if f.deletions() != deleted+1 {
		t.Errorf("Clean r2 restarted %d pods, want the 1 pod of dns2", f.deletions()-deleted)
	}
	if !strings.HasPrefix(out.String(), "restored the Corefile of ConfigMap dns2/corefile (run r2): 1 pod restarted in ") || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("Clean r2 printed %q, want one line for the ConfigMap it restored", out.String())
	}

	out.Reset()
	if n, err := Clean(ctx, f, "", &out); err != nil || n != 1 {
		t.Fatalf("Clean of every run = %d, %v; want 1 restored (r1's)", n, err)
	}
	if got := f.configMap(t, namespace, "coredns"); got.Data[corefileKey] != kindCorefile || got.Labels[RunLabel] != "" {
		t.Errorf("after Clean the Corefile is %q, labels %v; want the one from before r1", got.Data[corefileKey], got.Labels)
	}
	if !strings.HasPrefix(out.String(), "restored the Corefile of ConfigMap kube-system/coredns (run r1): 2 pods restarted in ") {
		t.Errorf("Clean printed %q", out.String())
	}
	if n, err := Clean(ctx, f, "", &out); err != nil || n != 0 {
		t.Fatalf("Clean with nothing left = %d, %v; want 0", n, err)
	}
}

func TestCleanSaysWhenTheOriginalIsLost(t *testing.T) {
	ctx := context.Background()
	f := newFakeDNS(t, namespace, "coredns", kindCorefile, 1)
	cm := f.configMap(t, namespace, "coredns")
	cm.Labels = map[string]string{RunLabel: "r1"}
	if _, err := f.CoreV1().ConfigMaps(namespace).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := Clean(ctx, f, "", &bytes.Buffer{})
	refused(t, err, "ConfigMap kube-system/coredns is marked by xbcheck run r1 but has lost the Corefile from before it (annotation xbcheck.dev/original-corefile); put its Corefile back by hand and remove the label xbcheck.dev/run")
}
