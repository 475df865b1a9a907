package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/crds"
	"github.com/xbcheck/xbcheck/internal/node"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// nodeProvider is a real single-node cluster xbcheck builds and starts in
// its own sandbox (internal/node): pods, kube-proxy, CoreDNS.
type nodeProvider struct {
	crds crdSource
	// binaries is ProviderOptions.Binaries.
	binaries binaries.Mode
	logDir   string
	assets   node.Assets
	bundle   *crds.Bundle
}

func (p *nodeProvider) Name() string { return "node" }

// Prepare checks the host can run a node (real root, the kernel's
// features, iptables) and builds what it needs.
func (p *nodeProvider) Prepare(ctx context.Context, progress io.Writer) error {
	if err := node.Check(); err != nil {
		return BadInput{err}
	}
	bundle, err := p.crds.load(ctx)
	if err != nil {
		return err
	}
	assets, err := node.Prepare(ctx, progress, p.binaries)
	if err != nil {
		return err
	}
	p.bundle, p.assets = bundle, assets
	return nil
}

// Sandbox is the node variant, whatever the mode: a node cannot run
// outside its namespaces.
func (p *nodeProvider) Sandbox(ctx context.Context, _ sandbox.Mode) *sandbox.Options {
	o := node.SandboxOptions(ctx)
	o.Mode = sandbox.ModeRequire
	return &o
}

func (p *nodeProvider) Start(ctx context.Context, progress io.Writer) (*Cluster, error) {
	if p.bundle == nil {
		if err := p.Prepare(ctx, progress); err != nil {
			return nil, err
		}
	}
	imageDir, err := os.MkdirTemp("", "xbcheck-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(imageDir)
	img, err := xbcheckImage(imageDir)
	if err != nil {
		return nil, err
	}
	n, err := node.Start(ctx, node.Options{Assets: p.assets, Images: []node.Image{img}, LogDir: p.logDir, Progress: progress})
	if err != nil {
		return nil, err
	}
	c := &Cluster{Provider: "node", Config: n.Config, Kubeconfig: n.Kubeconfig, Bundle: p.bundle, Node: n, Created: true, ClusterWide: true, Image: img.Ref, stop: n.Stop}
	if _, err := envtest.InstallCRDs(n.Config, envtest.CRDInstallOptions{CRDs: p.bundle.CRDs}); err != nil {
		return nil, errors.Join(fmt.Errorf("install the Gateway API CRDs on the node: %w", err), c.Stop())
	}
	if c.ServerVersion, err = serverVersion(n.Config); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	fmt.Fprintf(progress, "node %s Ready at %s, CoreDNS answering (started in %s)\n", n.NodeName, n.NodeIP, n.StartTime.Round(1e8))
	return c, nil
}

// BadInput is a provider error the user can fix: the CLI exits 2 on it.
type BadInput struct{ Err error }

func (e BadInput) Error() string { return e.Err.Error() }
func (e BadInput) Unwrap() error { return e.Err }

// xbcheckImage writes the image of the running executable into dir, for
// the pods xbcheck runs in the cluster: its fakes, the reference gateway.
func xbcheckImage(dir string) (node.Image, error) {
	exe, err := os.Executable()
	if err != nil {
		return node.Image{}, fmt.Errorf("find xbcheck's executable for its image: %w", err)
	}
	img, err := node.ExecutableImage(exe, "xbcheck", dir)
	if err != nil {
		return node.Image{}, fmt.Errorf("write xbcheck's image: %w", err)
	}
	return img, nil
}
