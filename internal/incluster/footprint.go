package incluster

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Footprint is what a run may change in a cluster, read without knowing
// what the run made: the cluster's namespaces, cluster roles and bindings,
// Services, and CoreDNS's configuration, byte for byte. Taken before a run
// and after its cleanup, two footprints prove it left the cluster as it
// found it.
type Footprint struct {
	// Objects are "kind namespace/name" of the objects listed.
	Objects map[string]bool
	// CoreDNS is the data and annotations of kube-system/coredns, by key.
	CoreDNS map[string]string
}

// TakeFootprint lists the cluster's footprint.
func TakeFootprint(ctx context.Context, cs kubernetes.Interface) (Footprint, error) {
	f := Footprint{Objects: map[string]bool{}, CoreDNS: map[string]string{}}
	add := func(kind, namespace, name string) { f.Objects[kind+" "+namespace+"/"+name] = true }
	namespaces, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return f, fmt.Errorf("list namespaces: %w", err)
	}
	for _, o := range namespaces.Items {
		add("Namespace", "", o.Name)
	}
	services, err := cs.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return f, fmt.Errorf("list Services: %w", err)
	}
	for _, o := range services.Items {
		add("Service", o.Namespace, o.Name)
	}
	roles, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		return f, fmt.Errorf("list ClusterRoles: %w", err)
	}
	for _, o := range roles.Items {
		add("ClusterRole", "", o.Name)
	}
	bindings, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		return f, fmt.Errorf("list ClusterRoleBindings: %w", err)
	}
	for _, o := range bindings.Items {
		add("ClusterRoleBinding", "", o.Name)
	}
	cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return f, fmt.Errorf("read CoreDNS's ConfigMap: %w", err)
	default:
		for k, v := range cm.Data {
			f.CoreDNS["data "+k] = v
		}
		for k, v := range cm.Annotations {
			f.CoreDNS["annotation "+k] = v
		}
	}
	return f, nil
}

// Diff lists how after differs from f, one line per difference; empty when
// the cluster is as f found it.
func (f Footprint) Diff(after Footprint) []string {
	var out []string
	for _, o := range slices.Sorted(maps.Keys(after.Objects)) {
		if !f.Objects[o] {
			out = append(out, "left: "+o)
		}
	}
	for _, o := range slices.Sorted(maps.Keys(f.Objects)) {
		if !after.Objects[o] {
			out = append(out, "gone: "+o)
		}
	}
	keys := slices.Sorted(maps.Keys(f.CoreDNS))
	for _, k := range slices.Sorted(maps.Keys(after.CoreDNS)) {
		if _, ok := f.CoreDNS[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if before, now := f.CoreDNS[k], after.CoreDNS[k]; before != now {
			out = append(out, fmt.Sprintf("changed: kube-system/coredns %s (%d bytes before, %d after)", k, len(before), len(now)))
		}
	}
	return out
}

// AwaitFootprint waits up to timeout for the cluster to be as f found it
// (namespaces take a moment to go) and returns what still differs.
func AwaitFootprint(ctx context.Context, cs kubernetes.Interface, f Footprint, timeout time.Duration) ([]string, error) {
	deadline := time.Now().Add(timeout)
	for {
		after, err := TakeFootprint(ctx, cs)
		if err != nil {
			return nil, err
		}
		diff := f.Diff(after)
		if len(diff) == 0 || time.Now().After(deadline) {
			return diff, nil
		}
		select {
		case <-ctx.Done():
			return diff, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
