package main

import (
	"strings"
	"testing"
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
		wantUsageError(t, strings.Fields(args), want)
	}
}
