package coredns

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// The marks of a run's change on CoreDNS's ConfigMap. RunLabel is the key
// that also marks a run's namespaces, so `xbcheck clean` finds both by
// label; the Corefile from before is an annotation, the one place that
// survives a crash of the run.
const (
	RunLabel           = "xbcheck.dev/run"
	OriginalAnnotation = "xbcheck.dev/original-corefile"
)

// Change is a stub zone [Add] put into CoreDNS's Corefile; Restore undoes
// it.
type Change struct {
	cs                    kubernetes.Interface
	run                   string
	server                server
	zone                  string
	applied               string // the Corefile Add wrote
	progress              io.Writer
	mu                    sync.Mutex
	putBack, restartedPod bool // how far Restore got
}

// Add makes the cluster's CoreDNS forward z to z.Servers, with no cache:
// it appends a server block for the zone to the Corefile, marks the
// ConfigMap with run and the Corefile from before (in the same update),
// restarts CoreDNS's pods so they serve it, and prints a line with the
// time it took to progress (nil discards it). It refuses, changing
// nothing, when the Corefile already serves the zone or a zone under it,
// or carries a run's change. When the restart fails it puts the Corefile
// back before returning.
func Add(ctx context.Context, cs kubernetes.Interface, run string, z StubZone, progress io.Writer) (*Change, error) {
	if progress == nil {
		progress = io.Discard
	}
	if err := validRun(run); err != nil {
		return nil, err
	}
	if err := z.validate(); err != nil {
		return nil, err
	}
	srv, err := find(ctx, cs)
	if err != nil {
		return nil, err
	}
	c := &Change{cs: cs, run: run, server: srv, zone: z.name(), progress: progress}
	var refused error
	err = retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		cm, err := cs.CoreV1().ConfigMaps(namespace).Get(ctx, srv.configMap, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if refused = refuse(cm, c.zone); refused != nil {
			return nil
		}
		original := cm.Data[corefileKey]
		c.applied = withZone(original, z, run)
		if cm.Labels == nil {
			cm.Labels = map[string]string{}
		}
		if cm.Annotations == nil {
			cm.Annotations = map[string]string{}
		}
		cm.Labels[RunLabel] = run
		cm.Annotations[OriginalAnnotation] = original
		cm.Data[corefileKey] = c.applied
		_, err = cs.CoreV1().ConfigMaps(namespace).Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		// An update whose answer was lost (Ctrl-C) may have landed all the same.
		undoCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stepTimeout)
		defer cancel()
		if _, _, undo := putBack(undoCtx, cs, namespace, srv.configMap, run); undo != nil {
			return nil, fmt.Errorf("write the stub zone %s into CoreDNS's Corefile (ConfigMap %s/%s): %v; undo what may have landed with `xbcheck clean --run-id %s`: %v", c.zone, namespace, srv.configMap, err, run, undo)
		}
		return nil, fmt.Errorf("write the stub zone %s into CoreDNS's Corefile (ConfigMap %s/%s): %w", c.zone, namespace, srv.configMap, err)
	}
	if refused != nil {
		return nil, refused
	}
	begin := time.Now()
	n, err := restart(ctx, cs, namespace, srv.deployment)
	if err != nil {
		// Put back even when ctx has ended (Ctrl-C): the restart has its own bounds.
		if undo := c.Restore(context.WithoutCancel(ctx)); undo != nil {
			return nil, fmt.Errorf("CoreDNS did not restart with the stub zone %s: %v; putting the Corefile back failed too, so undo it with `xbcheck clean --run-id %s`: %v", c.zone, err, run, undo)
		}
		return nil, fmt.Errorf("CoreDNS did not restart with the stub zone %s, so xbcheck put its Corefile back: %w", c.zone, err)
	}
	servers := make([]string, len(z.Servers))
	for i, s := range z.Servers {
		servers[i] = s.String()
	}
	fmt.Fprintf(progress, "CoreDNS forwards %s to %s, uncached (ConfigMap %s/%s, run %s): %s restarted in %s\n",
		c.zone, strings.Join(servers, " "), namespace, srv.configMap, run, pods(n), time.Since(begin).Round(10*time.Millisecond))
	return c, nil
}

// refuse says why xbcheck must not add zone to CoreDNS's ConfigMap cm.
func refuse(cm *corev1.ConfigMap, zone string) error {
	where := fmt.Sprintf("ConfigMap %s/%s", cm.Namespace, cm.Name)
	if other, ok := cm.Labels[RunLabel]; ok {
		return fmt.Errorf("CoreDNS's Corefile (%s) still carries the stub zone of xbcheck run %s; undo it with `xbcheck clean --run-id %s` and this cluster's --kubeconfig, then run again", where, other, other)
	}
	if cm.Immutable != nil && *cm.Immutable {
		return fmt.Errorf("CoreDNS's %s is immutable, so xbcheck cannot add its stub zone %s; run against a cluster whose Corefile can be edited", where, zone)
	}
	corefile, ok := cm.Data[corefileKey]
	if !ok {
		return fmt.Errorf("CoreDNS's %s has no key %s any more; check the cluster's DNS and run again", where, corefileKey)
	}
	if len(tokens(corefile)) > 0 && len(serverKeys(corefile)) == 0 {
		return fmt.Errorf("CoreDNS's Corefile (%s) has its one server block without braces, so a block xbcheck appends would become part of it; put that block in braces (.:53 { ... }) and run again", where)
	}
	if key := conflict(corefile, zone); key != "" {
		return fmt.Errorf("CoreDNS's Corefile (%s) already has a server block %q for %s that xbcheck did not add; remove it, or run against a cluster whose DNS leaves %s alone", where, key, zone, zone)
	}
	return nil
}

// Restore puts back the Corefile from before Add, byte for byte, removes
// the run's marks and restarts CoreDNS's pods; it keeps what others
// changed in the ConfigMap's other keys. It leaves the ConfigMap alone when
// the change is gone already (`xbcheck clean`), and does nothing when
// called again after it succeeded. Call it with a context of its own on
// the way out: the one of an interrupted run has ended.
func (c *Change) Restore(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	where := fmt.Sprintf("ConfigMap %s/%s", namespace, c.server.configMap)
	if !c.putBack {
		replaced, found, err := putBack(ctx, c.cs, namespace, c.server.configMap, c.run)
		if err != nil {
			return err
		}
		c.putBack = true
		if !found {
			c.restartedPod = true
			fmt.Fprintf(c.progress, "CoreDNS's Corefile (%s) no longer carries run %s's stub zone; left as it is\n", where, c.run)
			return nil
		}
		if replaced != c.applied {
			fmt.Fprintf(c.progress, "CoreDNS's Corefile (%s) was edited while it forwarded %s; put back the one from before run %s all the same\n", where, c.zone, c.run)
		}
	}
	if !c.restartedPod {
		begin := time.Now()
		n, err := restart(ctx, c.cs, namespace, c.server.deployment)
		if err != nil {
			return fmt.Errorf("CoreDNS's Corefile is back, but its pods still serve %s until restarted (`kubectl -n %s rollout restart deployment %s`): %w", c.zone, namespace, c.server.deployment, err)
		}
		c.restartedPod = true
		fmt.Fprintf(c.progress, "CoreDNS's Corefile restored (%s, run %s): %s restarted in %s\n", where, c.run, pods(n), time.Since(begin).Round(10*time.Millisecond))
	}
	return nil
}

// putBack writes the Corefile from before run's change back into
// ConfigMap ns/name and removes the run's marks, keeping every other key.
// found is false when the ConfigMap carries no change of run; replaced is
// the Corefile it replaced.
func putBack(ctx context.Context, cs kubernetes.Interface, ns, name, run string) (replaced string, found bool, err error) {
	var lost error
	err = retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		found = err == nil && cm.Labels[RunLabel] == run
		if apierrors.IsNotFound(err) || (err == nil && !found) {
			return nil
		}
		if err != nil {
			return err
		}
		original, ok := cm.Annotations[OriginalAnnotation]
		if !ok {
			lost = fmt.Errorf("ConfigMap %s/%s is marked by xbcheck run %s but has lost the Corefile from before it (annotation %s); put its Corefile back by hand and remove the label %s", ns, name, run, OriginalAnnotation, RunLabel)
			return nil
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		replaced = cm.Data[corefileKey]
		cm.Data[corefileKey] = original
		delete(cm.Labels, RunLabel)
		delete(cm.Annotations, OriginalAnnotation)
		_, err = cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("put the Corefile from before run %s back into ConfigMap %s/%s: %w", run, ns, name, err)
	}
	return replaced, found, lost
}
