package mutate

import (
	"time"

	"github.com/xbcheck/xbcheck/internal/report"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/reference/faults"
)

// Outcome is what one run (the baseline or a mutant) showed.
type Outcome struct {
	Fault faults.Info
	// Killers are the ShortNames of the MUST and SHOULD specs that failed.
	Killers []string
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

// killers lists the MUST and SHOULD specs the run failed, in run order.
func killers(run report.Run) []string {
	var out []string
	for _, r := range run.Failing(verdict.Must, verdict.Should) {
		out = append(out, r.ShortName)
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

// Counts returns how many mutants were killed and how many survived (a
// mutant whose run broke has not been shown to be killed: it survived).
func (r Report) Counts() (killed, survived int) {
	for _, m := range r.Mutants {
		if m.Killed() {
			killed++
		} else {
			survived++
		}
	}
	return killed, survived
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
