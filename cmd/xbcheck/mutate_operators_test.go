package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/runner"
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
		_, err := execute(strings.Fields(args)...)
		var usage runner.UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v; want a usage error containing %q", args, err, want)
		}
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
