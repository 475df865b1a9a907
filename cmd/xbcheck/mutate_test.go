package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/runner"
)

// Bad mutate input ends as a UsageError naming what to give, before
// anything starts.
func TestMutateBadInput(t *testing.T) {
	for args, want := range map[string]string{
		"mutate --faults skip-everything":          `unknown fault "skip-everything"`,
		"mutate --parallel 0":                      "--parallel 0: give 1 to 8",
		"mutate --parallel 9":                      "--parallel 9: give 1 to 8",
		"mutate now":                               "unknown command",
		"mutate --choices --faults skip-san-check": "skip-san-check is a fault, not a choice",
		"mutate --choices --markdown m.md":         "leave out --markdown and --killers",
	} {
		_, err := execute(strings.Fields(args)...)
		var usage runner.UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v; want a usage error containing %q", args, err, want)
		}
	}
}
