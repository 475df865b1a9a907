package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/node"
	"github.com/xbcheck/xbcheck/internal/runner"
)

func newSetupCommand() *cobra.Command {
	var provider string
	var mode binaries.Mode
	c := &cobra.Command{
		Use:   "setup",
		Short: "Download, build or locate kube-apiserver and etcd for the embedded control plane, and print them",
		Long: `setup does only the first step of a run: it finds kube-apiserver and etcd in
$KUBEBUILDER_ASSETS or the cache, or downloads them from their official
release sites (checksums checked), or builds them from the Go module proxy
where those are unreachable (a one-off of several minutes; --binaries says
which), then prints their paths and versions and the CRD folder xbcheck
installs.

With --provider node it also prepares a real single node (xbcheck cluster
up): it installs the Debian packages the node needs and lacks (iptables;
gcc, libc6-dev, libseccomp-dev and pkg-config to build runc), downloads or
builds the kubelet, kube-controller-manager, kube-scheduler, kube-proxy,
containerd, runc, the CNI plugins, CoreDNS and pause (building all of them is
a one-off of about 11 minutes on 2 cores), and writes the pause and CoreDNS
images.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			out := c.OutOrStdout()
			switch provider {
			case "envtest":
			case "node":
				if err := installPackages(ctx, c.ErrOrStderr(), node.MissingPackages(true)); err != nil {
					return err
				}
			default:
				return runner.UsageError{Err: fmt.Errorf("--provider %q is not one of envtest, node", provider)}
			}
			set, err := binaries.Ensure(ctx, binaries.Options{Progress: c.ErrOrStderr(), Mode: mode})
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
			// The default release's CRDs, fetched once and cached for runs
			// in the network sandbox.
			bundle, err := cluster.LoadCRDs(ctx, "", "")
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "crds\t%s\tgateway-api %s %s\t(%d CRDs)\n", bundle.Dir, bundle.BundleVersion, bundle.Channel, len(bundle.CRDs))
			if provider == "node" {
				assets, err := node.Prepare(ctx, c.ErrOrStderr(), mode)
				if err != nil {
					return err
				}
				for _, name := range binaries.NodeBinaries() {
					fmt.Fprintf(w, "%s\t%s\t\t(%s)\n", name, assets.Node.Path(name), assets.Node.Source)
				}
				for _, img := range []node.Image{assets.Pause, assets.CoreDNS} {
					fmt.Fprintf(w, "image\t%s\t%s\t\n", img.Path, img.Ref)
				}
			}
			return w.Flush()
		},
	}
	c.Flags().StringVar(&provider, "provider", "envtest", "what to prepare: envtest (kube-apiserver and etcd), or node (also everything a real single node needs; Linux, as root)")
	registerBinariesFlag(c.Flags(), &mode)
	return c
}

// installPackages installs Debian packages with apt-get (as root),
// refreshing the package lists first.
func installPackages(ctx context.Context, progress io.Writer, pkgs []string) error {
	if len(pkgs) == 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return runner.UsageError{Err: fmt.Errorf("a node needs the Debian packages %s; run xbcheck setup --provider node as root, or install them", strings.Join(pkgs, " "))}
	}
	fmt.Fprintf(progress, "installing Debian packages a node needs: %s\n", strings.Join(pkgs, " "))
	for _, args := range [][]string{{"update", "-qq"}, append([]string{"install", "-y", "-qq", "--no-install-recommends"}, pkgs...)} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = progress, progress
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s: %w; install %s by hand", args[0], err, strings.Join(pkgs, " "))
		}
	}
	return nil
}
