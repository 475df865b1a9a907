package kind

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/discovery"

	"github.com/xbcheck/xbcheck/internal/kind/kindtest"
	"github.com/xbcheck/xbcheck/internal/node"
)

// TestRealKind creates a kind cluster with the real runtime, loads an
// image into it, reaches its API server, deletes it and checks no
// container is left; then interrupts a second create and checks the same.
// It needs Docker or Podman that can run kind's node image, so it runs
// only when XBCHECK_KIND_REAL=1; XBCHECK_KIND_NODE_IMAGE and
// XBCHECK_KIND_CONFIG (a file) choose the node image and configuration
// (for example a node image built offline). It logs the times.
func TestRealKind(t *testing.T) {
	env := kindtest.RequireReal(t)
	isolate(t)
	var config []byte
	if f := env.ConfigFile; f != "" {
		var err error
		if config, err = os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	rt, err := NewRuntime(os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	// kind's network is xbcheck's to remove when its create made it.
	network := exec.Command(rt.Name(), "network", "inspect", "kind").Run() == nil
	img, err := node.ExecutableImage("/bin/true", "probe", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Runtime:    rt,
		Name:       "xbcheck-real-" + randomID(),
		Config:     config,
		NodeImage:  env.NodeImage,
		Images:     []string{img.Path},
		InstallCmd: `test -s "$KUBECONFIG"`,
		LogDir:     t.TempDir(),
		Progress:   os.Stderr,
	}
	c, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	v, err := dc.ServerVersion()
	if err != nil {
		t.Fatalf("the API server of %s does not answer: %v", c.Name, err)
	}
	out, err := exec.Command(rt.Name(), "exec", c.Name+"-control-plane", "ctr", "-n", "k8s.io", "images", "ls", "-q").CombinedOutput()
	if err != nil || !strings.Contains(string(out), img.Ref) {
		t.Errorf("image %s not in the node: %v\n%s", img.Ref, err, out)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("kind %s on %s, Kubernetes %s: create %s, image load %s, install %s, delete %s",
		c.Name, c.Runtime, v.GitVersion, c.CreateTime, c.LoadTime, c.InstallTime, c.DeleteTime)
	noContainers(t, rt.Name(), c.Name)
	if !network && exec.Command(rt.Name(), "network", "inspect", "kind").Run() == nil {
		t.Error("the kind network xbcheck's create made is left")
	}

	// Ctrl-C while kind creates the cluster.
	ctx, cancel := context.WithCancel(context.Background())
	opts.Name = "xbcheck-real-" + randomID()
	time.AfterFunc(8*time.Second, cancel)
	begin := time.Now()
	if _, err := Start(ctx, opts); err == nil {
		t.Fatal("an interrupted create succeeded")
	}
	t.Logf("interrupted after 8s, Start returned after %s", time.Since(begin).Round(time.Millisecond))
	noContainers(t, rt.Name(), opts.Name)
	if !network && exec.Command(rt.Name(), "network", "inspect", "kind").Run() == nil {
		t.Error("the kind network of the interrupted create is left")
	}
	if m, _ := filepath.Glob(filepath.Join(os.TempDir(), "xbcheck-kind-*")); len(m) > 0 {
		t.Errorf("files left: %v", m)
	}
}

func noContainers(t *testing.T, runtime, cluster string) {
	t.Helper()
	out, err := exec.Command(runtime, "ps", "-a", "-q", "--filter", "label=io.x-k8s.kind.cluster="+cluster).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("containers of %s left: %v %q", cluster, err, out)
	}
}
