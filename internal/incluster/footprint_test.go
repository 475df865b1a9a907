package incluster

import (
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestFootprintSeesWhatARunLeaves(t *testing.T) {
	ctx := t.Context()
	corefile := ".:53 {\n    forward . /etc/resolv.conf\n}\n"
	stub := "xbcheck.test:53 {\n    forward . 10.96.0.53\n}\n"
	cs := fake.NewClientset(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}, Data: map[string]string{"Corefile": corefile}},
	)
	before, err := TakeFootprint(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := before.Diff(before); len(diff) != 0 {
		t.Fatalf("a footprint differs from itself: %v", diff)
	}
	core, rbac := cs.CoreV1(), cs.RbacV1()
	mustCreate(t, func() error {
		_, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "xbcheck-fakes-r1"}}, metav1.CreateOptions{})
		return err
	})
	mustCreate(t, func() error {
		_, err := core.Services("spec").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "gw-xbgw", Namespace: "spec"}}, metav1.CreateOptions{})
		return err
	})
	mustCreate(t, func() error {
		_, err := rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "xbcheck-reference-r1"}}, metav1.CreateOptions{})
		return err
	})
	mustCreate(t, func() error {
		_, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "xbcheck-reference-r1"}}, metav1.CreateOptions{})
		return err
	})
	mustCreate(t, func() error {
		cm, _ := core.ConfigMaps("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
		cm.Data["Corefile"] = corefile + stub
		cm.Annotations = map[string]string{"xbcheck.dev/run": "r1"}
		_, err := core.ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
	mustCreate(t, func() error { return core.Namespaces().Delete(ctx, "kube-system", metav1.DeleteOptions{}) })
	after, err := TakeFootprint(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"left: ClusterRole /xbcheck-reference-r1",
		"left: ClusterRoleBinding /xbcheck-reference-r1",
		"left: Namespace /xbcheck-fakes-r1",
		"left: Service spec/gw-xbgw",
		"gone: Namespace /kube-system",
		fmt.Sprintf("changed: kube-system/coredns data Corefile (%d bytes before, %d after)", len(corefile), len(corefile)+len(stub)),
		"changed: kube-system/coredns annotation xbcheck.dev/run (0 bytes before, 2 after)",
	}
	if got := before.Diff(after); !slices.Equal(got, want) {
		t.Errorf("diff:\n%q\nwant:\n%q", got, want)
	}
}

func mustCreate(t *testing.T, do func() error) {
	t.Helper()
	if err := do(); err != nil {
		t.Fatal(err)
	}
}
