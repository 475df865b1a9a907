package coredns

import (
	"context"
	"fmt"
	"io"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Clean undoes what runs that could not (a crash, a kill) left in CoreDNS:
// every ConfigMap labelled RunLabel (with value run, when run is not "")
// gets its Corefile from before back, loses the marks, and the pods of the
// Deployments mounting it are restarted. It prints a line per ConfigMap to
// out and returns how many it restored.
func Clean(ctx context.Context, cs kubernetes.Interface, run string, out io.Writer) (restored int, err error) {
	selector := RunLabel
	if run != "" {
		selector = RunLabel + "=" + run
	}
	list, err := cs.CoreV1().ConfigMaps(metav1.NamespaceAll).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return 0, fmt.Errorf("list the ConfigMaps labelled %s: %w", selector, err)
	}
	for _, cm := range list.Items {
		owner := cm.Labels[RunLabel]
		_, found, err := putBack(ctx, cs, cm.Namespace, cm.Name, owner)
		if err != nil {
			return restored, err
		}
		if !found {
			continue
		}
		restored++
		deps, err := mounting(ctx, cs, cm.Namespace, cm.Name)
		if err != nil {
			return restored, err
		}
		begin, restarted := time.Now(), 0
		for _, d := range deps {
			n, err := restart(ctx, cs, cm.Namespace, d)
			restarted += n
			if err != nil {
				return restored, fmt.Errorf("the Corefile of ConfigMap %s/%s is back, but its pods still serve run %s's zone until restarted (`kubectl -n %s rollout restart deployment %s`): %w", cm.Namespace, cm.Name, owner, cm.Namespace, d, err)
			}
		}
		fmt.Fprintf(out, "restored the Corefile of ConfigMap %s/%s (run %s): %s restarted in %s\n", cm.Namespace, cm.Name, owner, pods(restarted), time.Since(begin).Round(10*time.Millisecond))
	}
	return restored, nil
}
