package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/crds"
	"github.com/xbcheck/xbcheck/internal/kind/kindtest"
)

// pinned ensures the pinned control-plane binaries (building them on
// first use) and loads the CRDs of the pinned gateway-api module.
func pinned(tb testing.TB) (binaries.Set, *crds.Bundle) {
	tb.Helper()
	ctx := context.Background()
	set, err := binaries.Ensure(ctx, binaries.Options{Progress: os.Stderr})
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := crds.ModuleDir(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	bundle, err := crds.Load(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return set, bundle
}

// TestEnvtestLifecycle starts the embedded control plane from the pinned
// binaries (building them on first use), uses it through the kubeconfig it
// wrote, and checks that Stop leaves nothing behind.
func TestEnvtestLifecycle(t *testing.T) {
	ctx := context.Background()
	set, bundle := pinned(t)
	c, err := StartEnvtest(ctx, EnvtestOptions{Binaries: set, CRDs: bundle})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if c.ServerVersion != binaries.KubernetesVersion {
		t.Errorf("API server reports %s, want %s", c.ServerVersion, binaries.KubernetesVersion)
	}
	// A second client through the kubeconfig file sees the established CRD.
	if _, err := Connect(ctx, c.Kubeconfig); err != nil {
		t.Fatalf("connect through the written kubeconfig: %v", err)
	}
	// As --kubeconfig: a cluster xbcheck did not create, changed as a
	// whole only with --allow-cluster-changes.
	for _, allow := range []bool{false, true} {
		p, err := NewProvider(ProviderOptions{Kubeconfig: c.Kubeconfig, AllowClusterChanges: allow})
		if err != nil {
			t.Fatal(err)
		}
		e, err := p.Start(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if e.Provider != "existing" || e.Created || e.ClusterWide != allow {
			t.Errorf("--kubeconfig, --allow-cluster-changes=%v: provider %s, created %v, cluster-wide %v; want existing, false, %v", allow, e.Provider, e.Created, e.ClusterWide, allow)
		}
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(c.Kubeconfig)); !os.IsNotExist(err) {
		t.Errorf("kubeconfig folder %s left behind after Stop", filepath.Dir(c.Kubeconfig))
	}
	if _, err := serverVersion(c.Config); err == nil {
		t.Error("the API server still answers after Stop")
	}
}

func TestConnectErrorsSayWhatToDo(t *testing.T) {
	ctx := context.Background()
	_, err := Connect(ctx, filepath.Join(t.TempDir(), "missing"))
	if err == nil || !strings.Contains(err.Error(), "cannot read --kubeconfig") {
		t.Fatalf("missing file: got %v", err)
	}
	bad := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(bad, []byte(kindtest.UnreachableKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Connect(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("unreachable server: got %v", err)
	}
}
