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
)

// Result is one spec's outcome.
type Result struct {
	Scenario
	Outcome Outcome `json:"outcome"`
	// State is the runner's own word for how the spec ended, e.g.
	// "timedout" for a failure by timeout.
	State   string        `json:"state"`
	RunTime time.Duration `json:"runTimeNanoseconds"`
	// Message is the failure or skip reason.
	Message string `json:"message,omitempty"`
	// Measurements are the OBSERVE values the spec reported.
	Measurements []string `json:"measurements,omitempty"`
}

// Reason is the line of the message that says why the spec failed or was
// skipped.
func (r Result) Reason() string { return FailureReason(r.Message) }

// HarnessError reports whether the spec failed because its positive
// control did: the harness, not the implementation, is at fault.
func (r Result) HarnessError() bool {
	return r.Outcome == Failed && strings.HasPrefix(r.Reason(), HarnessErrorPrefix)
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

// OK is the rule: a run passes when no MUST spec failed and the harness
// itself worked. SHOULD failures are warnings; OBSERVE specs measure.
func (run Run) OK() bool {
	return len(run.HarnessErrors) == 0 && len(run.Failing(Must)) == 0
}

// Failing lists the failed results of the given levels (every level when
// none is given), in run order.
func (run Run) Failing(levels ...Level) []Result {
	var out []Result
	for _, r := range run.Results {
		if r.Outcome != Failed {
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

// ClosingLine is the last line `xbcheck run` prints; tools parse it.
func (run Run) ClosingLine() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", run.Count(Passed), run.Count(Failed), run.Count(Skipped))
}

// HarnessErrorPrefix starts the message of a spec whose positive control
// failed.
const HarnessErrorPrefix = "harness error:"

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
