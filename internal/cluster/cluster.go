package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/crds"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/kind"
	"github.com/xbcheck/xbcheck/internal/node"
)

// Cluster is a reachable control plane with the XBackend CRD installed.
type Cluster struct {
	// Provider is "envtest" or "existing".
	Provider string
	Config   *rest.Config
	// Kubeconfig is the path of a kubeconfig file for child processes.
	Kubeconfig string
	// ServerVersion is what the API server reports, e.g. "v1.37.2".
	ServerVersion string
	// Bundle describes the Gateway API CRDs the cluster serves: their
	// release, channel and XBackend schema (no CRD files for an existing
	// cluster: they were installed by someone else).
	Bundle *crds.Bundle
	// Node is the node xbcheck started (provider node), else nil.
	Node *node.Cluster
	// Created is true when xbcheck created the cluster for the run
	// (envtest, node, or a kind cluster it created), false when it uses
	// one that was there before (--kubeconfig, a reused kind cluster).
	Created bool
	// ClusterWide is true when xbcheck may change the cluster as a whole
	// (its CoreDNS configuration, Services with externalIPs, the Gateway
	// API CRDs): it created it, or --allow-cluster-changes says so.
	ClusterWide bool
	// Image is xbcheck's own image, loaded into the nodes for pods
	// (imagePullPolicy Never), or "" when the provider loaded none.
	Image string
	// Kind is the kind cluster (provider kind), else nil.
	Kind *kind.Cluster

	stop func() error
}

// Stop releases what the provider started: for envtest the API server,
// etcd and their folders. It is safe to call more than once.
func (c *Cluster) Stop() error {
	if c == nil || c.stop == nil {
		return nil
	}
	stop := c.stop
	c.stop = nil
	return stop()
}

// reachTimeout bounds how long xbcheck waits for a cluster to answer before
// telling the user it is unreachable.
const reachTimeout = 5 * time.Second

// EnvtestOptions configures the embedded control plane.
type EnvtestOptions struct {
	Binaries binaries.Set
	CRDs     *crds.Bundle
	// StartTimeout bounds the start of each process; default 60s.
	StartTimeout time.Duration
}

// StartEnvtest starts kube-apiserver and etcd, installs the CRDs, waits
// until they are established and writes a kubeconfig file.
func StartEnvtest(ctx context.Context, opts EnvtestOptions) (*Cluster, error) {
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    opts.Binaries.Dir,
		CRDInstallOptions:        envtest.CRDInstallOptions{CRDs: opts.CRDs.CRDs},
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: opts.StartTimeout,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	// Without an advertised address the API server looks for a default
	// route, and the network sandbox has none; a loopback address is only
	// accepted when no kubernetes Service endpoints are reconciled.
	apiServer := env.ControlPlane.GetAPIServer().Configure()
	apiServer.Set("advertise-address", "127.0.0.1")
	apiServer.Set("endpoint-reconciler-type", "none")
	cfg, err := env.Start()
	if err != nil {
		// A half-started control plane is stopped, so nothing is left running.
		_ = env.Stop()
		return nil, fmt.Errorf("start the embedded API server: %w", err)
	}
	dir, err := os.MkdirTemp("", "xbcheck-kubeconfig-")
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	stop := func() error {
		return errors.Join(env.Stop(), os.RemoveAll(dir))
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, env.KubeConfig, 0o600); err != nil {
		return nil, errors.Join(err, stop())
	}
	c := &Cluster{Provider: "envtest", Config: cfg, Kubeconfig: path, Bundle: opts.CRDs, Created: true, ClusterWide: true, stop: stop}
	if c.ServerVersion, err = serverVersion(cfg); err != nil {
		return nil, errors.Join(err, stop())
	}
	if ctx.Err() != nil {
		return nil, errors.Join(ctx.Err(), stop())
	}
	return c, nil
}

// Connect uses an existing cluster: it checks that the kubeconfig can be
// read, the API server answers within a few seconds, and the XBackend CRD
// is installed and established.
func Connect(ctx context.Context, kubeconfig string) (*Cluster, error) {
	if _, err := os.Stat(kubeconfig); err != nil {
		return nil, fmt.Errorf("cannot read --kubeconfig %s: %w; give the path of a readable kubeconfig file", kubeconfig, errors.Unwrap(err))
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("--kubeconfig %s is not a usable kubeconfig: %v", kubeconfig, err)
	}
	cfg.Timeout = reachTimeout
	version, err := serverVersion(cfg)
	if err != nil {
		return nil, err
	}
	bundle, err := installedBundle(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Cluster{Provider: "existing", Config: cfg, Kubeconfig: kubeconfig, ServerVersion: version, Bundle: bundle}, nil
}

func serverVersion(cfg *rest.Config) (string, error) {
	short := rest.CopyConfig(cfg)
	short.Timeout = reachTimeout
	dc, err := discovery.NewDiscoveryClientForConfig(short)
	if err != nil {
		return "", fmt.Errorf("API server client: %w", err)
	}
	v, err := dc.ServerVersion()
	if err != nil {
		return "", fmt.Errorf("API server %s unreachable: %v; check that the cluster is running and the kubeconfig points at it", cfg.Host, err)
	}
	return v.GitVersion, nil
}

// installedBundle checks the cluster serves an established XBackend CRD
// and describes it: release, channel and schema.
func installedBundle(ctx context.Context, cfg *rest.Config) (*crds.Bundle, error) {
	cs, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	crd, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crds.XBackendCRD, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("the cluster at %s has no XBackend CRD (%s); install Gateway API's experimental CRDs first", cfg.Host, crds.XBackendCRD)
	}
	if err != nil {
		return nil, fmt.Errorf("read the XBackend CRD from %s: %v", cfg.Host, err)
	}
	established := false
	for _, c := range crd.Status.Conditions {
		established = established || c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue
	}
	if !established {
		return nil, fmt.Errorf("the XBackend CRD in %s is not established yet; wait for it or reinstall it", cfg.Host)
	}
	schema, err := gatewayapi.SchemaOf(crd)
	if err != nil {
		return nil, err
	}
	return &crds.Bundle{
		BundleVersion: crd.Annotations[gatewayapi.BundleVersionAnnotation],
		Channel:       crd.Annotations[crds.ChannelAnnotation],
		Schema:        schema,
	}, nil
}
