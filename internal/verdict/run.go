package verdict

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Outcome is a spec's verdict.
type Outcome string

const (
	Passed  Outcome = "passed"
	Failed  Outcome = "failed"
	Skipped Outcome = "skipped"
	// NotSupported is a failure of an extended feature the implementation
	// does not claim: reported, with the failure, but no verdict.
	NotSupported Outcome = "not-supported"
)

// Judge applies the claims to a spec's raw outcome: a failure of an
// extended feature the implementation does not claim is NotSupported,
// unless the requirement is fail-closed.
func Judge(r Result, claimed FeatureSet) Result {
	if r.Outcome == Failed && !r.FailClosed && !claimed.Claims(r.Feature) && !r.HarnessError() {
		r.Outcome = NotSupported
	}
	return r
}

// Result is one spec's outcome.
type Result struct {
	Scenario
	Outcome Outcome `json:"outcome"`
	// State is the runner's own word for how the spec ended, e.g.
	// "timedout" for a failure by timeout.
	State   string        `json:"state"`
	RunTime time.Duration `json:"runTimeNanoseconds"`
	// Harness is the part of RunTime spent in the harness's own work
	// (objects written, fakes started and read); the rest was spent
	// waiting for the implementation.
	Harness time.Duration `json:"harnessNanoseconds,omitempty"`
	// Message is the failure or skip reason.
	Message string `json:"message,omitempty"`
	// Measurements are the OBSERVE values the spec reported.
	Measurements []string `json:"measurements,omitempty"`
	// HarnessFault says the failure is the harness's, not the
	// implementation's: the scenario ended with a HarnessError (or a
	// panic in the harness's code). The runner sets it from the error's
	// type.
	HarnessFault bool `json:"harnessFault,omitempty"`
}

// Reason is the line of the message that says why the spec failed or was
// skipped.
func (r Result) Reason() string { return FailureReason(r.Message) }

// HarnessError reports whether the spec failed by a fault of the harness
// (its positive control failed, a fake did not start...), not of the
// implementation.
func (r Result) HarnessError() bool {
	return r.Outcome == Failed && r.HarnessFault
}

// Run is the verdicts of one run.
type Run struct {
	Results []Result `json:"results"`
	// HarnessErrors are failures outside any spec (suite setup, reporting,
	// the implementation exiting) and specs whose positive control failed:
	// the run proves nothing.
	HarnessErrors []string      `json:"harnessErrors,omitempty"`
	Duration      time.Duration `json:"durationNanoseconds"`
}

// AddResult appends r, counting a failed positive control as a harness
// error too.
func (run *Run) AddResult(r Result) {
	run.Results = append(run.Results, r)
	if r.HarnessError() {
		run.HarnessErrors = append(run.HarnessErrors, r.ShortName+": "+r.Reason())
	}
}

// OK is the rule: a run passes when a spec of the core features ran, no
// MUST spec failed and the harness itself worked. SHOULD failures are
// warnings; OBSERVE specs measure; NotSupported results have no verdict.
func (run Run) OK() bool {
	return len(run.HarnessErrors) == 0 && len(run.Failing(Must)) == 0 && run.Vacuous() == ""
}

// Vacuous says why the run certifies nothing, or "": no spec of a core
// feature ran (passed or failed), whatever was skipped or filtered out.
func (run Run) Vacuous() string {
	for _, r := range run.Results {
		if r.Feature.Core() && (r.Outcome == Passed || r.Outcome == Failed) {
			return ""
		}
	}
	var core []string
	for _, f := range Features() {
		if f.Core {
			core = append(core, string(f.Name))
		}
	}
	return fmt.Sprintf("no scenario of the core features (%s) ran, so the run certifies nothing; select some (e.g. --label-filter %s) or see why they were skipped",
		strings.Join(core, ", "), core[0])
}

// Failing lists the failures charged to the implementation of the given
// levels (every level when none is given), in run order: harness errors
// are not among them (they are in HarnessErrors).
func (run Run) Failing(levels ...Level) []Result {
	var out []Result
	for _, r := range run.Results {
		if r.Outcome != Failed || r.HarnessError() {
			continue
		}
		if len(levels) == 0 || slices.Contains(levels, r.Level) {
			out = append(out, r)
		}
	}
	return out
}

// Count returns how many specs had outcome o.
func (run Run) Count(o Outcome) int {
	n := 0
	for _, r := range run.Results {
		if r.Outcome == o {
			n++
		}
	}
	return n
}

// ClosingLine is the last line `xbcheck run` prints; tools parse it. Specs
// of unclaimed features that failed are counted as skipped there (they are
// listed as not supported above it).
func (run Run) ClosingLine() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", run.Count(Passed), run.Count(Failed), run.Count(Skipped)+run.Count(NotSupported))
}

// FailureReason is the first line of a failure or skip message that says
// why, passing over Gomega's "Timed out after 30s." style headers.
func FailureReason(message string) string {
	for line := range strings.SplitSeq(strings.TrimSpace(message), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || gomegaHeader.MatchString(line) {
			continue
		}
		return line
	}
	return ""
}

var gomegaHeader = regexp.MustCompile(`^(Timed out after|Failed after) [0-9.]+[a-zµ]*s\.$`)
