package runner

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites"
)

func specReport(state types.SpecState, message string, labels ...string) types.SpecReport {
	return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeLabels: labels, State: state, Failure: types.Failure{Message: message}}
}

func TestVerdictsCountOutcomesByLevel(t *testing.T) {
	r := ginkgo.Report{SpecReports: []types.SpecReport{
		specReport(types.SpecStatePassed, "", "A", "MUST", "ResourceBackend"),
		specReport(types.SpecStateFailed, "boom", "B", "SHOULD", "ResourceBackend"),
		specReport(types.SpecStateSkipped, "needs the sandbox", "C", "MUST", "ResourceBackend"),
		specReport(types.SpecStateSkipped, "", "D", "MUST", "ResourceBackend"), // filtered out
		specReport(types.SpecStateTimedout, "slow", "E", "OBSERVE", "ResourceBackend"),
	}}
	run := verdicts(r, verdict.FeatureSet{})
	if got := run.ClosingLine(); got != "1 passed, 2 failed, 1 skipped" {
		t.Fatalf("closing line %q", got)
	}
	if !run.OK() {
		t.Fatal("failed SHOULD and OBSERVE specs are no verdict: the run must still pass")
	}
	r.SpecReports = append(r.SpecReports, specReport(types.SpecStateFailed, "boom", "F", "MUST", "ResourceBackend"))
	if run := verdicts(r, verdict.FeatureSet{}); run.OK() || len(run.Failing(verdict.Must)) != 1 {
		t.Fatalf("a failed MUST spec must fail the run: %+v", run)
	}
}

func TestHarnessErrorInsideASpecFailsTheRun(t *testing.T) {
	run := verdicts(ginkgo.Report{SpecReports: []types.SpecReport{
		specReport(types.SpecStateFailed, "Failed after 0.1s.\nharness error: canary not reachable", "A", "SHOULD", "ResourceBackend"),
	}}, verdict.FeatureSet{})
	if run.OK() || len(run.HarnessErrors) != 1 || !strings.Contains(run.HarnessErrors[0], "A: harness error: canary not reachable") {
		t.Fatalf("a SHOULD spec whose positive control failed must fail the run as a harness error: %+v", run)
	}
}

func TestVerdictsReportSuiteFailures(t *testing.T) {
	run := verdicts(ginkgo.Report{SpecReports: []types.SpecReport{
		{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "no cluster\nmore"}},
	}}, verdict.FeatureSet{})
	if run.OK() || len(run.HarnessErrors) != 1 || !strings.Contains(run.HarnessErrors[0], "no cluster") {
		t.Fatalf("a failed BeforeSuite must fail the run with its reason: %+v", run)
	}
}

func TestProgressLineShowsReasonAndMeasurements(t *testing.T) {
	r := verdict.Result{Scenario: verdict.Scenario{ShortName: "DNSTTLFollowDelay", Level: verdict.Observe, Feature: verdict.FeatureDNSRebindingProtection},
		Outcome: verdict.Passed, RunTime: 3 * time.Second, Measurements: []string{"seconds until new connections follow: 3.0"}}
	if line := ProgressLine(r); !strings.HasPrefix(line, "PASS  OBSERVE") || !strings.HasSuffix(line, "seconds until new connections follow: 3.0") {
		t.Errorf("progress line %q", line)
	}
	r = verdict.Result{Scenario: verdict.Scenario{ShortName: "X", Level: verdict.Must, Feature: verdict.FeatureTLS},
		Outcome: verdict.Failed, Message: "Timed out after 30s.\nthe upstream saw cleartext\nExpected..."}
	if line := ProgressLine(r); !strings.HasPrefix(line, "FAIL  MUST") || !strings.HasSuffix(line, "the upstream saw cleartext") {
		t.Errorf("progress line %q", line)
	}
}

func TestValidateFilter(t *testing.T) {
	families := suites.Families()
	for _, ok := range []string{"", "MUST", "must && !SHOULD", "AdmissionRejectsPortZero || ResourceBackendExternalHostname", "/Admission/", "level: containsAny MUST"} {
		if err := validateFilter(families, ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for filter, want := range map[string]string{
		"MUST && Nope": `unknown label "Nope"`,
		"MUST && (":    "Syntax Error",
	} {
		err := validateFilter(families, filter)
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
	want := verdict.Scenario{ShortName: "AdmissionRejectsPortZero", Level: verdict.Must, Feature: verdict.FeatureExternalHostname}
	if len(specs) != 1 || specs[0] != want {
		t.Fatalf("got %+v, want only %+v", specs, want)
	}
	specs, err = Preview(Options{Focus: []string{"subjectAltNames"}})
	if err != nil || len(specs) != 4 {
		t.Fatalf("--focus subjectAltNames selected %+v (%v), want the 4 TLSSAN specs", specs, err)
	}
}
