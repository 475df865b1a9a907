package cluster

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/crds"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// envtestProvider is the embedded control plane: kube-apiserver and etcd
// only, no node; the implementation under test runs beside xbcheck.
type envtestProvider struct {
	crds crdSource
	// binaries is ProviderOptions.Binaries.
	binaries binaries.Mode
	set      binaries.Set
	bundle   *crds.Bundle
}

func (p *envtestProvider) Name() string { return "envtest" }

func (p *envtestProvider) Prepare(ctx context.Context, progress io.Writer) error {
	bundle, err := p.crds.load(ctx)
	if err != nil {
		return err
	}
	set, err := binaries.Ensure(ctx, binaries.Options{Progress: progress, Mode: p.binaries})
	if err != nil {
		return err
	}
	p.bundle, p.set = bundle, set
	return nil
}

func (p *envtestProvider) Sandbox(_ context.Context, mode sandbox.Mode) *sandbox.Options {
	return &sandbox.Options{Mode: mode}
}

func (p *envtestProvider) Start(ctx context.Context, progress io.Writer) (*Cluster, error) {
	if p.bundle == nil {
		// A run prepared the provider before its sandbox (runner.Prepare)
		// and said where the binaries came from; finding them again here
		// says nothing more.
		if err := p.Prepare(ctx, io.Discard); err != nil {
			return nil, err
		}
	}
	started := time.Now()
	c, err := StartEnvtest(ctx, EnvtestOptions{Binaries: p.set, CRDs: p.bundle})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "embedded control plane up in %s\n", time.Since(started).Round(10*time.Millisecond))
	return c, nil
}

// existing is a cluster someone else runs, named by a kubeconfig; xbcheck
// changes it as a whole only when allowChanges.
type existing struct {
	kubeconfig   string
	allowChanges bool
}

func (existing) Name() string { return "existing" }

func (existing) Prepare(context.Context, io.Writer) error { return nil }

func (existing) Sandbox(context.Context, sandbox.Mode) *sandbox.Options { return nil }

// Start reaches the cluster; anything wrong there (an unreadable
// kubeconfig, an unreachable server, no XBackend CRD) is the user's to fix.
func (e existing) Start(ctx context.Context, _ io.Writer) (*Cluster, error) {
	c, err := Connect(ctx, e.kubeconfig)
	if err != nil {
		return nil, BadInput{err}
	}
	c.ClusterWide = e.allowChanges
	return c, nil
}
