package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/ci"
)

// TestCITemplatesPassOnlyFlagsXbcheckHas holds every xbcheck command of
// ci/ (the vendor templates and xbcheck's own matrix) and of the GitHub
// Action (action.yml at the repository's root) against `xbcheck <command>
// --help`: a renamed or removed flag fails here, not in a vendor's
// pipeline.
func TestCITemplatesPassOnlyFlagsXbcheckHas(t *testing.T) {
	action, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	invocations := append(ci.Invocations(), ci.FindInvocations(ci.Template{Path: "action.yml", Text: string(action)})...)
	if !slices.ContainsFunc(invocations, func(inv ci.Invocation) bool { return inv.Template == "action.yml" && inv.Subcommand == "run" }) {
		t.Fatal("no xbcheck run found in action.yml")
	}
	helps := map[string]string{}
	for _, inv := range invocations {
		help, ok := helps[inv.Subcommand]
		if !ok {
			out, err := execute(inv.Subcommand, "--help")
			if err != nil {
				t.Fatalf("xbcheck %s --help: %v", inv.Subcommand, err)
			}
			help, helps[inv.Subcommand] = out, out
		}
		for _, f := range inv.Flags {
			name := fmt.Sprintf("%s:%d xbcheck %s --%s", inv.Template, inv.Line, inv.Subcommand, f.Name)
			t.Run(name, func(t *testing.T) {
				line := flagHelp(help, f.Name)
				switch {
				case line == "":
					t.Fatalf("`xbcheck %s --help` lists no --%s", inv.Subcommand, f.Name)
				case f.Name == "provider" && f.Value != "" && !strings.Contains(line, f.Value):
					t.Fatalf("--provider %s is not among the providers of `xbcheck %s --help`: %s", f.Value, inv.Subcommand, line)
				case f.Name == "format" && f.Value != "" && !strings.Contains(line, f.Value):
					t.Fatalf("--format %s is not among the formats of `xbcheck %s --help`: %s", f.Value, inv.Subcommand, line)
				}
			})
		}
	}
}

// flagHelp is the line of a command's help that documents --name in its
// Flags section, or "".
func flagHelp(help, name string) string {
	_, flags, _ := strings.Cut(help, "\nFlags:\n")
	re := regexp.MustCompile(`(?m)^[ \t]+(-\w, )?--` + regexp.QuoteMeta(name) + `( .*)?$`)
	return re.FindString(flags)
}

func TestFlagHelpReadsTheFlagsSectionOnly(t *testing.T) {
	help, err := execute("report", "--help")
	if err != nil {
		t.Fatal(err)
	}
	if line := flagHelp(help, "format"); !strings.Contains(line, "markdown: a summary") {
		t.Errorf("--format: %q, want its line in Flags", line)
	}
	if line := flagHelp(help, "output"); !strings.HasPrefix(strings.TrimSpace(line), "-o, --output string") {
		t.Errorf("--output: %q, want its line with the shorthand", line)
	}
	for _, absent := range []string{"form", "nope", "from-dir"} {
		if line := flagHelp(help, absent); line != "" {
			t.Errorf("--%s found as %q", absent, line)
		}
	}
}
