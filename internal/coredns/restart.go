package coredns

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// stepTimeout bounds each wait of a restart: for a replacement pod to be
// Ready and the replaced one gone, for the Deployment to be available.
const stepTimeout = 2 * time.Minute

// restart makes the pods of Deployment ns/name read their ConfigMap
// afresh, without changing the Deployment: it deletes them one at a time
// (so the others keep answering) and waits each time for a Ready
// replacement and for the deleted pod to be gone, then for the Deployment
// to be available. It returns how many pods it replaced; none when the
// Deployment is gone.
func restart(ctx context.Context, cs kubernetes.Interface, ns, name string) (int, error) {
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read CoreDNS's Deployment %s/%s: %w", ns, name, err)
	}
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return 0, fmt.Errorf("CoreDNS's Deployment %s/%s has a selector xbcheck cannot use: %w", ns, name, err)
	}
	list := metav1.ListOptions{LabelSelector: selector.String()}
	hint := fmt.Sprintf("look at `kubectl -n %s describe pods -l %s`", ns, list.LabelSelector)
	listed, err := cs.CoreV1().Pods(ns).List(ctx, list)
	if err != nil {
		return 0, fmt.Errorf("list CoreDNS's pods: %w", err)
	}
	before := map[types.UID]bool{}
	var running []corev1.Pod
	for _, p := range listed.Items {
		before[p.UID] = true
		if p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			running = append(running, p)
		}
	}
	slices.SortFunc(running, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	for i, p := range running {
		uid := p.UID
		err := cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) {
			return i, fmt.Errorf("delete CoreDNS pod %s/%s so that it restarts: %w", ns, p.Name, err)
		}
		what := fmt.Sprintf("CoreDNS pod %s/%s to be replaced by a Ready pod", ns, p.Name)
		err = waitFor(ctx, what, hint, func(ctx context.Context) (string, error) {
			now, err := cs.CoreV1().Pods(ns).List(ctx, list)
			if err != nil {
				return "", err
			}
			return replaced(now.Items, before, uid, i+1), nil
		})
		if err != nil {
			return i, err
		}
	}
	err = waitFor(ctx, fmt.Sprintf("CoreDNS's Deployment %s/%s to be available", ns, name), hint, func(ctx context.Context) (string, error) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return available(d), nil
	})
	return len(running), err
}

// replaced says what is still missing ("" for nothing) once the pod with
// uid was deleted: want Ready pods that were not there before, and uid gone.
func replaced(pods []corev1.Pod, before map[types.UID]bool, uid types.UID, want int) string {
	fresh, problem := 0, ""
	for _, p := range pods {
		switch {
		case p.UID == uid:
			return "the deleted pod is still terminating"
		case before[p.UID] || p.DeletionTimestamp != nil:
		case ready(p):
			fresh++
		default:
			problem = fmt.Sprintf(", %s is %s", p.Name, podState(p))
		}
	}
	if fresh < want {
		return fmt.Sprintf("%d of %d new pods Ready%s", fresh, want, problem)
	}
	return ""
}

func ready(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podState is why a pod is not Ready, in a word or two (CrashLoopBackOff).
func podState(p corev1.Pod) string {
	for _, c := range p.Status.ContainerStatuses {
		switch {
		case c.State.Waiting != nil && c.State.Waiting.Reason != "":
			return c.State.Waiting.Reason
		case c.State.Terminated != nil && c.State.Terminated.Reason != "":
			return c.State.Terminated.Reason
		}
	}
	return string(p.Status.Phase)
}

// available says why a Deployment is not available yet ("" when it is).
func available(d *appsv1.Deployment) string {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	switch {
	case d.Status.ObservedGeneration < d.Generation:
		return "its controller has not seen its latest generation"
	case d.Status.AvailableReplicas < want || d.Status.UnavailableReplicas > 0:
		return fmt.Sprintf("%d of %d replicas available", d.Status.AvailableReplicas, want)
	}
	return ""
}

// waitFor checks until check reports nothing missing, for at most
// stepTimeout, at growing intervals; API errors count as not yet.
func waitFor(ctx context.Context, what, hint string, check func(context.Context) (string, error)) error {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	interval := 100 * time.Millisecond
	for {
		missing, err := check(ctx)
		if err != nil {
			missing = err.Error()
		}
		if missing == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up waiting for %s (%v; last seen: %s); %s", what, context.Cause(ctx), missing, hint)
		case <-time.After(interval):
		}
		interval = min(interval*3/2, 500*time.Millisecond)
	}
}

// pods says how many pods, in words.
func pods(n int) string {
	if n == 1 {
		return "1 pod"
	}
	return fmt.Sprintf("%d pods", n)
}
