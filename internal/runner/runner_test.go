package runner

import (
	"errors"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/xbcheck/xbcheck/suites"
)

func specReport(state types.SpecState, message string, labels ...string) types.SpecReport {
	return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeLabels: labels, State: state, Failure: types.Failure{Message: message}}
}

func TestSummarizeCountsVerdictsByLevel(t *testing.T) {
	r := ginkgo.Report{SpecReports: []types.SpecReport{
		specReport(types.SpecStatePassed, "", "A", "MUST", "ResourceBackend"),
		specReport(types.SpecStateFailed, "boom", "B", "SHOULD", "ResourceBackend"),
		specReport(types.SpecStateSkipped, "needs the sandbox", "C", "MUST", "ResourceBackend"),
		specReport(types.SpecStateSkipped, "", "D", "MUST", "ResourceBackend"), // filtered out
	}}
	s := Summarize(r)
	if got := s.ClosingLine(); got != "1 passed, 1 failed, 1 skipped" {
		t.Fatalf("closing line %q", got)
	}
	if !s.OK() {
		t.Fatal("a failed SHOULD spec is a warning: the run must still pass")
	}
	r.SpecReports = append(r.SpecReports, specReport(types.SpecStateFailed, "boom", "E", "MUST", "ResourceBackend"))
	if s := Summarize(r); s.OK() || s.MustFailed != 1 {
		t.Fatalf("a failed MUST spec must fail the run: %+v", s)
	}
}

func TestHarnessErrorInsideASpecFailsTheRun(t *testing.T) {
	r := ginkgo.Report{SpecReports: []types.SpecReport{
		specReport(types.SpecStateFailed, "Failed after 0.1s.\nharness error: canary not reachable", "A", "SHOULD", "ResourceBackend"),
	}}
	s := Summarize(r)
	if s.OK() || len(s.HarnessErrors) != 1 || !strings.Contains(s.HarnessErrors[0], "A: harness error: canary not reachable") {
		t.Fatalf("a SHOULD spec whose positive control failed must fail the run as a harness error: %+v", s)
	}
}

func TestSummarizeReportsHarnessErrors(t *testing.T) {
	r := ginkgo.Report{SpecReports: []types.SpecReport{
		{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "no cluster\nmore"}},
	}}
	s := Summarize(r)
	if s.OK() || len(s.HarnessErrors) != 1 || !strings.Contains(s.HarnessErrors[0], "no cluster") {
		t.Fatalf("a failed BeforeSuite must fail the run with its reason: %+v", s)
	}
}

func TestValidateFilter(t *testing.T) {
	for _, ok := range []string{"", "MUST", "must && !SHOULD", "AdmissionRejectsPortZero || ResourceBackendExternalHostname", "/Admission/", "level: containsAny MUST"} {
		if err := validateFilter(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for filter, want := range map[string]string{
		"MUST && Nope": `unknown label "Nope"`,
		"MUST && (":    "Syntax Error",
	} {
		err := validateFilter(filter)
		var usage UsageError
		if err == nil || !errors.As(err, &usage) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want a usage error containing %q, got %v", filter, want, err)
		}
	}
}

func TestPreviewListsDeclaredSpecs(t *testing.T) {
	specs, err := Preview(Options{LabelFilter: "AdmissionRejectsPortZero"})
	if err != nil {
		t.Fatal(err)
	}
	want := suites.Scenario{ShortName: "AdmissionRejectsPortZero", Level: suites.Must, Feature: suites.FeatureExternalHostname}
	if len(specs) != 1 || specs[0] != want {
		t.Fatalf("got %+v, want only %+v", specs, want)
	}
}
