package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/coredns"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/suites/harness"
)

func newCleanCommand() *cobra.Command {
	var kubeconfig, runID string
	c := &cobra.Command{
		Use:   "clean",
		Short: "Undo everything earlier runs left in a cluster, found by the xbcheck.dev/run label",
		Long: `clean undoes what xbcheck runs left in the cluster of --kubeconfig, found by the
label xbcheck.dev/run: it puts back CoreDNS's Corefile as it was before a run
forwarded its test zone (restarting CoreDNS's pods), deletes the namespaces
(and so every object in them) the runs created, then the ClusterRoles and
ClusterRoleBindings of the reference gateways they deployed.
The embedded control plane keeps nothing between runs, so it needs no cleaning.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if kubeconfig == "" {
				return runner.UsageError{Err: fmt.Errorf("clean needs --kubeconfig: the embedded control plane keeps nothing between runs")}
			}
			ctx := c.Context()
			cl, err := cluster.Connect(ctx, kubeconfig)
			if err != nil {
				return runner.UsageError{Err: err}
			}
			cs, err := kubernetes.NewForConfig(cl.Config)
			if err != nil {
				return err
			}
			return clean(ctx, cs, runID, c.OutOrStdout())
		},
	}
	c.Flags().StringVar(&kubeconfig, "kubeconfig", "", "the cluster to clean")
	c.Flags().StringVar(&runID, "run-id", "", "undo only what this run did (default: every run)")
	return c
}

// clean puts back the Corefiles runs changed, first, so that CoreDNS never
// forwards to a rogue DNS whose namespace is gone; then it deletes the
// runs' namespaces. A line per thing undone goes to out.
func clean(ctx context.Context, cs kubernetes.Interface, runID string, out io.Writer) error {
	if _, err := coredns.Clean(ctx, cs, runID, out); err != nil {
		return err
	}
	selector := harness.RunLabel
	if runID != "" {
		selector += "=" + runID
	}
	list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return fmt.Errorf("list namespaces labelled %s: %w", harness.RunLabel, err)
	}
	for _, ns := range list.Items {
		if err := cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete namespace %s: %w", ns.Name, err)
		}
		fmt.Fprintf(out, "deleted namespace %s (run %s)\n", ns.Name, ns.Labels[harness.RunLabel])
	}
	fmt.Fprintf(out, "%d namespaces deleted\n", len(list.Items))
	return cleanClusterRBAC(ctx, cs, selector, out)
}

// cleanClusterRBAC deletes the cluster-wide rights runs gave the reference
// gateway they deployed, which no namespace holds.
func cleanClusterRBAC(ctx context.Context, cs kubernetes.Interface, selector string, out io.Writer) error {
	rbac := cs.RbacV1()
	bindings, err := rbac.ClusterRoleBindings().List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return fmt.Errorf("list ClusterRoleBindings labelled %s: %w", harness.RunLabel, err)
	}
	for _, b := range bindings.Items {
		if err := rbac.ClusterRoleBindings().Delete(ctx, b.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete ClusterRoleBinding %s: %w", b.Name, err)
		}
		fmt.Fprintf(out, "deleted ClusterRoleBinding %s (run %s)\n", b.Name, b.Labels[harness.RunLabel])
	}
	roles, err := rbac.ClusterRoles().List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return fmt.Errorf("list ClusterRoles labelled %s: %w", harness.RunLabel, err)
	}
	for _, r := range roles.Items {
		if err := rbac.ClusterRoles().Delete(ctx, r.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete ClusterRole %s: %w", r.Name, err)
		}
		fmt.Fprintf(out, "deleted ClusterRole %s (run %s)\n", r.Name, r.Labels[harness.RunLabel])
	}
	return nil
}
