package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/runner"
)

// kindOnlyFlags are the flags that mean something only with --provider
// kind.
func kindOnlyFlags() []string {
	return []string{"kind-cluster", "kind-node-image", "kind-config", "install-cmd"}
}

// registerKindFlags adds the flags of --provider kind (and
// --gateway-api-version, which every provider honours) to run, and wraps
// its RunE so that they reach the provider in the command's context
// (cluster.WithKindOptions, cluster.WithGatewayAPIVersion), checked, with
// --config applied first. Call it once RunE is set.
func registerKindFlags(c *cobra.Command) {
	var k cluster.KindOptions
	var version string
	f := c.Flags()
	f.StringVar(&k.Cluster, "kind-cluster", "", "with --provider kind, reuse this kind cluster (it is never deleted), or create it under this name when it does not exist (default: create xbcheck-<random>)")
	f.StringVar(&k.NodeImage, "kind-node-image", "", "with --provider kind, the node image of a cluster xbcheck creates (default: kind's own)")
	f.StringVar(&k.ConfigFile, "kind-config", "", "with --provider kind, a kind Cluster configuration file (kind.x-k8s.io/v1alpha4) for a cluster xbcheck creates")
	f.StringVar(&k.InstallCmd, "install-cmd", "", "with --provider kind, install the implementation under test with this command (run by /bin/sh -c in the current folder, KUBECONFIG set) once the cluster is up; its output goes to <report-output>/install.log")
	f.StringVar(&version, "gateway-api-version", "", "install the experimental CRDs of this Gateway API release, v1.6.3 or v1.7.0 (default: "+cluster.DefaultGatewayAPIVersion()+", the newest whose XBackend xbcheck speaks; fetched through the Go module proxy once and cached)")
	if p := f.Lookup("provider"); p != nil {
		p.Usage += "; or kind (a kind cluster on Docker or Podman that xbcheck creates, or reuses with --kind-cluster, with --install-cmd installing the implementation)"
	}
	run := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		flags := cmd.Flags()
		// --config is applied again by run: the flags it set are then
		// changed, and a second pass leaves them alone.
		if path, _ := flags.GetString("config"); path != "" {
			if err := applyConfig(flags, path); err != nil {
				return err
			}
		}
		if err := checkKindFlags(cmd.Context(), flags, k, version); err != nil {
			return runner.UsageError{Err: err}
		}
		ctx := cmd.Context()
		if provider, _ := flags.GetString("provider"); provider == "kind" {
			ctx = cluster.WithKindOptions(ctx, k)
		}
		if version != "" {
			ctx = cluster.WithGatewayAPIVersion(ctx, version)
		}
		cmd.SetContext(ctx)
		return run(cmd, args)
	}
}

// checkKindFlags says, in one line, what is wrong with the kind flags
// given and --gateway-api-version (a release the module proxy or the
// cache has), or nil.
func checkKindFlags(ctx context.Context, flags *pflag.FlagSet, k cluster.KindOptions, version string) error {
	provider, _ := flags.GetString("provider")
	if provider != "kind" {
		for _, name := range kindOnlyFlags() {
			if flags.Changed(name) {
				return fmt.Errorf("--%s works with --provider kind only; add --provider kind, or leave it out", name)
			}
		}
	}
	if flags.Changed("install-cmd") && strings.TrimSpace(k.InstallCmd) == "" {
		return fmt.Errorf("--install-cmd is empty (an unset variable?): give the command that installs the implementation, or leave the flag out")
	}
	if k.ConfigFile != "" {
		if info, err := os.Stat(k.ConfigFile); err != nil || info.IsDir() {
			return fmt.Errorf("--kind-config %s is not a readable file; give a kind Cluster configuration (kind.x-k8s.io/v1alpha4)", k.ConfigFile)
		}
	}
	if version != "" {
		if dir, _ := flags.GetString("crds"); dir != "" {
			return fmt.Errorf("--crds and --gateway-api-version both choose the CRDs: give one of them")
		}
		// The release is looked up now, --dry-run too: a run must not
		// start a cluster for CRDs that do not exist.
		if err := cluster.CheckGatewayAPIRelease(ctx, version); err != nil {
			return err
		}
	}
	return nil
}
