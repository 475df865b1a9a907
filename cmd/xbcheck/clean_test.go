package main

import (
	"bytes"
	"context"
	"net/netip"
	"regexp"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/xbcheck/xbcheck/internal/coredns"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// clean of one run puts back the Corefile that run changed, first, then
// deletes that run's namespaces, a line for each, and leaves other runs'
// alone.
func TestCleanRestoresCoreDNSThenDeletesTheRunsNamespaces(t *testing.T) {
	if coredns.RunLabel != harness.RunLabel {
		t.Fatalf("CoreDNS's ConfigMap is marked %s, namespaces %s: clean finds both by one label", coredns.RunLabel, harness.RunLabel)
	}
	ctx := context.Background()
	const corefile = ".:53 {\n    forward . 10.0.0.1\n}"
	labels := map[string]string{"k8s-app": "kube-dns"}
	cs := fake.NewClientset(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}, Data: map[string]string{"Corefile": corefile}},
		&appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system", Labels: labels},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To(int32(0)),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{
					ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "coredns"}},
				}}}}},
			},
		},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "xbcheck-a1", Labels: map[string]string{harness.RunLabel: "a1"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "xbcheck-b2", Labels: map[string]string{harness.RunLabel: "b2"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "xbcheck-reference-a1", Labels: map[string]string{harness.RunLabel: "a1"}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "xbcheck-reference-a1", Labels: map[string]string{harness.RunLabel: "a1"}}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "xbcheck-reference-b2", Labels: map[string]string{harness.RunLabel: "b2"}}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "admin"}},
	)
	zone := coredns.StubZone{Zone: "xbcheck.test", Servers: []netip.AddrPort{netip.MustParseAddrPort("10.96.0.53:53")}}
	if _, err := coredns.Add(ctx, cs, "a1", zone, nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := clean(ctx, cs, "a1", &out); err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^restored the Corefile of ConfigMap kube-system/coredns \(run a1\): 0 pods restarted in \S+
deleted namespace xbcheck-a1 \(run a1\)
1 namespaces deleted
deleted ClusterRoleBinding xbcheck-reference-a1 \(run a1\)
deleted ClusterRole xbcheck-reference-a1 \(run a1\)
$`)
	if !want.MatchString(out.String()) {
		t.Errorf("clean --run-id a1 printed:\n%s\nwant a line for the Corefile, then one per namespace", out.String())
	}
	cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["Corefile"] != corefile || cm.Labels[coredns.RunLabel] != "" {
		t.Errorf("after clean the Corefile is %q, labels %v; want it as before run a1", cm.Data["Corefile"], cm.Labels)
	}
	left, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ns := range left.Items {
		names = append(names, ns.Name)
	}
	if len(names) != 2 || names[0] != "default" || names[1] != "xbcheck-b2" {
		t.Errorf("after clean --run-id a1 the namespaces are %v, want default and run b2's", names)
	}
	roles, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, r := range roles.Items {
		kept = append(kept, r.Name)
	}
	if len(kept) != 2 || kept[0] != "admin" || kept[1] != "xbcheck-reference-b2" {
		t.Errorf("after clean --run-id a1 the ClusterRoles are %v, want admin and run b2's", kept)
	}
}
