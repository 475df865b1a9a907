package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	kinderrors "sigs.k8s.io/kind/pkg/errors"
	kindexec "sigs.k8s.io/kind/pkg/exec"

	"github.com/xbcheck/xbcheck/internal/kind/kindtest"
)

// clusters names the clusters of rt.
func clusters(rt *kindtest.Runtime) []string {
	names, _ := rt.List()
	return names
}

// noFilesLeft reports xbcheck's kind folders left in the temporary folder.
func noFilesLeft(t *testing.T) {
	t.Helper()
	left, err := filepath.Glob(filepath.Join(os.TempDir(), "xbcheck-kind-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("files left behind: %v", left)
	}
}

// nothingLeft reports the clusters of rt and the kind folders left behind.
func nothingLeft(t *testing.T, rt *kindtest.Runtime) {
	t.Helper()
	if left := clusters(rt); len(left) != 0 {
		t.Errorf("clusters left: %v", left)
	}
	noFilesLeft(t)
}

// isolate gives the test a temporary folder of its own, so leftovers are
// counted there alone.
func isolate(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
}

func TestStartCreatesAClusterAndStopDeletesIt(t *testing.T) {
	isolate(t)
	rt := kindtest.New("", "other")
	var progress bytes.Buffer
	c, err := Start(context.Background(), Options{Runtime: rt, Config: []byte("kind: Cluster"), NodeImage: "node:v1", Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Created || c.Kept || !strings.HasPrefix(c.Name, "xbcheck-") || c.Runtime != "fake" {
		t.Fatalf("cluster %+v: want a created xbcheck-<id> on the fake", c)
	}
	if b, err := os.ReadFile(c.Kubeconfig); err != nil || string(b) != kindtest.UnreachableKubeconfig {
		t.Fatalf("kubeconfig %s: %v %q", c.Kubeconfig, err, b)
	}
	if c.Config == nil || c.Config.Host != "https://127.0.0.1:1" {
		t.Fatalf("rest config %+v, want the kubeconfig's server", c.Config)
	}
	if want := fmt.Sprintf("create %s config=%q image=%q", c.Name, "kind: Cluster", "node:v1"); rt.Calls()[0] != want {
		t.Errorf("calls %q, want %q first", rt.Calls(), want)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if rt.Has(c.Name) || !rt.Has("other") {
		t.Errorf("after Stop the clusters are %v: want only other", clusters(rt))
	}
	noFilesLeft(t)
	if err := c.Stop(); err != nil || strings.Count(strings.Join(rt.Calls(), "\n"), "delete") != 1 {
		t.Errorf("a second Stop: %v, calls %q; want nothing more", err, rt.Calls())
	}
	for _, want := range []string{"kind: creating cluster " + c.Name, "created in", "deleted in"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
}

func TestStartReusesAClusterByNameAndNeverDeletesIt(t *testing.T) {
	isolate(t)
	rt := kindtest.New("", "ci")
	c, err := Start(context.Background(), Options{Runtime: rt, Name: "ci", Keep: true, Images: []string{"/tmp/xbcheck.tar"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Created || c.Kept {
		t.Fatalf("a reused cluster: Created %v Kept %v, want both false", c.Created, c.Kept)
	}
	if b, err := os.ReadFile(c.Kubeconfig); err != nil || string(b) != kindtest.UnreachableKubeconfig {
		t.Fatalf("kubeconfig of the reused cluster %s: %v %q", c.Kubeconfig, err, b)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"kubeconfig ci", "load ci xbcheck.tar"}; !slices.Equal(rt.Calls(), want) {
		t.Errorf("calls %q, want %q: no create, no delete", rt.Calls(), want)
	}
	if !rt.Has("ci") {
		t.Error("the reused cluster was deleted")
	}
	noFilesLeft(t)
}

func TestStartCreatesANamedClusterThatDoesNotExist(t *testing.T) {
	isolate(t)
	rt := kindtest.New("")
	c, err := Start(context.Background(), Options{Runtime: rt, Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "ci" || !c.Created {
		t.Fatalf("cluster %s created %v: want ci, created", c.Name, c.Created)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if rt.Has("ci") {
		t.Error("the cluster xbcheck created under the given name was not deleted")
	}
}

func TestKeepLeavesTheCreatedClusterAndItsKubeconfig(t *testing.T) {
	isolate(t)
	rt := kindtest.New("")
	var progress bytes.Buffer
	c, err := Start(context.Background(), Options{Runtime: rt, Keep: true, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Created || !c.Kept {
		t.Fatalf("Created %v Kept %v, want both", c.Created, c.Kept)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if !rt.Has(c.Name) {
		t.Error("a kept cluster was deleted")
	}
	if _, err := os.Stat(c.Kubeconfig); err != nil {
		t.Errorf("a kept cluster's kubeconfig is gone: %v", err)
	}
	if !strings.Contains(progress.String(), "KUBECONFIG="+c.Kubeconfig) || !strings.Contains(progress.String(), "kind delete cluster --name "+c.Name) {
		t.Errorf("Stop does not say how to reach and delete the kept cluster:\n%s", progress.String())
	}
}

func TestSetupThenImagesThenInstallInOrder(t *testing.T) {
	isolate(t)
	rt := kindtest.New("")
	logDir := filepath.Join(t.TempDir(), "report")
	out := filepath.Join(t.TempDir(), "seen")
	var setupSaw []string
	c, err := Start(context.Background(), Options{
		Runtime: rt,
		Images:  []string{"/x/xbcheck.tar", "/x/helper.tar"},
		Setup: func(_ context.Context, c *Cluster) error {
			setupSaw = rt.Calls()
			if c.Config == nil {
				return errors.New("Setup got no rest config")
			}
			return nil
		},
		InstallCmd: `echo "installing into $KUBECONFIG"; echo "$KUBECONFIG" > ` + out,
		LogDir:     logDir,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if len(setupSaw) != 1 || !strings.HasPrefix(setupSaw[0], "create") {
		t.Errorf("Setup ran after %q, want right after create", setupSaw)
	}
	if want := []string{"load " + c.Name + " xbcheck.tar", "load " + c.Name + " helper.tar"}; !slices.Equal(rt.Calls()[1:], want) {
		t.Errorf("calls %q, want the images loaded after create", rt.Calls())
	}
	if !slices.Equal(c.Images, []string{"/x/xbcheck.tar", "/x/helper.tar"}) || c.LoadTime <= 0 {
		t.Errorf("Images %q LoadTime %s", c.Images, c.LoadTime)
	}
	seen, err := os.ReadFile(out)
	if err != nil || strings.TrimSpace(string(seen)) != c.Kubeconfig {
		t.Errorf("the install command saw KUBECONFIG %q (%v), want %s", seen, err, c.Kubeconfig)
	}
	if c.InstallLog != filepath.Join(logDir, "install.log") {
		t.Fatalf("InstallLog %s, want install.log in the log folder", c.InstallLog)
	}
	if b, err := os.ReadFile(c.InstallLog); err != nil || !strings.Contains(string(b), "installing into "+c.Kubeconfig) {
		t.Errorf("install.log: %q %v", b, err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(logDir, "install.log")); err != nil {
		t.Errorf("the install log in the report folder must stay after Stop: %v", err)
	}
}

func TestFailuresAfterCreateDeleteTheCluster(t *testing.T) {
	for name, opts := range map[string]Options{
		"setup fails":       {Setup: func(context.Context, *Cluster) error { return errors.New("no CRDs") }},
		"install fails":     {InstallCmd: "echo applying; echo 'error: no such chart' >&2; exit 3"},
		"keep is no excuse": {Keep: true, InstallCmd: "exit 1"},
	} {
		t.Run(name, func(t *testing.T) {
			isolate(t)
			rt := kindtest.New("")
			opts.Runtime, opts.LogDir = rt, t.TempDir()
			c, err := Start(context.Background(), opts)
			if err == nil {
				c.Stop()
				t.Fatal("Start succeeded")
			}
			nothingLeft(t, rt)
		})
	}
}

func TestInstallFailureIsOneLineSayingWhereTheLogIs(t *testing.T) {
	isolate(t)
	logDir := t.TempDir()
	_, err := Start(context.Background(), Options{Runtime: kindtest.New(""), LogDir: logDir, InstallCmd: "echo applying; echo 'error: no such chart' >&2; exit 3"})
	if err == nil {
		t.Fatal("a failing install command passed")
	}
	msg := err.Error()
	// The cluster's deletion may add nothing: the message is one line.
	for _, want := range []string{"--install-cmd failed", "exit status 3", filepath.Join(logDir, "install.log"), `"error: no such chart"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if b, _ := os.ReadFile(filepath.Join(logDir, "install.log")); !strings.Contains(string(b), "applying\nerror: no such chart") {
		t.Errorf("install.log keeps stdout and stderr in order, got %q", b)
	}
}

func TestCreateFailureLeavesNothing(t *testing.T) {
	isolate(t)
	rt := kindtest.New("")
	rt.CreateErr = errors.New("failed to pull image")
	_, err := Start(context.Background(), Options{Runtime: rt, Name: "ci"})
	if err == nil || !strings.Contains(err.Error(), "create kind cluster ci on fake: failed to pull image") {
		t.Fatalf("error %v", err)
	}
	if len(clusters(rt)) != 0 || !slices.Contains(rt.Calls(), "delete ci") {
		t.Errorf("clusters %v, calls %q: want none left and a delete to make sure", clusters(rt), rt.Calls())
	}
	noFilesLeft(t)
}

// TestInterruptDuringCreateLeavesNothing is Ctrl-C while kind creates the
// nodes: kind's Create takes no context, so the nodes are deleted under it.
func TestInterruptDuringCreateLeavesNothing(t *testing.T) {
	isolate(t)
	rt := kindtest.New("")
	rt.Block, rt.Started = make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-rt.Started
		cancel()
	}()
	begin := time.Now()
	c, err := Start(ctx, Options{Runtime: rt, Name: "ci", Keep: true})
	if !errors.Is(err, context.Canceled) || c != nil {
		t.Fatalf("Start: %v, %v; want context.Canceled and no cluster", c, err)
	}
	if time.Since(begin) > 5*time.Second {
		t.Errorf("Start took %s to return after Ctrl-C", time.Since(begin))
	}
	nothingLeft(t, rt)
}

// TestInterruptDuringInstallEndsItsProcesses: the install command and what
// it started in the background end, and the cluster is deleted.
func TestInterruptDuringInstallEndsItsProcesses(t *testing.T) {
	isolate(t)
	rt := kindtest.New("")
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for ctx.Err() == nil {
			if b, err := os.ReadFile(pidFile); err == nil && len(bytes.TrimSpace(b)) > 0 {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	begin := time.Now()
	_, err := Start(ctx, Options{Runtime: rt, LogDir: dir, InstallCmd: "sleep 60 & echo $! > " + pidFile + ".tmp; mv " + pidFile + ".tmp " + pidFile + "; wait"})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "--install-cmd interrupted") {
		t.Fatalf("Start: %v; want the install command interrupted", err)
	}
	if time.Since(begin) > 4*time.Second {
		t.Errorf("took %s after Ctrl-C", time.Since(begin))
	}
	b, _ := os.ReadFile(pidFile)
	var pid int
	fmt.Sscan(string(b), &pid)
	if pid <= 0 {
		t.Fatalf("pid file %q", b)
	}
	deadline := time.Now().Add(2 * time.Second)
	for processAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if processAlive(pid) {
		t.Errorf("the install command's background sleep (pid %d) survived", pid)
	}
	if len(clusters(rt)) != 0 {
		t.Errorf("clusters left: %v", clusters(rt))
	}
}

// processAlive tells whether pid runs (a zombie has ended).
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z'
}

func TestLoggerPassesUserFacingLinesOnly(t *testing.T) {
	var b bytes.Buffer
	l := logger{&b}
	l.V(0).Infof("Creating cluster %q ...", "x")
	l.V(1).Info("debug detail")
	l.Warn("low disk")
	l.Errorf("failed: %d", 1)
	want := "kind: Creating cluster \"x\" ...\nkind: warning: low disk\nkind: error: failed: 1\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	if l.V(1).Enabled() || !l.V(0).Enabled() {
		t.Error("only verbosity 0 is enabled")
	}
}

func TestDetectHonoursKindExperimentalProvider(t *testing.T) {
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "podman")
	if name, err := detect(); err != nil || name != "podman" {
		t.Errorf("detect: %q %v, want podman", name, err)
	}
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "lxc")
	if _, err := detect(); err == nil || !strings.Contains(err.Error(), "set it to one of them or unset it") {
		t.Errorf("an unknown runtime: %v", err)
	}
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "")
	t.Setenv("PATH", t.TempDir())
	if _, err := detect(); err == nil || !strings.Contains(err.Error(), "install one") {
		t.Errorf("no runtime on PATH: %v", err)
	}
}

func TestCreateErrorsSayWhatTheCommandSaid(t *testing.T) {
	run := &kindexec.RunError{
		Command: []string{"docker", "exec", "node", "kubeadm", "init"},
		Output:  []byte("[init] Using Kubernetes version: v1.37.2\nerror execution phase wait-control-plane: the kubelet is not healthy\nk8s.io/kubernetes/cmd/kubeadm/app.Run\n\truntime/asm_amd64.s:1771\n"),
		Inner:   errors.New("exit status 1"),
	}
	err := withOutput(kinderrors.Wrap(run, "failed to init node with kubeadm"))
	if want := "its output says: error execution phase wait-control-plane: the kubelet is not healthy"; !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("got %q, want one line with %q", err, want)
	}
	if err := withOutput(errors.New("plain")); err.Error() != "plain" {
		t.Errorf("an error of no command: %q", err)
	}
}
