package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/crds"
)

func newSetupCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "setup",
		Short: "Build or locate kube-apiserver and etcd for the embedded control plane, and print them",
		Long: `setup does only the first step of a run: it finds kube-apiserver and etcd in
$KUBEBUILDER_ASSETS or the cache, or builds them from the Go module proxy
(a one-off of several minutes), then prints their paths and versions and the
CRD folder xbcheck installs.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			out := c.OutOrStdout()
			set, err := binaries.Ensure(ctx, binaries.Options{Progress: c.ErrOrStderr()})
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			for _, name := range []string{binaries.KubeAPIServer, binaries.Etcd} {
				v, err := binaries.Version(ctx, set.Path(name))
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t(%s)\n", name, set.Path(name), v, set.Source)
			}
			dir, err := crds.ModuleDir(ctx)
			if err != nil {
				return err
			}
			bundle, err := crds.Load(dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "crds\t%s\tgateway-api %s %s\t(%d CRDs)\n", dir, bundle.BundleVersion, bundle.Channel, len(bundle.CRDs))
			return w.Flush()
		},
	}
}
