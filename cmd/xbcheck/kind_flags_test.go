package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKindFlagsBadInput: the kind flags are checked before anything
// starts, --config included, each mistake a one-line usage error.
func TestKindFlagsBadInput(t *testing.T) {
	t.Chdir(t.TempDir())
	config := filepath.Join(t.TempDir(), "ci.yaml")
	if err := os.WriteFile(config, []byte("install-cmd: make deploy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noRuntime := t.TempDir() // a PATH with neither docker nor podman
	for name, tc := range map[string]struct {
		args []string
		path string
		want string
	}{
		"install-cmd without kind":      {args: []string{"run", "--install-cmd", "make deploy"}, want: "--install-cmd works with --provider kind only"},
		"kind-cluster with node":        {args: []string{"--provider", "node", "--kind-cluster", "ci"}, want: "--kind-cluster works with --provider kind only"},
		"install-cmd from --config":     {args: []string{"run", "--config", config}, want: "--install-cmd works with --provider kind only"},
		"empty install-cmd":             {args: []string{"run", "--provider", "kind", "--install-cmd", " "}, want: "--install-cmd is empty"},
		"not a release":                 {args: []string{"run", "--gateway-api-version", "1.6"}, want: `--gateway-api-version "1.6" is not a Gateway API release`},
		"crds and gateway-api-version":  {args: []string{"run", "--crds", "x", "--gateway-api-version", "v1.6.3"}, want: "give one of them"},
		"no docker nor podman":          {args: []string{"run", "--provider", "kind"}, path: noRuntime, want: "--provider kind needs Docker or Podman"},
		"keep-cluster with kind":        {args: []string{"run", "--provider", "kind", "--keep-cluster"}, path: noRuntime, want: "--provider kind needs Docker or Podman"},
		"keep-cluster with kubeconfig":  {args: []string{"run", "--kubeconfig", "kubeconfig", "--keep-cluster"}, want: "--keep-cluster keeps a cluster xbcheck starts"},
		"allow-cluster-changes, node":   {args: []string{"run", "--provider", "node", "--allow-cluster-changes"}, want: "--allow-cluster-changes is for a cluster xbcheck did not create"},
		"allow-cluster-changes, kind":   {args: []string{"run", "--provider", "kind", "--allow-cluster-changes"}, path: noRuntime, want: "--provider kind needs Docker or Podman"},
		"unreadable kind configuration": {args: []string{"run", "--provider", "kind", "--kind-config", filepath.Join(noRuntime, "kind.yaml")}, want: "--kind-config"},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.path != "" {
				t.Setenv("PATH", tc.path)
			}
			wantUsageError(t, tc.args, tc.want)
		})
	}
}

func TestKindFlagsInHelp(t *testing.T) {
	help, err := execute("run", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(kindOnlyFlags(), "gateway-api-version") {
		if flagHelp(help, name) == "" {
			t.Errorf("`xbcheck run --help` lists no --%s", name)
		}
	}
	if line := flagHelp(help, "provider"); !strings.Contains(line, "kind") {
		t.Errorf("--provider does not offer kind: %q", line)
	}
	if line := flagHelp(help, "allow-cluster-changes"); !strings.Contains(line, "--kubeconfig") || !strings.Contains(line, "--kind-cluster") {
		t.Errorf("--allow-cluster-changes does not say it is for --kubeconfig and reused kind clusters: %q", line)
	}
	if line := flagHelp(help, "keep-cluster"); !strings.Contains(line, "--provider node") || !strings.Contains(line, "--provider kind") {
		t.Errorf("--keep-cluster does not say what it does with node and kind: %q", line)
	}
}
