package runner

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
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
	// Measurements are the OBSERVE values the spec reported.
	Measurements []string
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
	// ReportInputs describe the run for reports (see report_inputs.go).
	ReportInputs
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
		for _, e := range sr.ReportEntries {
			if e.Name == suites.MeasurementEntry {
				res.Measurements = append(res.Measurements, e.StringRepresentation())
			}
		}
		switch {
		case sr.State == types.SpecStatePassed:
			s.Passed++
		case sr.State.Is(types.SpecStateFailureStates):
			s.Failed++
			if sc.Level == suites.Must {
				s.MustFailed++
			}
			// A failed positive control proves nothing about the
			// implementation, whatever the spec's level: the run fails.
			if msg := suites.FailureReason(sr.Failure.Message); strings.HasPrefix(msg, suites.HarnessErrorPrefix) {
				s.HarnessErrors = append(s.HarnessErrors, sc.ShortName+": "+msg)
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

// WriteTable prints verdicts by feature and level, the OBSERVE
// measurements, and any harness error.
func (s Summary) WriteTable(w io.Writer) {
	type key struct {
		f suites.Feature
		l suites.Level
	}
	counts := map[key]*[3]int{}
	for _, r := range s.Results {
		k := key{r.Feature, r.Level}
		if counts[k] == nil {
			counts[k] = &[3]int{}
		}
		switch {
		case r.State == types.SpecStatePassed:
			counts[k][0]++
		case r.State.Is(types.SpecStateFailureStates):
			counts[k][1]++
		default:
			counts[k][2]++
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nFEATURE\tLEVEL\tPASSED\tFAILED\tSKIPPED")
	for _, f := range suites.Features {
		for _, l := range suites.Levels {
			if c := counts[key{f, l}]; c != nil {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", f, l, c[0], c[1], c[2])
			}
		}
	}
	tw.Flush()
	var measured []Result
	for _, r := range s.Results {
		if len(r.Measurements) > 0 {
			measured = append(measured, r)
		}
	}
	if len(measured) > 0 {
		fmt.Fprintln(w, "\nOBSERVE measurements:")
		for _, r := range measured {
			for _, m := range r.Measurements {
				fmt.Fprintf(w, "  %s: %s\n", r.ShortName, m)
			}
		}
	}
	for _, e := range s.HarnessErrors {
		fmt.Fprintln(w, "harness error: "+e)
	}
}
