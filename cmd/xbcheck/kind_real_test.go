package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/kind"
	"github.com/xbcheck/xbcheck/internal/kind/kindtest"
)

// TestRealKindInCluster runs specs of every family in a kind cluster
// xbcheck creates, with the fakes and the reference gateway as pods: they
// must pass, the run must prove it left the cluster as found, and the
// cluster must go with no container left. Then --keep-cluster must leave
// the cluster behind, answering. Like the other real kind tests it runs
// only when XBCHECK_KIND_REAL=1 (Docker or Podman able to run kind's node
// image; internal/kind/testdata/offline-node/run.sh provides both here),
// with XBCHECK_KIND_NODE_IMAGE and XBCHECK_KIND_CONFIG choosing the node
// image and kind configuration.
func TestRealKindInCluster(t *testing.T) {
	env := kindtest.RequireReal(t)
	rt, err := kind.NewRuntime(nil)
	if err != nil {
		t.Fatal(err)
	}
	bin := buildXBcheck(t)
	kindArgs := func(args ...string) []string {
		args = append([]string{"run", "--provider", "kind", "--report-output", t.TempDir()}, args...)
		if env.NodeImage != "" {
			args = append(args, "--kind-node-image", env.NodeImage)
		}
		if env.ConfigFile != "" {
			args = append(args, "--kind-config", env.ConfigFile)
		}
		return args
	}
	created := regexp.MustCompile(`kind: creating cluster (\S+) on`)

	out, err := exec.Command(bin, kindArgs("--label-filter", inClusterSpecs)...).CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("xbcheck run --provider kind: %v\n%s", err, text)
	}
	for _, want := range []string{"fakes pod ", "CoreDNS forwards xbcheck.test to ", "implementation: reference gateway (pods)", "cluster left as found: CoreDNS's configuration byte for byte", " deleted in "} {
		if !strings.Contains(text, want) {
			t.Errorf("the run's output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "log.SetLogger(...) was never called") {
		t.Errorf("controller-runtime complained of no logger:\n%s", text)
	}
	if passed, failed := closingLine(t, text); passed != 7 || failed != 0 {
		t.Errorf("%d passed, %d failed; want the 7 scenarios passing in the kind cluster:\n%s", passed, failed, text)
	}
	if m := created.FindStringSubmatch(text); m == nil {
		t.Errorf("no cluster created:\n%s", text)
	} else if left := kindContainers(t, rt.Name(), m[1]); left != "" {
		t.Errorf("containers of %s left: %s", m[1], left)
	}

	// --keep-cluster: the runner leaves the kind cluster behind.
	out, err = exec.Command(bin, kindArgs("--keep-cluster", "--run-test", "AdmissionRejectsPortZero")...).CombinedOutput()
	text = string(out)
	m := created.FindStringSubmatch(text)
	if m != nil {
		defer func() {
			if err := rt.Delete(m[1], ""); err != nil {
				t.Errorf("delete the kept cluster %s: %v", m[1], err)
			}
		}()
	}
	if kc := regexp.MustCompile(`KUBECONFIG=(/\S+/kubeconfig);`).FindStringSubmatch(text); kc != nil {
		defer os.RemoveAll(filepath.Dir(kc[1]))
	}
	if err != nil || m == nil {
		t.Fatalf("xbcheck run --provider kind --keep-cluster: %v\n%s", err, text)
	}
	if !strings.Contains(text, "kind: cluster "+m[1]+" kept (--keep-cluster)") || kindContainers(t, rt.Name(), m[1]) == "" {
		t.Errorf("--keep-cluster: cluster %s not kept:\n%s", m[1], text)
	}
}

// kindContainers lists the containers of a kind cluster, "" when none.
func kindContainers(t *testing.T, runtime, cluster string) string {
	t.Helper()
	out, err := exec.Command(runtime, "ps", "-a", "-q", "--filter", "label=io.x-k8s.kind.cluster="+cluster).CombinedOutput()
	if err != nil {
		t.Fatalf("%s ps: %v: %s", runtime, err, out)
	}
	return strings.TrimSpace(string(out))
}
