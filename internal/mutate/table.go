package mutate

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xbcheck/xbcheck/internal/verdict"
)

// verdict is the table's last column: the killing specs, or why not.
func (o Outcome) verdict() string {
	switch {
	case o.Killed():
		return string(o.KillLevel()) + ": " + strings.Join(names(o.Killers), ", ")
	case o.Err != nil:
		return "SURVIVED (run broke: " + o.Err.Error() + ")"
	case len(o.HarnessErrors) > 0:
		return "SURVIVED (" + verdict.HarnessErrorf("%s", o.HarnessErrors[0]).Error() + ")"
	default:
		return "SURVIVED"
	}
}

// WriteTable prints one row per mutant (fault, the bug it imitates, the
// specs that killed it, led by the strongest level, or SURVIVED), the
// timings, and last, alone on its line, the counts.
func (r Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tTIME\tKILLED BY\tBUG IT IMITATES")
	for _, m := range r.Mutants {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Fault.Name, m.Duration.Round(time.Second), m.verdict(), m.Fault.Description)
	}
	tw.Flush()
	fmt.Fprintln(w, r.timingLine())
	fmt.Fprintln(w, r.CountsLine())
}

// timingLine is how long the baseline, the whole run and its slowest
// mutant took.
func (r Report) timingLine() string {
	line := fmt.Sprintf("baseline: %s; total wall time: %s", r.Baseline.Duration.Round(time.Second), r.Duration.Round(time.Second))
	if slow, ok := r.Slowest(); ok {
		line += fmt.Sprintf("; slowest mutant: %s (%s)", slow.Fault.Name, slow.Duration.Round(time.Second))
	}
	return line
}

// WriteMarkdown writes the kill matrix as a Markdown table: fault, the bug
// it imitates, the level that killed it (MUST: a vendor's run fails; SHOULD:
// only a warning), the specs that killed it; then the run's timings, so the
// document says what the run that generated it measured, and the counts.
func (r Report) WriteMarkdown(w io.Writer) {
	fmt.Fprintln(w, "| fault | bug it imitates | killed at | killed by |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, m := range r.Mutants {
		level, v := "**SURVIVED**", ""
		if m.Killed() {
			level = string(m.KillLevel())
			if m.KillLevel() == verdict.Should {
				level = "SHOULD only"
			}
			v = "`" + strings.Join(names(m.Killers), "`, `") + "`"
		}
		fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", m.Fault.Name, escapeCell(m.Fault.Description), level, v)
	}
	fmt.Fprintf(w, "\n%s\n\n%s\n", r.timingLine(), r.CountsLine())
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Markers delimit the generated kill matrix in a Markdown document.
const (
	StartMarker = "<!-- kill-matrix:start -->"
	EndMarker   = "<!-- kill-matrix:end -->"
)

// ReplaceSection puts matrix between the markers of doc, replacing what
// was there. ok is false when doc lacks the markers in that order.
func ReplaceSection(doc, matrix string) (_ string, ok bool) {
	before, rest, found := strings.Cut(doc, StartMarker)
	if !found {
		return doc, false
	}
	_, after, found := strings.Cut(rest, EndMarker)
	if !found {
		return doc, false
	}
	return before + StartMarker + "\n" + strings.TrimSpace(matrix) + "\n" + EndMarker + after, true
}
