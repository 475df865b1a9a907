package mutant

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/mutant/active"
)

// moduleRoot is the repository root, two folders up.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// The schemata of the whole reference compile (go build -overlay of the
// reference's packages succeeds) and hold one switch per mutant; the
// checked-in sources stay as they were.
func TestSchemataOfTheReferenceCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: type-checks and compiles the whole reference")
	}
	root := moduleRoot(t)
	set, err := Generate(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Mutants) == 0 {
		t.Fatal("no mutants of the reference")
	}
	switches := 0
	for _, text := range set.files {
		switches += strings.Count(string(text), activeName+".On(")
	}
	if switches < len(set.Mutants) {
		t.Errorf("%d switches in the schemata for %d mutants", switches, len(set.Mutants))
	}
	for _, m := range set.Mutants {
		if strings.Contains(m.File, "fault") {
			t.Errorf("mutant %s in fault injection", m.ID)
		}
	}
	before, err := os.ReadFile(filepath.Join(root, set.Files()[0]))
	if err != nil {
		t.Fatal(err)
	}
	bin, cleanup, err := set.Build(context.Background(), root, "./reference")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if _, err := os.Stat(bin); err != nil {
		t.Errorf("no binary: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(root, set.Files()[0]))
	if string(before) != string(after) {
		t.Errorf("%s changed on disk", set.Files()[0])
	}
	triage, err := LoadTriage()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range set.Mutants {
		ids[m.ID] = true
	}
	for id := range triage {
		if !ids[id] {
			t.Errorf("triage.yaml holds %s, which is no mutant of the reference (its code moved or changed): triage it again", id)
		}
	}
	t.Logf("%d mutants in %d files", len(set.Mutants), len(set.files))
}

// A mutant switched on changes what the schemata do, and only then: the
// guardrail's own tests, run over the schemata, pass with no mutant on and
// fail with the one that negates its range match.
func TestSwitchedOnMutantChangesBehaviour(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiles the guardrail's tests over the schemata")
	}
	root := moduleRoot(t)
	set, err := Generate(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	var target Mutant
	for _, m := range set.Mutants {
		if m.File == "reference/guardrail/guardrail.go" && m.Operator == NegateCondition && m.Original == "r.prefix.Contains(a)" {
			target = m
		}
	}
	if target.ID == "" {
		t.Fatal("no negate-condition mutant of r.prefix.Contains(a) in reference/guardrail/guardrail.go")
	}
	overlay, err := set.WriteOverlay(root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run := func(id string) ([]byte, error) {
		cmd := exec.Command("go", "test", "-count=1", "-overlay", overlay, "./reference/guardrail")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", active.Env+"="+id)
		return cmd.CombinedOutput()
	}
	if out, err := run(""); err != nil {
		t.Errorf("no mutant on: the guardrail's tests fail: %v\n%s", err, out)
	}
	if out, err := run(target.ID); err == nil || !strings.Contains(string(out), "FAIL") {
		t.Errorf("%s on: the guardrail's tests pass (%v)\n%s", target.ID, err, out)
	}
}
