package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/runner"
)

// kindOnlyFlags are the flags that mean something only with --provider
// kind.
func kindOnlyFlags() []string {
	return []string{"kind-cluster", "kind-node-image", "kind-config", "install-cmd"}
}

// registerKindFlags adds the flags of --provider kind, into o.Kind, and
// --gateway-api-version, which every provider honours, into
// o.GatewayAPIVersion. Call it once --provider is registered; check them
// with checkKindFlags once --config is applied.
func registerKindFlags(f *pflag.FlagSet, o *runner.Options) {
	f.StringVar(&o.Kind.Cluster, "kind-cluster", "", "with --provider kind, reuse this kind cluster (it is never deleted), or create it under this name when it does not exist (default: create xbcheck-<random>)")
	f.StringVar(&o.Kind.NodeImage, "kind-node-image", "", "with --provider kind, the node image of a cluster xbcheck creates (default: kind's own)")
	f.StringVar(&o.Kind.ConfigFile, "kind-config", "", "with --provider kind, a kind Cluster configuration file (kind.x-k8s.io/v1alpha4) for a cluster xbcheck creates")
	f.StringVar(&o.Kind.InstallCmd, "install-cmd", "", "with --provider kind, install the implementation under test with this command (run by /bin/sh -c in the current folder, KUBECONFIG set) once the cluster is up; its output goes to <report-output>/install.log")
	f.StringVar(&o.GatewayAPIVersion, "gateway-api-version", "", "install the experimental CRDs of this Gateway API release, v1.6.3 or v1.7.0 (default: "+cluster.DefaultGatewayAPIVersion()+", the newest whose XBackend xbcheck speaks; fetched through the Go module proxy once and cached)")
	if p := f.Lookup("provider"); p != nil {
		p.Usage += "; or kind (a kind cluster on Docker or Podman that xbcheck creates, or reuses with --kind-cluster, with --install-cmd installing the implementation)"
	}
}

// checkKindFlags says, as a usage error of one line, what is wrong with
// the kind flags and --gateway-api-version given, or nil.
func checkKindFlags(ctx context.Context, flags *pflag.FlagSet, o runner.Options) error {
	if err := kindFlagsError(ctx, flags, o); err != nil {
		return runner.UsageError{Err: err}
	}
	return nil
}

func kindFlagsError(ctx context.Context, flags *pflag.FlagSet, o runner.Options) error {
	if o.Provider != "kind" {
		for _, name := range kindOnlyFlags() {
			if flags.Changed(name) {
				return fmt.Errorf("--%s works with --provider kind only; add --provider kind, or leave it out", name)
			}
		}
	}
	if flags.Changed("install-cmd") && strings.TrimSpace(o.Kind.InstallCmd) == "" {
		return fmt.Errorf("--install-cmd is empty (an unset variable?): give the command that installs the implementation, or leave the flag out")
	}
	if k := o.Kind; k.ConfigFile != "" {
		if info, err := os.Stat(k.ConfigFile); err != nil || info.IsDir() {
			return fmt.Errorf("--kind-config %s is not a readable file; give a kind Cluster configuration (kind.x-k8s.io/v1alpha4)", k.ConfigFile)
		}
	}
	if o.GatewayAPIVersion != "" {
		if err := cluster.CheckGatewayAPIVersion(o.GatewayAPIVersion); err != nil {
			return err
		}
		if o.CRDDir != "" {
			return fmt.Errorf("--crds and --gateway-api-version both choose the CRDs: give one of them")
		}
		// The release is looked up now, --dry-run too: a run must not
		// start a cluster for CRDs that do not exist.
		if err := cluster.CheckGatewayAPIRelease(ctx, o.GatewayAPIVersion); err != nil {
			return err
		}
	}
	return nil
}
