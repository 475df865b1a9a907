package runner

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// resultOf is the one place a Ginkgo spec becomes a verdict. ok is false
// for specs that are not part of the run: containers' nodes, and specs a
// filter left out (skipped without a reason).
func resultOf(sr types.SpecReport) (verdict.Result, bool) {
	if sr.LeafNodeType != types.NodeTypeIt {
		return verdict.Result{}, false
	}
	if sr.State == types.SpecStateSkipped && (sr.Failure.Message == "" || sr.Failure.Message == harness.NotMine) {
		return verdict.Result{}, false
	}
	var fault error
	sc, err := verdict.ScenarioFromLabels(sr.Labels())
	if err != nil {
		// A spec without its identity is the harness's fault.
		sc = verdict.Scenario{ShortName: sr.FullText(), Level: verdict.Must, Feature: verdict.FeatureResourceBackend}
		fault = verdict.HarnessErrorf("%w", err)
	}
	if sr.State == types.SpecStatePanicked {
		// The harness's own code panicked: whatever the implementation
		// did, the scenario's verdict cannot be trusted.
		fault = verdict.HarnessErrorf("panic: %s", sr.Failure.ForwardedPanic)
	}
	r := verdict.Result{Scenario: sc, State: sr.State.String(), RunTime: sr.RunTime, Message: readable(sr.Failure.Message)}
	switch {
	case sr.State == types.SpecStatePassed:
		r.Outcome = verdict.Passed
	case sr.State.Is(types.SpecStateFailureStates):
		r.Outcome = verdict.Failed
	default:
		r.Outcome = verdict.Skipped
	}
	for _, e := range sr.ReportEntries {
		switch e.Name {
		case harness.MeasurementEntry:
			r.Measurements = append(r.Measurements, e.StringRepresentation())
		case harness.TimingEntry:
			if ns, ok := e.GetRawValue().(int64); ok {
				r.Harness = time.Duration(ns)
			}
		case harness.FaultEntry:
			if err, ok := e.GetRawValue().(error); ok && verdict.IsHarnessError(err) && fault == nil {
				fault = err
			}
		}
	}
	if fault != nil {
		// Recognised by type: the harness, not the implementation, failed.
		r.Outcome, r.HarnessFault = verdict.Failed, true
		if !strings.HasPrefix(r.Message, fault.Error()) {
			r.Message = strings.TrimSpace(fault.Error() + "\n" + r.Message)
		}
	}
	return r, true
}

// gomegaLocation is the line Gomega adds to a failed Eventually or
// Consistently, naming the harness's source file: noise to the reader.
var gomegaLocation = regexp.MustCompile(`(?m)^The function passed to (Eventually|Consistently) failed at \S+ with:\n`)

// readable is a failure message without what only the harness's authors
// read.
func readable(message string) string { return gomegaLocation.ReplaceAllString(message, "") }

// ProgressLine formats one spec's outcome: verdict, level, ShortName,
// feature, time and, for failures and skips, the reason; OBSERVE
// measurements follow on the same line.
func ProgressLine(r verdict.Result) string {
	word := map[verdict.Outcome]string{verdict.Passed: "PASS", verdict.Failed: "FAIL", verdict.Skipped: "SKIP", verdict.NotSupported: "N/S"}[r.Outcome]
	width := 0
	for _, f := range verdict.Features() {
		width = max(width, len(f.Name))
	}
	line := fmt.Sprintf("%-4s  %-7s  %-50s  %-*s  %6.2fs", word, r.Level, r.ShortName, width, r.Feature, r.RunTime.Seconds())
	if reason := r.Reason(); reason != "" && r.Outcome != verdict.Passed {
		if r.Outcome == verdict.NotSupported {
			reason = "not claimed, so not supported: " + reason
		}
		line += "  " + reason
	}
	if len(r.Measurements) > 0 {
		line += "  " + strings.Join(r.Measurements, "; ")
	}
	return line
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return first
}
