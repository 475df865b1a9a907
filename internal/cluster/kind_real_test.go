package cluster

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/xbcheck/xbcheck/internal/kind/kindtest"
)

// TestRealKindProvider runs --provider kind for real: a kind cluster
// created, the Gateway API CRDs installed, xbcheck's image (this test
// binary) loaded into the node, an install command run, the cluster
// deleted, no container left. It runs only when XBCHECK_KIND_REAL=1 (it
// needs Docker or Podman able to run kind's node image);
// XBCHECK_KIND_NODE_IMAGE and XBCHECK_KIND_CONFIG choose the node image
// and the kind configuration. It logs the times.
func TestRealKindProvider(t *testing.T) {
	env := kindtest.RequireReal(t)
	p, err := NewProvider(ProviderOptions{Name: "kind", LogDir: t.TempDir(), Kind: KindOptions{
		NodeImage:  env.NodeImage,
		ConfigFile: env.ConfigFile,
		InstallCmd: `test -s "$KUBECONFIG" && echo installed`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	begin := time.Now()
	if err := p.Prepare(ctx, os.Stderr); err != nil {
		t.Fatal(err)
	}
	prepared := time.Since(begin)
	c, err := p.Start(ctx, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	started := time.Since(begin) - prepared
	k := c.Kind
	if !c.Created || !c.ClusterWide || c.Bundle.Channel != "experimental" || !strings.HasPrefix(c.Image, "xbcheck.local/xbcheck:") {
		t.Errorf("cluster: created %v, cluster-wide %v, CRDs %s %s, image %q", c.Created, c.ClusterWide, c.Bundle.BundleVersion, c.Bundle.Channel, c.Image)
	}
	out, err := exec.Command(k.Runtime, "exec", k.Name+"-control-plane", "ctr", "-n", "k8s.io", "images", "ls", "-q").CombinedOutput()
	if err != nil || !strings.Contains(string(out), c.Image) {
		t.Errorf("xbcheck's image %s is not in the node: %v\n%s", c.Image, err, out)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	var mib int64
	if exe, err := os.Executable(); err == nil {
		if fi, err := os.Stat(exe); err == nil {
			mib = fi.Size() >> 20
		}
	}
	t.Logf("kind %s on %s, %s, CRDs %s: prepare %s; start %s (create %s, load of a %d MiB executable's image %s, install %s); delete %s",
		k.Name, k.Runtime, c.ServerVersion, c.Bundle.BundleVersion, prepared.Round(time.Millisecond), started.Round(time.Millisecond),
		k.CreateTime.Round(time.Millisecond), mib, k.LoadTime.Round(time.Millisecond), k.InstallTime.Round(time.Millisecond), k.DeleteTime.Round(time.Millisecond))
	out, err = exec.Command(k.Runtime, "ps", "-a", "-q", "--filter", "label=io.x-k8s.kind.cluster="+k.Name).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("containers of %s left: %v %q", k.Name, err, out)
	}
}
