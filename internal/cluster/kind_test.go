package cluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/crds"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/kind/kindtest"
)

// TestKindProviderOnAFakeRuntime runs the kind provider as --provider kind
// does, with kind replaced by an envtest API server: the CRDs installed on
// a cluster it created, xbcheck's image loaded, the install command run
// with KUBECONFIG, the cluster deleted; then a reused cluster whose CRDs
// are used as they are, and refused when another release is asked for.
func TestKindProviderOnAFakeRuntime(t *testing.T) {
	ctx := context.Background()
	set, pinnedCRDs := pinned(t)
	// The API server starts with no Gateway API CRDs, as kind does.
	api, err := StartEnvtest(ctx, EnvtestOptions{Binaries: set, CRDs: &crds.Bundle{}})
	if err != nil {
		t.Fatal(err)
	}
	defer api.Stop()
	// Every "kind cluster" is that one API server.
	kubeconfig, err := os.ReadFile(api.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	rt := kindtest.New(string(kubeconfig))
	rt.RequireTarballs = true
	cs, err := apiextensionsclient.NewForConfig(api.Config)
	if err != nil {
		t.Fatal(err)
	}
	logDir := t.TempDir()
	seen := filepath.Join(t.TempDir(), "seen")
	newProvider := func(opts ...func(*ProviderOptions)) *kindProvider {
		o := ProviderOptions{Name: "kind", LogDir: logDir}
		for _, f := range opts {
			f(&o)
		}
		p, err := NewProvider(o)
		if err != nil {
			t.Fatal(err)
		}
		kp := p.(*kindProvider)
		kp.runtime, kp.executable = rt, "/bin/true"
		return kp
	}

	t.Run("created", func(t *testing.T) {
		p := newProvider(func(o *ProviderOptions) {
			o.Kind.InstallCmd = `kubeconfig="$KUBECONFIG"; test -s "$kubeconfig" && echo installed > ` + seen
		})
		if sb := p.Sandbox(ctx, "auto"); sb != nil {
			t.Errorf("kind wants no sandbox, got %+v", sb)
		}
		var progress strings.Builder
		c, err := p.Start(ctx, &progress)
		if err != nil {
			t.Fatal(err)
		}
		if c.Provider != "kind" || !c.Created || !c.ClusterWide || c.Kind == nil || c.Kind.Kept {
			t.Fatalf("cluster %+v: want kind, created, cluster-wide", c)
		}
		if c.ServerVersion != binaries.KubernetesVersion || c.Bundle.Channel != "experimental" {
			t.Errorf("server %s, CRDs %s %s", c.ServerVersion, c.Bundle.BundleVersion, c.Bundle.Channel)
		}
		if !strings.HasPrefix(c.Image, "xbcheck.local/xbcheck:") || !slices.ContainsFunc(rt.Images(c.Kind.Name), func(s string) bool { return strings.HasPrefix(s, "xbcheck-") }) {
			t.Errorf("image %q, loaded %v: want xbcheck's image in the nodes", c.Image, rt.Images(c.Kind.Name))
		}
		if b, err := os.ReadFile(seen); err != nil || string(b) != "installed\n" {
			t.Errorf("the install command did not see the kubeconfig: %q %v", b, err)
		}
		if _, err := os.Stat(filepath.Join(logDir, "install.log")); err != nil {
			t.Errorf("install.log is not in the report folder: %v", err)
		}
		if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crds.XBackendCRD, metav1.GetOptions{}); err != nil {
			t.Errorf("the XBackend CRD was not installed: %v", err)
		}
		name := c.Kind.Name
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		if rt.Has(name) || !slices.Contains(rt.Deleted(), name) {
			t.Errorf("the created cluster %s was not deleted", name)
		}
	})

	t.Run("created and kept", func(t *testing.T) {
		c, err := newProvider(func(o *ProviderOptions) { o.Keep = true }).Start(ctx, os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		name := c.Kind.Name
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		if !rt.Has(name) || !c.Kind.Kept {
			t.Errorf("--keep-cluster: the created cluster %s was deleted (kept %v)", name, c.Kind.Kept)
		}
		if _, err := os.Stat(c.Kubeconfig); err != nil {
			t.Errorf("the kept cluster's kubeconfig is gone: %v", err)
		}
		rt.Forget(name)
		os.RemoveAll(filepath.Dir(c.Kubeconfig))
	})

	rt.Add("ci")
	reuseCI := func(o *ProviderOptions) { o.Kind.Cluster = "ci" }
	t.Run("reused with its CRDs", func(t *testing.T) {
		keep := func(o *ProviderOptions) { o.Keep = true }
		c, err := newProvider(keep, reuseCI).Start(ctx, os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		if c.Created || c.ClusterWide || c.Kind.Kept {
			t.Errorf("a reused cluster: Created %v ClusterWide %v Kept %v, want none", c.Created, c.ClusterWide, c.Kind.Kept)
		}
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		if !rt.Has("ci") {
			t.Error("the reused cluster was deleted")
		}
	})

	t.Run("reused with another release", func(t *testing.T) {
		crd, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crds.XBackendCRD, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		crd.Annotations[gatewayapi.BundleVersionAnnotation] = "v1.0.0"
		if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Update(ctx, crd, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		crdDir := func(o *ProviderOptions) { o.CRDDir = pinnedCRDs.Dir } // asked for explicitly, as --crds does
		_, err = newProvider(reuseCI, crdDir).Start(ctx, os.Stderr)
		var bad BadInput
		if !errors.As(err, &bad) || !strings.Contains(err.Error(), "--allow-cluster-changes") {
			t.Fatalf("want bad input naming --allow-cluster-changes, got %v", err)
		}
		allow := func(o *ProviderOptions) { o.AllowClusterChanges = true }
		c, err := newProvider(reuseCI, crdDir, allow).Start(ctx, os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Stop()
		if !c.ClusterWide || c.Created {
			t.Errorf("--allow-cluster-changes: ClusterWide %v Created %v, want true, false", c.ClusterWide, c.Created)
		}
		crd, err = cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crds.XBackendCRD, metav1.GetOptions{})
		if err != nil || crd.Annotations[gatewayapi.BundleVersionAnnotation] != c.Bundle.BundleVersion {
			t.Errorf("the CRDs were not replaced: %v %v", crd.Annotations, err)
		}
	})
	if !rt.Has("ci") {
		t.Error("the reused cluster was deleted")
	}
}

func TestKindProviderBadInput(t *testing.T) {
	p, err := NewProvider(ProviderOptions{Name: "kind", Kind: KindOptions{ConfigFile: filepath.Join(t.TempDir(), "missing.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Prepare(context.Background(), nil)
	var bad BadInput
	if !errors.As(err, &bad) || !strings.Contains(err.Error(), "--kind-config") {
		t.Errorf("a missing --kind-config: %v, want bad input naming it", err)
	}
	if !slices.Contains(Names(), "kind") {
		t.Errorf("Names %v lacks kind", Names())
	}
}

func TestLoadRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: fetches Gateway API releases through the Go module proxy")
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ctx := context.Background()
	path := os.Getenv("PATH")
	// v1.7.0 needs a newer Go than 1.26 to build, not to read its CRDs.
	for _, v := range []string{"v1.6.3", "v1.7.0"} {
		b, err := LoadCRDs(ctx, "", v)
		if err != nil && strings.Contains(err.Error(), "serves a schema xbcheck does not speak") {
			// Fetched and read; the fixtures do not know this release's
			// XBackend yet (internal/gatewayapi).
			t.Logf("%s: %v", v, err)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if b.BundleVersion != v || b.Channel != "experimental" {
			t.Errorf("%s: bundle %s %s", v, b.BundleVersion, b.Channel)
		}
		// The second time it comes from the cache, with no go command.
		t.Setenv("PATH", t.TempDir())
		if _, err := LoadCRDs(ctx, "", v); err != nil {
			t.Errorf("%s from the cache: %v", v, err)
		}
		t.Setenv("PATH", path)
	}
	for _, v := range []string{"1.6.3", "main", "v1.6"} {
		var bad BadInput
		if _, err := LoadCRDs(ctx, "", v); !errors.As(err, &bad) {
			t.Errorf("%q: %v, want bad input", v, err)
		}
	}
}
