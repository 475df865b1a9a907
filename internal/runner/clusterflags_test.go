package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/cluster"
)

// TestValidateClusterFlags: --keep-cluster keeps a cluster xbcheck starts
// (a node, a kind cluster), --allow-cluster-changes is for one it did not
// create (--kubeconfig, a reused kind cluster); anything else is a
// one-line usage error naming the flag to add.
func TestValidateClusterFlags(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ok := range []Options{
		{Provider: "node", KeepCluster: true},
		{Provider: "kind", KeepCluster: true},
		{Provider: "kind", AllowClusterChanges: true},
		{Kubeconfig: kubeconfig, AllowClusterChanges: true},
	} {
		if err := Validate(ok); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{KeepCluster: true}, "give --provider node or kind too"},
		{Options{Kubeconfig: "kubeconfig", KeepCluster: true}, "give --provider node or kind too"},
		{Options{AllowClusterChanges: true}, "give --kubeconfig"},
		{Options{Provider: "node", AllowClusterChanges: true}, "give --kubeconfig"},
	} {
		err := Validate(c.opts)
		var usage UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: %v, want a one-line usage error saying %q", c.opts, err, c.want)
		}
	}
}

// TestFakesInAClusterOfOthersNeedAllowClusterChanges: on a cluster xbcheck
// did not create, the fakes (a stub zone in CoreDNS, Services with
// externalIPs) are refused before anything is changed, in one line naming
// --allow-cluster-changes.
func TestFakesInAClusterOfOthersNeedAllowClusterChanges(t *testing.T) {
	c := &cluster.Cluster{Provider: "existing"} // no Config: nothing may be reached
	err := (&environment{}).deployFakes(context.Background(), c, "run", Options{FakesImage: "example.com/xbcheck:1"})
	var usage UsageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "give --allow-cluster-changes") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("fakes on an existing cluster without --allow-cluster-changes: %v; want a one-line usage error naming it", err)
	}
}
