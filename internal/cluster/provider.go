package cluster

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/crds"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// Provider brings up, or reaches, the cluster a run tests against. A run
// calls Prepare first, with the network (it may build for minutes, once),
// then enters the sandbox Sandbox names, then calls Start inside it.
type Provider interface {
	// Name is what --provider calls it: envtest, node, kind or existing.
	Name() string
	// Prepare fetches or builds what Start needs: the sandbox has no way
	// out. Progress receives a line per long step.
	Prepare(ctx context.Context, progress io.Writer) error
	// Sandbox is the sandbox Start must run in, with mode applied, or nil
	// when the cluster is reached where xbcheck runs.
	Sandbox(ctx context.Context, mode sandbox.Mode) *sandbox.Options
	// Start brings the cluster up with the Gateway API CRDs installed, or
	// connects to it and checks they are.
	Start(ctx context.Context, progress io.Writer) (*Cluster, error)
}

// Names lists the providers --provider accepts.
func Names() []string { return []string{"envtest", "node", "kind"} }

// ProviderOptions choose and configure a provider.
type ProviderOptions struct {
	// Name is --provider: "envtest" (default), "node" or "kind".
	Name string
	// Kubeconfig reaches an existing cluster instead (provider "existing").
	Kubeconfig string
	// CRDDir is --crds: a folder of CRDs installed instead of a Gateway
	// API release's.
	CRDDir string
	// GatewayAPIVersion is --gateway-api-version: the Gateway API release
	// whose experimental CRDs are installed when CRDDir is empty; empty
	// is DefaultGatewayAPIVersion.
	GatewayAPIVersion string
	// LogDir, when set, receives the node's daemons' logs.
	LogDir string
	// Keep is --keep-cluster for a kind cluster xbcheck creates: it stays
	// after the run (a node, which cannot outlive xbcheck, is held by the
	// runner until Ctrl-C instead).
	Keep bool
	// AllowClusterChanges is --allow-cluster-changes: xbcheck may change a
	// cluster it did not create (--kubeconfig, a reused kind cluster) as
	// a whole, as it may one it created: CoreDNS's configuration, Services
	// with externalIPs, a reused kind cluster's Gateway API CRDs.
	AllowClusterChanges bool
	// Kind are the flags of --provider kind; other providers ignore them.
	Kind KindOptions
	// Binaries is --binaries: where the binaries of envtest and node that
	// the cache lacks come from; empty is binaries.ModeAuto.
	Binaries binaries.Mode
}

// NewProvider returns the provider the options name. The error is bad
// input, one line saying what to give.
func NewProvider(o ProviderOptions) (Provider, error) {
	if o.Kubeconfig != "" {
		if o.Name != "" && o.Name != "existing" {
			return nil, fmt.Errorf("--provider %s and --kubeconfig both name a cluster: give one of them", o.Name)
		}
		return existing{kubeconfig: o.Kubeconfig, allowChanges: o.AllowClusterChanges}, nil
	}
	src := crdSource{dir: o.CRDDir, version: o.GatewayAPIVersion}
	switch o.Name {
	case "", "envtest":
		return &envtestProvider{crds: src, binaries: o.Binaries}, nil
	case "node":
		return &nodeProvider{crds: src, binaries: o.Binaries, logDir: o.LogDir}, nil
	case "kind":
		return &kindProvider{crds: src, logDir: o.LogDir, opts: o.Kind, keep: o.Keep, allowChanges: o.AllowClusterChanges}, nil
	}
	return nil, fmt.Errorf("--provider %q: use one of %s, or --kubeconfig for an existing cluster", o.Name, strings.Join(Names(), ", "))
}

// DefaultGatewayAPIVersion is the release whose experimental CRDs a
// provider installs when neither --crds nor --gateway-api-version says:
// the newest whose XBackend xbcheck speaks.
func DefaultGatewayAPIVersion() string { return gatewayapi.Newest().Version }

// LoadCRDs loads the CRDs of dir (the user's --crds: its errors are bad
// input), or else of Gateway API release version (--gateway-api-version),
// or else of DefaultGatewayAPIVersion. A release is fetched through the Go
// module proxy once and cached: call it before entering the network
// sandbox.
func LoadCRDs(ctx context.Context, dir, version string) (*crds.Bundle, error) {
	if dir != "" {
		b, err := crds.Load(dir)
		if err != nil {
			return nil, BadInput{err}
		}
		return b, nil
	}
	if version == "" {
		version = DefaultGatewayAPIVersion()
	}
	return loadRelease(ctx, version)
}

// crdSource is where a provider's CRDs come from: ProviderOptions.CRDDir
// and GatewayAPIVersion.
type crdSource struct{ dir, version string }

func (s crdSource) load(ctx context.Context) (*crds.Bundle, error) {
	return LoadCRDs(ctx, s.dir, s.version)
}

// explicit tells whether the user chose the CRDs (--crds or
// --gateway-api-version) rather than taking the default release.
func (s crdSource) explicit() bool { return s.dir != "" || s.version != "" }
