package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"

	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/suites"
)

// Files of a report folder.
const (
	SummaryFile     = "summary.json"
	ConformanceFile = "conformance-report.yaml"
	HTMLFile        = "report.html"
	EvidenceDir     = "evidence"
)

// Outcome is a spec's verdict as reports count it.
type Outcome string

const (
	Passed  Outcome = "passed"
	Failed  Outcome = "failed"
	Skipped Outcome = "skipped"
)

// Run is a run as summary.json keeps it: everything the reports are built
// from, besides the evidence files.
type Run struct {
	Implementation confv1.Implementation `json:"implementation"`
	// Tested says how the implementation ran, e.g. "reference gateway (in-process)".
	Tested            string    `json:"tested,omitempty"`
	GatewayClass      string    `json:"gatewayClass,omitempty"`
	Date              time.Time `json:"date"`
	GatewayAPIVersion string    `json:"gatewayAPIVersion"`
	GatewayAPIChannel string    `json:"gatewayAPIChannel"`
	// SupportedFeatures are the features specs ran for; FeatureSource says
	// where that list came from.
	SupportedFeatures []suites.Feature `json:"supportedFeatures"`
	FeatureSource     string           `json:"featureSource,omitempty"`
	Results           []Result         `json:"results"`
	HarnessErrors     []string         `json:"harnessErrors,omitempty"`
	Duration          time.Duration    `json:"durationNanoseconds"`
}

// Result is one spec's outcome.
type Result struct {
	ShortName string         `json:"shortName"`
	Level     suites.Level   `json:"level"`
	Feature   suites.Feature `json:"feature"`
	Outcome   Outcome        `json:"outcome"`
	// State is Ginkgo's, e.g. "timedout" for a failure by timeout.
	State        string        `json:"state"`
	RunTime      time.Duration `json:"runTimeNanoseconds"`
	Message      string        `json:"message,omitempty"`
	Measurements []string      `json:"measurements,omitempty"`
}

// NewRun turns a runner's Summary into a Run.
func NewRun(s runner.Summary, impl confv1.Implementation, date time.Time) Run {
	r := Run{
		Implementation:    impl,
		Tested:            s.Implementation,
		GatewayClass:      s.GatewayClass,
		Date:              date.UTC(),
		GatewayAPIVersion: s.GatewayAPIVersion,
		GatewayAPIChannel: s.GatewayAPIChannel,
		FeatureSource:     s.Features.Source,
		HarnessErrors:     s.HarnessErrors,
		Duration:          s.Duration,
	}
	for _, f := range suites.Features {
		if s.Features.Supports(f) {
			r.SupportedFeatures = append(r.SupportedFeatures, f)
		}
	}
	for _, res := range s.Results {
		out := Skipped
		switch {
		case res.State == types.SpecStatePassed:
			out = Passed
		case res.State.Is(types.SpecStateFailureStates):
			out = Failed
		}
		r.Results = append(r.Results, Result{
			ShortName:    res.ShortName,
			Level:        res.Level,
			Feature:      res.Feature,
			Outcome:      out,
			State:        res.State.String(),
			RunTime:      res.RunTime,
			Message:      res.Message,
			Measurements: res.Measurements,
		})
	}
	return r
}

// OK reports whether the run passes: no MUST spec failed and the harness
// worked (runner.Summary.OK's rule).
func (r Run) OK() bool {
	if len(r.HarnessErrors) > 0 {
		return false
	}
	for _, res := range r.Results {
		if res.Level == suites.Must && res.Outcome == Failed {
			return false
		}
	}
	return true
}

// Count returns how many specs had each outcome.
func (r Run) Count(o Outcome) int {
	n := 0
	for _, res := range r.Results {
		if res.Outcome == o {
			n++
		}
	}
	return n
}

// supports reports whether specs of f ran.
func (r Run) supports(f suites.Feature) bool {
	for _, s := range r.SupportedFeatures {
		if s == f {
			return true
		}
	}
	return false
}

// ReadRun reads dir's summary.json.
func ReadRun(dir string) (Run, error) {
	var r Run
	data, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if os.IsNotExist(err) {
		return r, fmt.Errorf("%s has no %s; give the --report-output folder of an `xbcheck run`", dir, SummaryFile)
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("%s: %v; it was not written by xbcheck, or was edited", filepath.Join(dir, SummaryFile), err)
	}
	return r, nil
}

// readEvidence reads dir's evidence/<ShortName>.json for each result. A
// spec without a file (skipped before it started) has none; a file that
// cannot be read is reported in the map of errors, not fatal.
func readEvidence(dir string, results []Result) (map[string]*suites.Evidence, map[string]string) {
	docs, problems := map[string]*suites.Evidence{}, map[string]string{}
	for _, res := range results {
		data, err := os.ReadFile(filepath.Join(dir, EvidenceDir, res.ShortName+".json"))
		if os.IsNotExist(err) {
			continue
		}
		var doc suites.Evidence
		if err == nil {
			err = json.Unmarshal(data, &doc)
		}
		if err != nil {
			problems[res.ShortName] = err.Error()
			continue
		}
		docs[res.ShortName] = &doc
	}
	return docs, problems
}
