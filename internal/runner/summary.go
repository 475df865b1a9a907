package runner

import (
	"fmt"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/xbcheck/xbcheck/suites"
)

// Result is one spec's outcome.
type Result struct {
	suites.Scenario
	State   types.SpecState
	RunTime time.Duration
	// Message is the failure or skip reason.
	Message string
}

// Summary is the verdict of a run.
type Summary struct {
	Results                 []Result
	Passed, Failed, Skipped int
	// MustFailed counts failed MUST specs: they alone fail a run.
	MustFailed int
	// HarnessErrors are failures outside any spec (suite setup, reporting):
	// the run proves nothing and fails.
	HarnessErrors []string
	Duration      time.Duration
}

// Summarize turns a Ginkgo report into verdicts. Specs left out by a
// filter are not counted; specs skipped with a reason are.
func Summarize(r ginkgo.Report) Summary {
	var s Summary
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			if sr.State.Is(types.SpecStateFailureStates) {
				s.HarnessErrors = append(s.HarnessErrors, fmt.Sprintf("%s: %s", sr.LeafNodeType, firstLine(sr.Failure.Message)))
			}
			continue
		}
		sc, err := suites.ScenarioFromLabels(sr.Labels())
		if err != nil {
			s.HarnessErrors = append(s.HarnessErrors, err.Error())
			continue
		}
		res := Result{Scenario: sc, State: sr.State, RunTime: sr.RunTime, Message: sr.Failure.Message}
		switch {
		case sr.State == types.SpecStatePassed:
			s.Passed++
		case sr.State.Is(types.SpecStateFailureStates):
			s.Failed++
			if sc.Level == suites.Must {
				s.MustFailed++
			}
		case sr.State == types.SpecStateSkipped && sr.Failure.Message == "":
			continue // filtered out: not part of this run
		default:
			s.Skipped++
		}
		s.Results = append(s.Results, res)
	}
	return s
}

// OK reports whether the run passes: no MUST spec failed and the harness
// itself worked.
func (s Summary) OK() bool { return s.MustFailed == 0 && len(s.HarnessErrors) == 0 }

// ClosingLine is the last line `xbcheck run` prints; tools parse it.
func (s Summary) ClosingLine() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", s.Passed, s.Failed, s.Skipped)
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return first
}
