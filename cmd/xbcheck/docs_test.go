package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/xbcheck/xbcheck/internal/golden"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// flagsDocPath is the reference of every command and flag, generated from
// the commands by TestFlagsDocIsCurrent.
var flagsDocPath = filepath.Join("..", "..", "docs", "flags.md")

// docs/flags.md is every command's --help, generated from the commands
// themselves, so it cannot drift from them: a flag added, renamed or
// reworded fails here until `go test ./cmd/xbcheck -run FlagsDoc -update`
// rewrites the file.
func TestFlagsDocIsCurrent(t *testing.T) {
	golden.Check(t, flagsDocPath, flagsDoc(t))
}

// machineDefaults are the flags whose default depends on the machine
// (command path and flag name): the doc gives the rule instead of this
// machine's value, after checking the value follows the rule.
var machineDefaults = map[string]struct {
	rule  string
	value func() int
}{
	"xbcheck run --parallel":    {"4 per CPU, at most 8", runner.DefaultParallel},
	"xbcheck mutate --parallel": {"the number of CPUs, at most 8", func() int { return min(max(runtime.NumCPU(), 1), maxParallel) }},
}

// flagsDoc renders docs/flags.md: the root command's description and
// subcommands, then each subcommand's --help, as xbcheck prints it, and
// the waits --timeout raises with their defaults and doc comments.
func flagsDoc(t *testing.T) string {
	t.Helper()
	root := newRootCommand()
	applied := 0
	var walk func(c *cobra.Command, visit func(*cobra.Command))
	walk = func(c *cobra.Command, visit func(*cobra.Command)) {
		visit(c)
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				walk(sub, visit)
			}
		}
	}
	walk(root, func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			d, ok := machineDefaults[c.CommandPath()+" --"+f.Name]
			if !ok {
				return
			}
			if want := strconv.Itoa(d.value()); f.DefValue != want {
				t.Fatalf("%s --%s defaults to %s on this machine, not %s (%s): correct machineDefaults", c.CommandPath(), f.Name, f.DefValue, want, d.rule)
			}
			f.DefValue = d.rule
			applied++
		})
	})
	if applied != len(machineDefaults) {
		t.Fatalf("machineDefaults names %d flags, %d of them exist", len(machineDefaults), applied)
	}
	// The root takes run's flags: the doc says so instead of repeating them.
	var rootFlags, runFlags []string
	root.LocalFlags().VisitAll(func(f *pflag.Flag) { rootFlags = append(rootFlags, f.Name) })
	run, _, err := root.Find([]string{"run"})
	if err != nil {
		t.Fatal(err)
	}
	run.LocalFlags().VisitAll(func(f *pflag.Flag) { runFlags = append(runFlags, f.Name) })
	if !slices.Equal(rootFlags, runFlags) {
		t.Fatalf("xbcheck's flags %v are not xbcheck run's %v, as docs/flags.md says", rootFlags, runFlags)
	}

	var b strings.Builder
	b.WriteString("# Commands and flags\n\n")
	b.WriteString("<!-- Generated from the commands by `go test ./cmd/xbcheck -run FlagsDoc -update`: change their help text, not this file. -->\n\n")
	b.WriteString("Every command's `--help`, as xbcheck prints it. Defaults that depend on the\nmachine are given as their rule.\n\n")
	fmt.Fprintf(&b, "```text\n%s\n```\n\n", root.Long)
	fmt.Fprintf(&b, "With no subcommand, `%s` runs the suite and takes the flags of `%s`.\n\n", root.Name(), run.CommandPath())
	walk(root, func(c *cobra.Command) {
		if c == root {
			return
		}
		fmt.Fprintf(&b, "- [`%s`](#%s): %s\n", c.CommandPath(), strings.ReplaceAll(c.CommandPath(), " ", "-"), c.Short)
	})
	walk(root, func(c *cobra.Command) {
		if c == root {
			return
		}
		text := c.Long
		if text == "" {
			text = c.Short
		}
		fmt.Fprintf(&b, "\n## %s\n\n```text\n%s\n\n%s```\n", c.CommandPath(), strings.TrimSpace(text), c.UsageString())
	})
	b.WriteString("\n## Timeouts\n\n`--timeout NAME=DURATION` raises one of these waits (from `harness.Timeouts`\nin `suites/harness`):\n\n| name | default | what it bounds |\n|---|---|---|\n")
	defaults := reflect.ValueOf(harness.DefaultTimeouts())
	docs := timeoutDocs(t)
	// A comment's own "(default 30s" must be the default in force.
	said := regexp.MustCompile(`\(default ([0-9a-z.]+)`)
	for _, name := range harness.TimeoutNames() {
		d := defaults.FieldByName(name).Interface().(time.Duration)
		if m := said.FindStringSubmatch(docs[name]); m != nil {
			if c, err := time.ParseDuration(m[1]); err != nil || c != d {
				t.Errorf("harness.Timeouts.%s's comment says the default is %s; DefaultTimeouts gives %s", name, m[1], d)
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, d, docs[name])
	}
	return b.String()
}

// timeoutDocs reads the doc comment of each field of harness.Timeouts,
// the one place the waits are described, without its "Name: " lead.
func timeoutDocs(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "suites", "harness", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, fieldDocs("Timeouts", docs))
	}
	for _, name := range harness.TimeoutNames() {
		if docs[name] == "" {
			t.Fatalf("harness.Timeouts.%s has no doc comment in suites/harness to put in docs/flags.md", name)
		}
	}
	return docs
}

// fieldDocs collects into docs the doc comment of each field of the struct
// type named typeName, without its "Field: " lead.
func fieldDocs(typeName string, docs map[string]string) func(ast.Node) bool {
	return func(n ast.Node) bool {
		spec, ok := n.(*ast.TypeSpec)
		if !ok || spec.Name.Name != typeName {
			return true
		}
		if st, ok := spec.Type.(*ast.StructType); ok {
			for _, field := range st.Fields.List {
				for _, name := range field.Names {
					text := strings.Join(strings.Fields(field.Doc.Text()), " ")
					docs[name.Name] = strings.TrimPrefix(text, name.Name+": ")
				}
			}
		}
		return false
	}
}

// The README's first lines are the two commands a newcomer runs.
func TestREADMEStartsWithTheTwoCommands(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The title, a blank line, then the block.
	lines := strings.SplitN(string(readme), "\n", 12)
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "# ") || lines[1] != "" || lines[2] != "```sh" {
		t.Fatalf("README.md does not open with its title and a sh block:\n%s", strings.Join(lines[:min(4, len(lines))], "\n"))
	}
	var commands []string
	for _, l := range lines[3:] {
		if l == "```" {
			break
		}
		command, _, _ := strings.Cut(l, "#")
		commands = append(commands, strings.TrimSpace(command))
	}
	if want := []string{"go run ./cmd/xbcheck", "make test"}; !slices.Equal(commands, want) {
		t.Errorf("README.md's first block runs %q, want %q", commands, want)
	}
}

// A figure the README quotes (a run's counts, the mutants') is one docs/
// records with where it was measured: the README never disagrees with
// the depth behind it.
func TestREADMEFiguresAreInDocs(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	var all strings.Builder
	for _, d := range docs {
		b, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	figure := regexp.MustCompile(`\d+ passed, \d+ failed, \d+ skipped|\d+ killed \([^)]*\), \d+ survived|\d+ scenarios`)
	found := figure.FindAllString(string(readme), -1)
	if len(found) == 0 {
		t.Skip("README.md quotes no run or mutation figure, so none can disagree with docs/")
	}
	for _, f := range found {
		if !strings.Contains(all.String(), f) {
			t.Errorf("README.md says %q, which no docs/*.md records", f)
		}
	}
}
