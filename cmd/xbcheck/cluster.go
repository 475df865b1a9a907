package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/node"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

func newClusterCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "cluster",
		Short: "Start a real single-node Kubernetes cluster for a person (Linux, as root)",
		Args:  noArgs,
	}
	c.AddCommand(newClusterUpCommand())
	return c
}

func newClusterUpCommand() *cobra.Command {
	var logDir string
	var images []string
	var mode binaries.Mode
	c := &cobra.Command{
		Use:   "up",
		Short: "Start a single-node Kubernetes cluster in a sandbox and keep it until Ctrl-C",
		Long: `up builds (once) and starts a real single-node Kubernetes ` + binaries.KubernetesVersion + ` cluster:
etcd, kube-apiserver, kube-controller-manager, kube-scheduler, the kubelet,
kube-proxy, containerd with runc, and CoreDNS, all inside private network,
mount and PID namespaces. It prints the kubeconfig and how to use it, and
keeps the cluster until Ctrl-C, which removes everything it made.

The cluster's addresses exist only inside its network namespace; reach the
API server from there (the printed nsenter command). Pods run images that
were imported, never pulled: xbcheck's own image is imported, and --image
adds image tarballs (docker save form).`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return clusterUp(c.Context(), c.OutOrStdout(), c.ErrOrStderr(), mode, logDir, images)
		},
	}
	c.Flags().StringVar(&logDir, "log-dir", "", "keep the daemons' logs in this folder (default: removed with the cluster)")
	c.Flags().StringArrayVar(&images, "image", nil, "import this image tarball into the node (repeatable)")
	registerBinariesFlag(c.Flags(), &mode)
	return c
}

func clusterUp(ctx context.Context, out, progress io.Writer, mode binaries.Mode, logDir string, imageFiles []string) error {
	if err := node.Check(); err != nil {
		return runner.UsageError{Err: err}
	}
	if logDir != "" {
		abs, err := filepath.Abs(logDir)
		if err != nil {
			return runner.UsageError{Err: fmt.Errorf("--log-dir: %w", err)}
		}
		logDir = abs
	}
	var extra []node.Image
	for _, f := range imageFiles {
		abs, err := filepath.Abs(f)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			return runner.UsageError{Err: fmt.Errorf("--image %s: %w; give an image tarball", f, errors.Unwrap(err))}
		}
		extra = append(extra, node.Image{Path: abs})
	}
	assets, err := node.Prepare(ctx, progress, mode)
	if err != nil {
		return err
	}
	handled, code, err := sandbox.Run(node.SandboxOptions(ctx))
	switch {
	case handled && err != nil:
		return runner.UsageError{Err: err}
	case handled:
		// The program inside the sandbox said what happened; the
		// sandbox's outer processes end with its code, silently (main
		// would repeat "interrupted" once per process).
		os.Exit(code)
	case err != nil:
		return err
	}
	// Inside the node sandbox from here on.
	selfImage, err := node.SelfImage("xbcheck")
	if err != nil {
		return fmt.Errorf("xbcheck's own image: %w", err)
	}
	cl, err := node.Start(ctx, node.Options{Assets: assets, Images: append(extra, selfImage), LogDir: logDir, Progress: progress})
	if err != nil {
		return err
	}
	defer cl.Stop()
	pid, err := sandbox.HostPID()
	if err != nil {
		return err
	}
	printCluster(out, cl, pid, selfImage.Ref)
	<-ctx.Done()
	fmt.Fprintln(out, "stopping the cluster")
	if err := cl.Stop(); err != nil {
		return err
	}
	return exitError{code: exitInterrupted}
}

func printCluster(out io.Writer, cl *node.Cluster, pid int, selfImage string) {
	fmt.Fprintf(out, `Kubernetes %s is up: node %s Ready, CoreDNS answering (started in %s)
  kubeconfig   %s
  API server   https://%s (inside the cluster's network namespace only)
  addresses    node %s, pods %s, Services %s, cluster DNS %s (%s)
  images       %s (xbcheck itself), pause, CoreDNS: pods use imagePullPolicy Never
  logs         %s

From another shell, as root, enter the cluster's network namespace:
  nsenter --target %d --net kubectl --kubeconfig %s get nodes
  nsenter --target %d --net  # a shell whose clients reach the cluster

Press Ctrl-C to stop the cluster; it leaves nothing behind.
`, binaries.KubernetesVersion, cl.NodeName, cl.StartTime.Round(100e6), cl.Kubeconfig, cl.APIServer, cl.NodeIP, cl.PodCIDR, cl.ServiceCIDR, cl.DNS, cl.ClusterDomain, selfImage, cl.LogDir, pid, cl.Kubeconfig, pid)
}
