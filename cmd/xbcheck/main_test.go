package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/roletest"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

// TestMain lets the test binary act as xbcheck itself (roletest role
// xbcheckRole) when a command re-executes itself (the label filter check,
// the sandbox, workers) or a test runs it.
func TestMain(m *testing.M) {
	roletest.Main(m, map[string]func() int{xbcheckRole: func() int { main(); return 0 }})
}

const xbcheckRole = "xbcheck"

// asXBcheck makes this test binary act as xbcheck itself wherever t or
// what it starts runs it again, and returns its path.
func asXBcheck(t *testing.T) string {
	t.Helper()
	t.Setenv(roletest.RoleEnv, xbcheckRole)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return self
}

// xbcheckCommand runs this test binary as xbcheck with args.
func xbcheckCommand(tb testing.TB, args ...string) *exec.Cmd {
	tb.Helper()
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), roletest.RoleEnv+"="+xbcheckRole)
	return cmd
}

func execute(args ...string) (string, error) {
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// Bad input must end as a UsageError (exit 2) whose one line says what to
// do, and leave nothing behind: not even the default report folder.
func TestBadInputIsAUsageError(t *testing.T) {
	asXBcheck(t)
	cwd := t.TempDir()
	t.Chdir(cwd)
	defer func() {
		if left, _ := os.ReadDir(cwd); len(left) > 0 {
			t.Errorf("bad input left %v in the working folder", left)
		}
	}()
	noCRD := t.TempDir()
	if err := os.WriteFile(filepath.Join(noCRD, "x.yaml"), []byte("kind: ConfigMap\napiVersion: v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"unknown flag":           {[]string{"--bogus"}, "see `xbcheck --help`"},
		"missing kubeconfig":     {[]string{"--kubeconfig", filepath.Join(t.TempDir(), "nope")}, "cannot read --kubeconfig"},
		"crds without xback":     {[]string{"--crds", noCRD}, "no XBackend CRD"},
		"unknown label":          {[]string{"--label-filter", "MUST && Nope"}, `unknown label "Nope"`},
		"dry run bad filter":     {[]string{"run", "--dry-run", "--label-filter", "(("}, "Syntax Error"},
		"clean without place":    {[]string{"clean"}, "clean needs --kubeconfig"},
		"extra argument":         {[]string{"run", "now"}, "unknown command"},
		"empty implementation":   {[]string{"run", "--implementation-cmd", " "}, "--implementation-cmd is empty"},
		"exempt core feature":    {[]string{"run", "--exempt-features", "ResourceBackend"}, "is a core feature"},
		"data-plane selector":    {[]string{"run", "--provider", "node", "--data-plane-selector", "app=envoy"}, "write NAMESPACE/LABEL-SELECTOR"},
		"consent on own cluster": {[]string{"run", "--provider", "node", "--allow-data-plane-canaries"}, "--allow-data-plane-canaries is for a cluster xbcheck did not create"},
		"fakes without config":   {[]string{"fakes"}, "or --control-addr HOST:PORT"},
		"fakes idle exit":        {[]string{"fakes", "--control-addr", "127.0.0.1:0", "--exit-when-idle", "soon"}, `control.exitWhenIdle: "soon" is not a positive duration`},
	} {
		t.Run(name, func(t *testing.T) { wantUsageError(t, tc.args, tc.want) })
	}
}

// wantUsageError runs xbcheck with args and reports unless it ends with a
// one-line UsageError (exit 2) containing want.
func wantUsageError(t *testing.T, args []string, want string) {
	t.Helper()
	_, err := execute(args...)
	var usage runner.UsageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("xbcheck %s: %v; want a one-line usage error containing %q", strings.Join(args, " "), err, want)
	}
}

func TestDryRunListsSpecsWithoutACluster(t *testing.T) {
	out, err := execute("--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 14 {
		t.Fatalf("dry run listed %d scenarios, want at least the 14 of group A:\n%s", len(lines), out)
	}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if _, known := verdict.Feature(f[len(f)-1]).Lookup(); len(f) != 3 || f[0] == "" || !verdict.Level(f[1]).Known() || !known {
			t.Fatalf("line %q is not <ShortName>\\t<LEVEL>\\t<feature>", l)
		}
	}
}

// TestImplementationCmdRunsGroupB proves the process path with a real
// second process: the routing and status specs (catalog group B) run
// against `xbcheck gateway` started by --implementation-cmd, inside the
// sandbox where namespaces are allowed, and pass.
func TestImplementationCmdRunsGroupB(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane and runs group B: skipped with -short")
	}
	self := asXBcheck(t)
	reports := t.TempDir()
	cmd := exec.Command(self, "run", "--focus", "Routing|Status", "--report-output", reports,
		"--implementation-cmd", self+" gateway",
		"--organization", "xbcheck", "--project", "xbcheck-gateway", "--url", "https://github.com/xbcheck/xbcheck", "--version", "test", "--contact", "@xbcheck")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xbcheck run with --implementation-cmd: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	var passed, failed, skipped int
	if _, err := fmt.Sscanf(last, "%d passed, %d failed, %d skipped", &passed, &failed, &skipped); err != nil || passed == 0 || failed != 0 {
		t.Fatalf("closing line %q: want group B passing with no failure\n%s", last, out)
	}
	log, err := os.ReadFile(filepath.Join(reports, "implementation.log"))
	if err != nil || !strings.Contains(string(log), "reference gateway: controller") {
		t.Fatalf("the implementation's own log must be in the report folder: %v\n%s", err, log)
	}
	if !strings.Contains(string(out), `implementation: "`+self+` gateway"`) {
		t.Fatalf("the run did not use the implementation process:\n%s", out)
	}
}
