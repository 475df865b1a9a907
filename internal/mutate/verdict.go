package mutate

import (
	"fmt"
	"time"

	"github.com/xbcheck/xbcheck/internal/report"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/reference/faults"
)

// Outcome is what one run (the baseline or a mutant) showed.
type Outcome struct {
	Fault faults.Info
	// Killers are the MUST and SHOULD specs that failed, in run order: a
	// run stops at the first MUST failure, so it holds at most one MUST.
	Killers []verdict.Scenario
	// HarnessErrors are failures outside any spec: they kill nothing.
	HarnessErrors []string
	// Err is why the child gave no verdicts (it crashed, was stopped, or
	// wrote no summary).
	Err error
	// Log is the child's output.
	Log      string
	Duration time.Duration
}

// Killed reports whether a MUST or SHOULD spec failed against the mutant.
func (o Outcome) Killed() bool { return len(o.Killers) > 0 }

// KillLevel is the strongest level of the specs that killed the mutant:
// MUST when a vendor's run would fail on this bug, SHOULD when the bug
// only draws a warning, "" when it survived.
func (o Outcome) KillLevel() verdict.Level {
	level := verdict.Level("")
	for _, k := range o.Killers {
		if k.Level == verdict.Must {
			return verdict.Must
		}
		level = verdict.Should
	}
	return level
}

// killers lists the MUST and SHOULD specs the run failed, in run order.
// Failures of features the mutant's class does not claim cannot happen: a
// mutant's run claims the reference's features.
func killers(run report.Run) []verdict.Scenario {
	var out []verdict.Scenario
	for _, r := range run.Failing(verdict.Must, verdict.Should) {
		out = append(out, r.Scenario)
	}
	return out
}

// names lists the ShortNames of scenarios.
func names(ss []verdict.Scenario) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ShortName
	}
	return out
}

// Report is the outcome of a mutation run.
type Report struct {
	Baseline Outcome
	// Mutants are in the order of the faults given.
	Mutants  []Outcome
	Duration time.Duration
}

// Counts returns how many mutants a MUST spec killed, how many only a
// SHOULD spec killed, and how many survived (a mutant whose run broke has
// not been shown to be killed: it survived).
func (r Report) Counts() (byMust, onlyByShould, survived int) {
	for _, m := range r.Mutants {
		switch m.KillLevel() {
		case verdict.Must:
			byMust++
		case verdict.Should:
			onlyByShould++
		default:
			survived++
		}
	}
	return byMust, onlyByShould, survived
}

// CountsLine is the last line of a mutation run; tools parse it.
func (r Report) CountsLine() string {
	must, should, survived := r.Counts()
	return fmt.Sprintf("mutants: %d killed (%d by a MUST scenario, %d only by a SHOULD scenario), %d survived", must+should, must, should, survived)
}

// Slowest is the mutant whose run took longest.
func (r Report) Slowest() (Outcome, bool) {
	var slow Outcome
	for _, m := range r.Mutants {
		if m.Duration > slow.Duration {
			slow = m
		}
	}
	return slow, len(r.Mutants) > 0
}
