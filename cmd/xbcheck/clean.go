package main

import (
	"fmt"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/suites/harness"
)

func newCleanCommand() *cobra.Command {
	var kubeconfig, runID string
	c := &cobra.Command{
		Use:   "clean",
		Short: "Delete everything earlier runs left in a cluster, found by the xbcheck.dev/run label",
		Long: `clean deletes the namespaces (and so every object in them) that xbcheck runs
created in the cluster of --kubeconfig, found by the label xbcheck.dev/run.
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
			k, err := client.New(cl.Config, client.Options{})
			if err != nil {
				return err
			}
			selector := client.HasLabels{harness.RunLabel}
			var list corev1.NamespaceList
			opts := []client.ListOption{selector}
			if runID != "" {
				opts = []client.ListOption{client.MatchingLabels{harness.RunLabel: runID}}
			}
			if err := k.List(ctx, &list, opts...); err != nil {
				return fmt.Errorf("list namespaces labelled %s: %w", harness.RunLabel, err)
			}
			for i := range list.Items {
				ns := &list.Items[i]
				if err := client.IgnoreNotFound(k.Delete(ctx, ns)); err != nil {
					return fmt.Errorf("delete namespace %s: %w", ns.Name, err)
				}
				fmt.Fprintf(c.OutOrStdout(), "deleted namespace %s (run %s)\n", ns.Name, ns.Labels[harness.RunLabel])
			}
			fmt.Fprintf(c.OutOrStdout(), "%d namespaces deleted\n", len(list.Items))
			return nil
		},
	}
	c.Flags().StringVar(&kubeconfig, "kubeconfig", "", "the cluster to clean")
	c.Flags().StringVar(&runID, "run-id", "", "delete only what this run created (default: every run)")
	return c
}
