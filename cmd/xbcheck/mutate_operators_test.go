package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/mutant"
	"github.com/xbcheck/xbcheck/internal/mutate"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/reference/faults"
)

// Bad --operators input ends as a UsageError naming what to give, before
// anything starts.
func TestMutateOperatorsBadInput(t *testing.T) {
	for args, want := range map[string]string{
		"mutate --sample 10":                           "--sample: give it with --operators",
		"mutate --shard 1/2":                           "--shard: give it with --operators",
		"mutate --operators --shard 3/2":               `--shard: "3/2" is not i/n`,
		"mutate --operators --sample -1":               "--sample -1: give 0 (all) or more",
		"mutate --operators --faults no-sni":           "--faults and --operators: give one",
		"mutate --operators --killers k.json":          "--killers and --operators",
		"mutate --operators --list --mutants x.go:1:1": `--mutants: no mutant "x.go:1:1"`,
	} {
		wantUsageError(t, strings.Fields(args), want)
	}
}

// --list prints the selected mutants: a seeded sample of the whole set.
func TestMutateOperatorsList(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: type-checks the whole reference")
	}
	out, err := execute("mutate", "--operators", "--list", "--sample", "5", "--seed", "1")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[5], "5 of ") || !strings.HasPrefix(lines[0], "reference/") {
		t.Errorf("--list printed %q; want 5 mutants and the count", out)
	}
	again, _ := execute("mutate", "--operators", "--list", "--sample", "5", "--seed", "1")
	if again != out {
		t.Error("two --list of seed 1 differ")
	}
}

// The closing line counts killed mutants, crashed gateways as killed, and
// the survivors the triage holds equivalent apart from the others.
func TestMechanicalLine(t *testing.T) {
	dir := t.TempDir()
	crashLog := filepath.Join(dir, "crash")
	quietLog := filepath.Join(dir, "quiet")
	os.WriteFile(crashLog, []byte("running\nfatal error: sync: unlock of unlocked mutex\n"), 0o644)
	os.WriteFile(quietLog, []byte("running\nno summary\n"), 0o644)
	r := mutate.Report{Mutants: []mutate.Outcome{
		{Fault: faults.Info{Name: "a"}, Killers: []verdict.Scenario{{ShortName: "S", Level: verdict.Must}}},
		{Fault: faults.Info{Name: "b"}, Err: errors.New("exit status 2"), Log: crashLog},
		{Fault: faults.Info{Name: "c"}, Err: errors.New("exit status 2"), Log: quietLog},
		{Fault: faults.Info{Name: "d"}},
		{Fault: faults.Info{Name: "e"}},
	}}
	triage := mutant.Triage{"e": {ID: "e", Verdict: mutant.Equivalent, Why: "x"}}
	var out strings.Builder
	line, survived := mechanicalLine(&out, r, triage)
	if line != "mechanical mutants: 2 killed, 2 survived, 1 equivalent" || survived != 2 {
		t.Errorf("line %q, %d survived", line, survived)
	}
	if !strings.Contains(out.String(), "b killed: the mutated gateway crashed (fatal error: sync: unlock of unlocked mutex)") {
		t.Errorf("output %q does not say b crashed", out.String())
	}
}
