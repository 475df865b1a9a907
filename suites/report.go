package suites

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
)

// Prints one progress line per spec as it ends, so a vendor watching a long
// run sees which requirement passed, failed or was skipped, and why.
var _ = ReportAfterEach(func(r SpecReport) {
	if config.Progress == nil || r.LeafNodeType != types.NodeTypeIt {
		return
	}
	if r.State == types.SpecStateSkipped && r.Failure.Message == "" {
		return // left out by a filter, not skipped for a reason
	}
	s, err := ScenarioFromLabels(r.Labels())
	if err != nil {
		fmt.Fprintf(config.Progress, "?     %s: %v\n", r.FullText(), err)
		return
	}
	fmt.Fprintln(config.Progress, ProgressLine(s, r.State, r.RunTime, r.Failure.Message))
})

// Hands the whole report to the caller, which tallies verdicts and writes
// its own reports from it.
var _ = ReportAfterSuite("xbcheck report", func(r Report) {
	if config.OnReport != nil {
		config.OnReport(r)
	}
})

// ProgressLine formats one spec's outcome: verdict, level, ShortName,
// feature, time and, for failures and skips, the first line of the reason.
func ProgressLine(s Scenario, state types.SpecState, d time.Duration, message string) string {
	verdict := map[types.SpecState]string{
		types.SpecStatePassed:      "PASS",
		types.SpecStateSkipped:     "SKIP",
		types.SpecStatePending:     "SKIP",
		types.SpecStateFailed:      "FAIL",
		types.SpecStatePanicked:    "FAIL",
		types.SpecStateTimedout:    "FAIL",
		types.SpecStateInterrupted: "FAIL",
		types.SpecStateAborted:     "FAIL",
	}[state]
	if verdict == "" {
		verdict = strings.ToUpper(state.String())
	}
	line := fmt.Sprintf("%-4s  %-7s  %-50s  %-32s  %6.2fs", verdict, s.Level, s.ShortName, s.Feature, d.Seconds())
	if reason := FailureReason(message); reason != "" && verdict != "PASS" {
		line += "  " + reason
	}
	return line
}

// HarnessErrorPrefix starts the message of a spec whose positive control
// failed: the harness, not the implementation, is at fault.
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
