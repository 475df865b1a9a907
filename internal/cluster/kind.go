package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/xbcheck/xbcheck/internal/crds"
	"github.com/xbcheck/xbcheck/internal/kind"
	"github.com/xbcheck/xbcheck/internal/node"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// KindOptions are the flags of --provider kind.
type KindOptions struct {
	// Cluster is --kind-cluster: reuse this kind cluster, or create it
	// under this name when it does not exist; empty creates
	// xbcheck-<random>.
	Cluster string
	// NodeImage is --kind-node-image, ConfigFile --kind-config: the node
	// image and the kind Cluster configuration of a cluster xbcheck
	// creates (default: kind's).
	NodeImage, ConfigFile string
	// InstallCmd is --install-cmd: run by /bin/sh -c with KUBECONFIG set
	// once the cluster is up, to install the implementation under test.
	InstallCmd string
}

// kindProvider is a kind cluster, created or reused, with xbcheck's own
// image loaded into its nodes and the implementation installed by the
// user's command.
type kindProvider struct {
	crds   crdSource
	logDir string
	// opts are ProviderOptions.Kind.
	opts KindOptions
	// keep and allowChanges are ProviderOptions.Keep and
	// AllowClusterChanges.
	keep, allowChanges bool
	bundle             *crds.Bundle
	config             []byte
	// runtime is kind; tests set a fake.
	runtime kind.Runtime
	// executable is what becomes xbcheck's image (default: this program).
	executable string
}

func (p *kindProvider) Name() string { return "kind" }

// Prepare checks that --kind-config can be read and that Docker or Podman
// answers, and loads the CRDs.
func (p *kindProvider) Prepare(ctx context.Context, progress io.Writer) error {
	if o := p.opts; o.ConfigFile != "" {
		b, err := os.ReadFile(o.ConfigFile)
		if err != nil {
			return BadInput{fmt.Errorf("--kind-config: %v; give a readable kind Cluster configuration (kind.x-k8s.io/v1alpha4)", err)}
		}
		p.config = b
	}
	if p.runtime == nil {
		rt, err := kind.NewRuntime(progress)
		if err != nil {
			return BadInput{err}
		}
		p.runtime = rt
	}
	bundle, err := p.crds.load(ctx)
	if err != nil {
		return err
	}
	p.bundle = bundle
	return nil
}

// Sandbox is none: kind's nodes are containers of the host's Docker or
// Podman, and the API server is published on the host's loopback.
func (p *kindProvider) Sandbox(context.Context, sandbox.Mode) *sandbox.Options { return nil }

// Start creates or reuses the cluster, installs the Gateway API CRDs,
// loads xbcheck's image into the nodes and runs --install-cmd.
func (p *kindProvider) Start(ctx context.Context, progress io.Writer) (*Cluster, error) {
	if p.bundle == nil {
		if err := p.Prepare(ctx, progress); err != nil {
			return nil, err
		}
	}
	o := p.opts
	exe := p.executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find xbcheck's executable for its image: %w", err)
		}
	}
	imageDir, err := os.MkdirTemp("", "xbcheck-image-")
	if err != nil {
		return nil, err
	}
	// xbcheck's image is written while kind creates the cluster; its
	// folder goes once the writing is over, however the start ends.
	type written struct {
		img node.Image
		err error
	}
	image := make(chan written, 1)
	go func() {
		img, err := node.ExecutableImage(exe, "xbcheck", imageDir)
		image <- written{img, err}
	}()
	received := false
	defer func() {
		if !received {
			<-image
		}
		os.RemoveAll(imageDir)
	}()
	var img node.Image
	bundle := p.bundle
	kc, err := kind.Start(ctx, kind.Options{
		Runtime:    p.runtime,
		Name:       o.Cluster,
		Config:     p.config,
		NodeImage:  o.NodeImage,
		Keep:       p.keep,
		InstallCmd: o.InstallCmd,
		LogDir:     p.logDir,
		Progress:   progress,
		Setup: func(ctx context.Context, kc *kind.Cluster) error {
			b, err := ensureCRDs(ctx, kc.Config, p.bundle, kc.Created, p.allowChanges, p.crds.explicit())
			if err != nil {
				return fmt.Errorf("kind cluster %s: %w", kc.Name, err)
			}
			bundle = b
			w := <-image
			received = true
			if w.err != nil {
				return fmt.Errorf("write xbcheck's image: %w", w.err)
			}
			img = w.img
			return kc.LoadImages(ctx, img.Path)
		},
	})
	if err != nil {
		if errors.Is(err, errCRDs) {
			return nil, BadInput{err}
		}
		return nil, err
	}
	c := &Cluster{
		Provider:    "kind",
		Config:      kc.Config,
		Kubeconfig:  kc.Kubeconfig,
		Bundle:      bundle,
		Created:     kc.Created,
		ClusterWide: kc.Created || p.allowChanges,
		Image:       img.Ref,
		Kind:        kc,
		stop:        kc.Stop,
	}
	if c.ServerVersion, err = serverVersion(kc.Config); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	how := "reused"
	if kc.Created {
		how = fmt.Sprintf("created in %s", kc.CreateTime.Round(1e8))
	}
	fmt.Fprintf(progress, "kind cluster %s on %s %s; image %s loaded in %s\n", kc.Name, kc.Runtime, how, img.Ref, kc.LoadTime.Round(1e7))
	return c, nil
}

// errCRDs marks a reused cluster whose Gateway API CRDs xbcheck may not
// replace: bad input.
var errCRDs = errors.New("its Gateway API CRDs")

// ensureCRDs installs the bundle's CRDs on a cluster xbcheck created and
// waits until they are established. A reused cluster keeps its own: one
// serving an established XBackend CRD is used as it is (unless another
// release was asked for, with --gateway-api-version or --crds), one
// without any of the bundle's CRDs gets them, and one with other Gateway
// API CRDs is refused unless allow: they are the implementation's, and
// replacing them changes the cluster for everyone.
func ensureCRDs(ctx context.Context, cfg *rest.Config, bundle *crds.Bundle, created, allow, explicit bool) (*crds.Bundle, error) {
	if !created {
		installed, err := installedBundle(ctx, cfg)
		if err == nil && (!explicit || installed.BundleVersion == bundle.BundleVersion && installed.Channel == bundle.Channel) {
			return installed, nil
		}
		cs, err := apiextensionsclient.NewForConfig(cfg)
		if err != nil {
			return nil, err
		}
		var present []string
		for _, crd := range bundle.CRDs {
			_, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
			switch {
			case err == nil:
				present = append(present, crd.Name)
			case !apierrors.IsNotFound(err):
				return nil, fmt.Errorf("read CRD %s: %w", crd.Name, err)
			}
		}
		if len(present) > 0 && !allow {
			return nil, fmt.Errorf("%w (%s, ...) are not the %s CRDs of Gateway API %s: install those, or give --allow-cluster-changes to let xbcheck replace them", errCRDs, strings.Join(present[:min(2, len(present))], ", "), bundle.Channel, bundle.BundleVersion)
		}
	}
	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{CRDs: bundle.CRDs}); err != nil {
		return nil, fmt.Errorf("install the Gateway API CRDs: %w", err)
	}
	return bundle, nil
}
