package coredns

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

// kindCorefile is the Corefile kind and kubeadm write.
const kindCorefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
`

// fakeDNS is a fake cluster with CoreDNS as kubeadm deploys it, and a
// stand-in for the ReplicaSet controller and the kubelet: a deleted pod
// is replaced at once by a pod that read the Corefile of that moment, and
// is Ready when healthy says that Corefile is.
type fakeDNS struct {
	*fake.Clientset
	mu      sync.Mutex
	deleted []string
	started int
	// healthy says whether CoreDNS starts with a Corefile; nil: always.
	healthy func(corefile string) bool
}

// newFakeDNS is a cluster whose CoreDNS Deployment ns/name runs replicas
// pods and mounts ConfigMap ns/name holding corefile (and a key other).
func newFakeDNS(t *testing.T, ns, name, corefile string, replicas int) *fakeDNS {
	t.Helper()
	f := &fakeDNS{Clientset: fake.NewClientset()}
	f.addCoreDNS(t, ns, name, corefile, replicas)
	f.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		d := a.(k8stesting.DeleteAction)
		return false, nil, f.replace(d.GetNamespace(), d.GetName())
	})
	return f
}

func (f *fakeDNS) addCoreDNS(t *testing.T, ns, name, corefile string, replicas int) {
	t.Helper()
	labels := map[string]string{"k8s-app": "kube-dns"}
	ctx := context.Background()
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: map[string]string{"kept": "as is"}},
		Data:       map[string]string{corefileKey: corefile, "other": "untouched"},
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, Generation: 1},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(replicas)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Volumes: []corev1.Volume{
				{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}},
			}}},
		},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: int32(replicas), AvailableReplicas: int32(replicas)},
	}
	if _, err := f.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for range replicas {
		if err := f.start(ns, name); err != nil {
			t.Fatal(err)
		}
	}
}

// start creates a pod of Deployment ns/name that read its ConfigMap now.
func (f *fakeDNS) start(ns, name string) error {
	obj, err := f.Tracker().Get(corev1.SchemeGroupVersion.WithResource("configmaps"), ns, name)
	if err != nil {
		return err
	}
	corefile := obj.(*corev1.ConfigMap).Data[corefileKey]
	f.mu.Lock()
	f.started++
	n := f.started
	healthy := f.healthy == nil || f.healthy(corefile)
	f.mu.Unlock()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%d", name, n), Namespace: ns, UID: types.UID(fmt.Sprintf("uid-%d", n)),
			Labels: map[string]string{"k8s-app": "kube-dns"}, Annotations: map[string]string{"read": corefile},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
	if !healthy {
		p.Status.Conditions[0].Status = corev1.ConditionFalse
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}
	}
	return f.Tracker().Create(corev1.SchemeGroupVersion.WithResource("pods"), p, ns)
}

// replace plays the ReplicaSet controller for a deleted pod.
func (f *fakeDNS) replace(ns, pod string) error {
	f.mu.Lock()
	f.deleted = append(f.deleted, pod)
	f.mu.Unlock()
	return f.start(ns, strings.TrimRight(strings.TrimRight(pod, "0123456789"), "-"))
}

func (f *fakeDNS) deletions() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.deleted)
}

func (f *fakeDNS) configMap(t *testing.T, ns, name string) *corev1.ConfigMap {
	t.Helper()
	cm, err := f.CoreV1().ConfigMaps(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

// corefilesServed lists the Corefile each pod of ns read when it started.
func (f *fakeDNS) corefilesServed(t *testing.T, ns string) []string {
	t.Helper()
	list, err := f.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range list.Items {
		out = append(out, p.Annotations["read"])
	}
	return out
}
