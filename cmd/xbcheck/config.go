package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/xbcheck/xbcheck/internal/runner"
)

// applyConfig reads a YAML file whose keys are flag names and sets every
// flag the command line left unset, so CI keeps its settings in one file:
//
//	gateway-class: my-class
//	supported-features: [ResourceBackend, ResourceBackendTLS]
//	timeout: [Traffic=2m]
//	organization: Example Corp
func applyConfig(flags *pflag.FlagSet, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return runner.UsageError{Err: fmt.Errorf("--config: %v; give a readable YAML file", err)}
	}
	var settings map[string]any
	if err := yaml.Unmarshal(data, &settings); err != nil {
		return runner.UsageError{Err: fmt.Errorf("--config %s: not YAML of flag: value pairs: %v", path, err)}
	}
	for name, value := range settings {
		f := flags.Lookup(name)
		if f == nil || name == "config" {
			return runner.UsageError{Err: fmt.Errorf("--config %s: %q is not a flag of xbcheck run; see `xbcheck run --help`", path, name)}
		}
		if f.Changed {
			continue // the command line wins
		}
		values := []any{value}
		if list, ok := value.([]any); ok {
			values = list
		}
		for _, v := range values {
			if err := flags.Set(name, fmt.Sprint(v)); err != nil {
				return runner.UsageError{Err: fmt.Errorf("--config %s: %s: %v", path, name, err)}
			}
		}
	}
	return nil
}

// testFilter folds --run-test and --skip-tests, which name specs by
// ShortName as upstream's suite does, into a Ginkgo label filter.
func testFilter(filter, runTest string, skip []string) string {
	var parts []string
	if filter != "" {
		parts = append(parts, "("+filter+")")
	}
	if runTest != "" {
		parts = append(parts, runTest)
	}
	if len(skip) > 0 {
		parts = append(parts, "!("+strings.Join(skip, " || ")+")")
	}
	return strings.Join(parts, " && ")
}
