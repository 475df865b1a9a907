package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xbcheck/xbcheck/internal/verdict"
)

// WriteText prints what `xbcheck run` shows before its closing line: the
// message of every failed scenario, the verdicts by feature and level, the
// OBSERVE measurements, any harness error, and where the time went.
func WriteText(w io.Writer, r Run) {
	writeFailures(w, r)
	counts := countOutcomes(r)
	fmt.Fprintf(w, "\nverdicts on Gateway API %s %s\n", or(r.GatewayAPIVersion, "(version not recorded)"), r.GatewayAPIChannel)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FEATURE\tNAMED BY\tLEVEL\tPASSED\tFAILED\tNOT SUPPORTED\tSKIPPED")
	for _, f := range verdict.Features() {
		named := string(f.Origin)
		if !r.supports(f.Name) {
			named += ", not claimed"
		}
		for _, l := range verdict.Levels() {
			if c := counts[featureLevel{f.Name, l}]; c != nil {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\n", f.Name, named, l, c[verdict.Passed], c[verdict.Failed], c[verdict.NotSupported], c[verdict.Skipped])
			}
		}
	}
	tw.Flush()
	printed := false
	for _, res := range r.Results {
		for _, m := range res.Measurements {
			if !printed {
				fmt.Fprintln(w, "\nOBSERVE measurements:")
				printed = true
			}
			fmt.Fprintf(w, "  %s: %s\n", res.ShortName, m)
		}
	}
	writeHarnessErrors(w, r)
	if why := r.Vacuous(); why != "" {
		fmt.Fprintln(w, "FAIL: "+why)
	}
	var scenarios, harness time.Duration
	for _, res := range r.Results {
		scenarios += res.RunTime
		harness += res.Harness
	}
	ratio := 0.0
	if r.Duration > 0 {
		ratio = scenarios.Seconds() / r.Duration.Seconds()
	}
	fmt.Fprintf(w, "\nsuite time %s; the scenarios took %s in all (%.1f× the suite time): %s waiting for the implementation, %s in the harness's own work\n",
		r.Duration.Round(10*time.Millisecond), scenarios.Round(10*time.Millisecond), ratio,
		(scenarios - harness).Round(10*time.Millisecond), harness.Round(10*time.Millisecond))
	writeNotRun(w, r)
}

// writeNotRun says, by reason, which scenarios the closing line counts
// as skipped: what the run could not execute, and why.
func writeNotRun(w io.Writer, r Run) {
	groups := r.NotRun()
	if len(groups) == 0 {
		return
	}
	n := 0
	for _, g := range groups {
		n += len(g.ShortNames)
	}
	fmt.Fprintf(w, "%d skipped, by reason (each scenario's reason in full is on its line above):\n", n)
	for _, g := range groups {
		names := strings.Join(g.ShortNames[:min(len(g.ShortNames), maxNotRunNames)], ", ")
		if more := len(g.ShortNames) - maxNotRunNames; more > 0 {
			names += fmt.Sprintf(", and %d more", more)
		}
		fmt.Fprintf(w, "  %3d  %s: %s\n", len(g.ShortNames), g.Reason, names)
	}
}

// maxNotRunNames bounds the scenarios named per reason before the closing
// line; the SKIP lines and the report name them all.
const maxNotRunNames = 5

// writeFailures prints the message of each failed scenario (and of each
// failure of an unclaimed feature), indented under its name.
func writeFailures(w io.Writer, r Run) {
	first := true
	for _, res := range r.Results {
		if res.Outcome != verdict.Failed && res.Outcome != verdict.NotSupported {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nFailures (the evidence of each is in the report folder):")
			first = false
		}
		what := string(res.Level)
		if res.Outcome == verdict.NotSupported {
			what = "not supported, " + what
		}
		fmt.Fprintf(w, "\n%s (%s, %s)\n", res.ShortName, what, res.Feature)
		lines := strings.Split(strings.TrimSpace(res.Message), "\n")
		if len(lines) > maxFailureLines {
			lines = append(lines[:maxFailureLines], fmt.Sprintf("... (%d more lines in summary.json)", len(lines)-maxFailureLines))
		}
		for _, l := range lines {
			fmt.Fprintln(w, "    "+l)
		}
	}
}

// maxFailureLines bounds a failure's message on the terminal.
const maxFailureLines = 20

// writeHarnessErrors prints the harness errors outside scenarios, and
// names the scenarios whose positive control failed (their messages are
// above).
func writeHarnessErrors(w io.Writer, r Run) {
	var named []string
	ofScenario := map[string]bool{}
	for _, res := range r.Results {
		if res.HarnessError() {
			named = append(named, res.ShortName)
			ofScenario[res.ShortName+": "+res.Reason()] = true
		}
	}
	for _, e := range r.HarnessErrors {
		if !ofScenario[e] {
			fmt.Fprintln(w, verdict.HarnessErrorf("%s", e))
		}
	}
	if len(named) > 0 {
		fmt.Fprintln(w, verdict.HarnessErrorf("the positive control of %s failed, so they prove nothing (their messages are above): %s", plural(len(named), "scenario", "scenarios"), strings.Join(named, ", ")))
	}
}

// featureLevel is a cell of the features × levels tables.
type featureLevel struct {
	f verdict.Feature
	l verdict.Level
}

// countOutcomes counts a run's outcomes by feature and level.
func countOutcomes(r Run) map[featureLevel]map[verdict.Outcome]int {
	counts := map[featureLevel]map[verdict.Outcome]int{}
	for _, res := range r.Results {
		k := featureLevel{res.Feature, res.Level}
		if counts[k] == nil {
			counts[k] = map[verdict.Outcome]int{}
		}
		counts[k][res.Outcome]++
	}
	return counts
}
