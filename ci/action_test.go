package ci

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// action is the GitHub Action at the repository's root.
func action(t *testing.T) string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}

// actionDir is where the reusable workflow checks the action out, and
// where the lint finds it.
const actionDir = ".xbcheck-action"

// actionStepsFile is the workflow actionSteps writes.
const actionStepsFile = "action-steps.yml"

// actionSteps makes the composite action's steps a workflow, so actionlint
// checks them as it checks a workflow's (it checks a local action's
// metadata and its callers' inputs, not its steps): a reusable workflow
// with the action's inputs, as strings, and one job of the action's steps.
// offset is what to subtract from a line of the workflow for the line of
// action.yml.
func actionSteps(t *testing.T, text string) (workflow string, offset int) {
	t.Helper()
	lines := strings.Split(text, "\n")
	stepsAt := slices.Index(lines, "  steps:")
	if stepsAt < 0 || !slices.Contains(lines[:stepsAt], "runs:") {
		t.Fatal("action.yml has no runs.steps")
	}
	var b strings.Builder
	b.WriteString("name: action.yml's steps\non:\n  workflow_call:\n    inputs:\n")
	inputs := false
	for _, l := range lines[:stepsAt] {
		switch {
		case l == "inputs:":
			inputs = true
		case inputs && l != "" && !strings.HasPrefix(l, " "):
			inputs = false
		case inputs && regexp.MustCompile(`^  [a-z-]+:$`).MatchString(l):
			b.WriteString("    " + l + "\n        type: string\n")
		}
	}
	b.WriteString("permissions:\n  contents: read\njobs:\n  action:\n    runs-on: ubuntu-latest\n    steps:\n")
	header := strings.Count(b.String(), "\n")
	for _, l := range lines[stepsAt+1:] {
		if l != "" {
			l = "  " + l
		}
		b.WriteString(l + "\n")
	}
	return b.String(), header - stepsAt - 1
}

// The action builds xbcheck from its own checkout, runs it, writes the
// step summary (comparing with a base report when given) and uploads the
// reports; the summary and the upload run after a failed run too.
func TestActionRunsXbcheckAtItsOwnVersion(t *testing.T) {
	text := action(t)
	for _, want := range []string{
		"using: composite",
		"go-version-file: ${{ github.action_path }}/go.mod",
		"working-directory: ${{ github.action_path }}",
		`go build -o "$RUNNER_TEMP/xbcheck-bin/xbcheck" ./cmd/xbcheck`,
		"xbcheck run --provider kind",
		`xbcheck report --from "$REPORT_DIR" --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		`xbcheck report --from "$REPORT_DIR" --compare "$BASE_REPORT" --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		"uses: actions/upload-artifact@",
		"${{ steps.inputs.outputs.report-dir }}/conformance-report.yaml", "${{ steps.inputs.outputs.report-dir }}/report.html", "${{ steps.inputs.outputs.report-dir }}/junit.xml",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("action.yml lacks %q", want)
		}
	}
	if strings.Contains(text, "go install") || strings.Contains(text, "@latest") {
		t.Error("action.yml installs xbcheck from elsewhere than its own checkout")
	}
	if n := strings.Count(text, "if: ${{ !cancelled() &&"); n != 2 {
		t.Errorf("%d steps run after a failure, want 2 (the step summary and the upload)", n)
	}
	steps, _ := actionSteps(t, text)
	w, errs := actionlint.Parse([]byte(steps))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, s := range w.Jobs["action"].Steps {
		if s.ContinueOnError != nil {
			t.Errorf("step %q continues on error: a failed run must fail the job", s.Name.Value)
		}
		if run, ok := s.Exec.(*actionlint.ExecRun); ok && run.Run != nil && strings.Contains(run.Run.Value, "${{") {
			t.Errorf("step %q pastes an expression into its script; pass it through env", s.Name.Value)
		}
	}
}

// The summary step as the runner runs it: without a base report, the run's
// summary; with one, the comparison first, whose exit 1 (the run is
// worse: its own step failed the job already) does not fail the step,
// while an error of the comparison does.
func TestActionSummaryStepComparesWithTheBase(t *testing.T) {
	steps, _ := actionSteps(t, action(t))
	w, errs := actionlint.Parse([]byte(steps))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var script string
	for _, s := range w.Jobs["action"].Steps {
		if s.Name != nil && s.Name.Value == "Write the step summary" {
			script = s.Exec.(*actionlint.ExecRun).Run.Value
		}
	}
	if script == "" {
		t.Fatal("action.yml has no step \"Write the step summary\"")
	}
	bin := t.TempDir()
	// A stand-in xbcheck that logs its arguments and exits as COMPARE_EXIT
	// says for --compare.
	fake := "#!/bin/sh\necho \"xbcheck $*\"\ncase \"$*\" in *--compare*) exit \"${COMPARE_EXIT:-0}\";; esac\n"
	if err := os.WriteFile(filepath.Join(bin, "xbcheck"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	report, base := t.TempDir(), t.TempDir()
	for _, dir := range []string{report, base} {
		if err := os.WriteFile(filepath.Join(dir, "summary.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, tc := range map[string]struct {
		base, exit string
		ok         bool
		want       []string
	}{
		"no base":          {"", "0", true, []string{"xbcheck report --from " + report + " --format markdown"}},
		"base, no change":  {base, "0", true, []string{"--compare " + base + " --format markdown", "xbcheck report --from " + report + " --format markdown"}},
		"base, worse":      {base, "1", true, []string{"--compare " + base, "xbcheck report --from " + report + " --format markdown"}},
		"base, bad input":  {base, "2", false, []string{"--compare " + base}},
		"base, no summary": {t.TempDir(), "0", true, []string{"xbcheck report --from " + report + " --format markdown"}},
	} {
		t.Run(name, func(t *testing.T) {
			summary := filepath.Join(t.TempDir(), "summary.md")
			cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "REPORT_DIR="+report, "BASE_REPORT="+tc.base,
				"GITHUB_STEP_SUMMARY="+summary, "GATEWAY_API_VERSION=v1.7.0", "COMPARE_EXIT="+tc.exit)
			out, err := cmd.CombinedOutput()
			written, _ := os.ReadFile(summary)
			if (err == nil) != tc.ok {
				t.Errorf("exit %v, want ok %v\n%s", err, tc.ok, out)
			}
			for _, want := range tc.want {
				if !strings.Contains(string(written), want) {
					t.Errorf("summary lacks %q:\n%s", want, written)
				}
			}
			if compared := strings.Contains(string(written), "--compare"); compared != (tc.want[0] != "xbcheck report --from "+report+" --format markdown") {
				t.Errorf("compared %v:\n%s", compared, written)
			}
		})
	}
}
