package runner

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites"
	"github.com/xbcheck/xbcheck/suites/harness"
)

func specReport(state types.SpecState, message string, labels ...string) types.SpecReport {
	return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeLabels: labels, State: state, Failure: types.Failure{Message: message}}
}

// finishAll feeds Ginkgo spec reports through the one mapping to verdicts
// into a scheduler, as a worker would.
func finishAll(sched *scheduler, reports ...types.SpecReport) verdict.Run {
	for _, sr := range reports {
		if r, ok := resultOf(sr); ok {
			sched.finish(0, r)
		}
	}
	return sched.verdicts()
}

func quietScheduler(claimed verdict.FeatureSet, failFast FailFast) *scheduler {
	return newScheduler(nil, claimed, failFast, newProgress(io.Discard, false, 0))
}

func TestVerdictsCountOutcomesByLevel(t *testing.T) {
	reports := []types.SpecReport{
		specReport(types.SpecStatePassed, "", "A", "MUST", "ResourceBackend"),
		specReport(types.SpecStateFailed, "boom", "B", "SHOULD", "ResourceBackend"),
		specReport(types.SpecStateSkipped, "needs the sandbox", "C", "MUST", "ResourceBackend"),
		specReport(types.SpecStateSkipped, "", "D", "MUST", "ResourceBackend"),              // filtered out
		specReport(types.SpecStateSkipped, harness.NotMine, "G", "MUST", "ResourceBackend"), // another worker's
		specReport(types.SpecStateTimedout, "slow", "E", "OBSERVE", "ResourceBackend"),
	}
	run := finishAll(quietScheduler(verdict.FeatureSet{}, ""), reports...)
	if got := run.ClosingLine(); got != "1 passed, 2 failed, 1 skipped" {
		t.Fatalf("closing line %q", got)
	}
	if !run.OK() {
		t.Fatal("failed SHOULD and OBSERVE scenarios are no verdict: the run must still pass")
	}
	reports = append(reports, specReport(types.SpecStateFailed, "boom", "F", "MUST", "ResourceBackend"))
	if run := finishAll(quietScheduler(verdict.FeatureSet{}, ""), reports...); run.OK() || len(run.Failing(verdict.Must)) != 1 {
		t.Fatalf("a failed MUST scenario must fail the run: %+v", run)
	}
}

func TestUnclaimedFeatureFailuresAreNotSupported(t *testing.T) {
	claimsNothing := verdict.FeatureSet{Claimed: map[verdict.Feature]bool{}}
	run := finishAll(quietScheduler(claimsNothing, ""),
		specReport(types.SpecStatePassed, "", "Core", "MUST", "ResourceBackend"),
		specReport(types.SpecStateFailed, "no SNI", "TLSPositive", "MUST", "ResourceBackendTLS"),
		specReport(types.SpecStateFailed, "plaintext", "TLSNegative", "MUST", "ResourceBackendTLS", verdict.FailClosedLabel),
	)
	if run.Count(verdict.NotSupported) != 1 || len(run.Failing(verdict.Must)) != 1 || run.Failing(verdict.Must)[0].ShortName != "TLSNegative" {
		t.Fatalf("want TLSPositive not supported and the fail-closed TLSNegative failed: %+v", run.Results)
	}
}

func TestHarnessErrorInsideASpecFailsTheRun(t *testing.T) {
	control := verdict.HarnessErrorf("canary not reachable")
	sr := specReport(types.SpecStateFailed, control.Error(), "A", "SHOULD", "ResourceBackend")
	sr.ReportEntries = types.ReportEntries{{Name: harness.FaultEntry, Value: types.WrapEntryValue(control)}}
	run := finishAll(quietScheduler(verdict.FeatureSet{}, ""), sr)
	if run.OK() || len(run.HarnessErrors) != 1 || run.HarnessErrors[0] != "A: "+control.Error() {
		t.Fatalf("a SHOULD scenario whose positive control failed must fail the run as a harness error: %+v", run)
	}
}

func TestSuiteFailuresAndLostWorkersAreHarnessErrors(t *testing.T) {
	sched := quietScheduler(verdict.FeatureSet{}, "")
	sched.harnessError(1, "BeforeSuite: no cluster")
	if !sched.claim(2, verdict.Scenario{ShortName: "Orphan"}) {
		t.Fatal("an unclaimed scenario was refused")
	}
	sched.lost(2, errors.New("exit status 2"))
	run := sched.verdicts()
	if run.OK() || len(run.HarnessErrors) != 2 || !strings.Contains(run.HarnessErrors[1], "Orphan") {
		t.Fatalf("want the suite failure and the lost scenario as harness errors: %q", run.HarnessErrors)
	}
}

func TestEachSpecIsClaimedOnce(t *testing.T) {
	sched := quietScheduler(verdict.FeatureSet{}, "")
	s := verdict.Scenario{ShortName: "A", Level: verdict.Must, Feature: verdict.FeatureResourceBackend}
	if !sched.claim(0, s) || sched.claim(1, s) || sched.claim(0, s) {
		t.Fatal("a scenario must be run by the first worker that claims it, and by no other")
	}
}

func TestFailFastStopsHandingOutSpecs(t *testing.T) {
	must := func(name string) verdict.Scenario {
		return verdict.Scenario{ShortName: name, Level: verdict.Must, Feature: verdict.FeatureResourceBackend}
	}
	for _, tc := range []struct {
		failFast FailFast
		failed   verdict.Level
		stops    bool
	}{
		{"", verdict.Must, false},
		{FailFastAny, verdict.Should, true},
		{FailFastMust, verdict.Should, false},
		{FailFastMust, verdict.Must, true},
	} {
		sched := quietScheduler(verdict.FeatureSet{}, tc.failFast)
		first := verdict.Scenario{ShortName: "First", Level: tc.failed, Feature: verdict.FeatureResourceBackend}
		sched.claim(0, first)
		sched.finish(0, verdict.Result{Scenario: first, Outcome: verdict.Failed, Message: "boom"})
		if got := !sched.claim(0, must("Next")); got != tc.stops {
			t.Errorf("--fail-fast=%q after a %s failure: stopped %t, want %t", tc.failFast, tc.failed, got, tc.stops)
		}
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
	if err != nil || len(specs) == 0 {
		t.Fatalf("--focus subjectAltNames selected %+v (%v), want the TLSSAN scenarios", specs, err)
	}
	for _, s := range specs {
		// The TLSSAN specs and the admission bounds of the list are the
		// ones whose text names subjectAltNames.
		if !strings.HasPrefix(s.ShortName, "TLSSAN") && !strings.Contains(s.ShortName, "SubjectAltNames") {
			t.Errorf("--focus subjectAltNames selected %s, whose text does not name subjectAltNames", s.ShortName)
		}
	}
}

func TestPriorityStartsFirstThenLongest(t *testing.T) {
	times := specTimes{seconds: map[string]float64{"Slow": 7, "Quick": 0.2}, first: []string{"Killer", "Quick"}}
	sc := func(name string, failClosed bool) verdict.Scenario {
		return verdict.Scenario{ShortName: name, Level: verdict.Must, Feature: verdict.FeatureTLS, FailClosed: failClosed}
	}
	order := []verdict.Scenario{sc("Killer", false), sc("Quick", false), sc("Slow", false), sc("NeverTimedFailClosed", true), sc("NeverTimed", false)}
	for i := 1; i < len(order); i++ {
		if times.priority(order[i-1]) <= times.priority(order[i]) {
			t.Errorf("%s must start before %s", order[i-1].ShortName, order[i].ShortName)
		}
	}
}

func TestFailureMessagesAreForReaders(t *testing.T) {
	msg := "Timed out after 30.001s.\nThe function passed to Eventually failed at /src/suites/harness/status.go:227 with:\nHTTPRoute ns/r has no ResolvedRefs condition"
	if got := readable(msg); got != "Timed out after 30.001s.\nHTTPRoute ns/r has no ResolvedRefs condition" {
		t.Errorf("readable kept the source location: %q", got)
	}
	if s, ok := errorMessage(errors.New("dial tcp 127.0.0.1:9: connection refused")); !ok || s != "dial tcp 127.0.0.1:9: connection refused" {
		t.Errorf("an error is shown as %q (%v), want its message", s, ok)
	}
	if _, ok := errorMessage("not an error"); ok {
		t.Error("errorMessage formats what is not an error")
	}
}

// The fail-fast rule halts the run at the first failed MUST spec; a spec
// abandoned then (its worker interrupted) has no verdict, and the specs
// that finished before still count.
func TestFailFastAbandonsTheSpecsStillRunning(t *testing.T) {
	sched := quietScheduler(verdict.FeatureSet{}, FailFastMust)
	finishAll(sched,
		specReport(types.SpecStateFailed, "boom", "Should", "SHOULD", "ResourceBackend"),
		specReport(types.SpecStatePassed, "", "Before", "MUST", "ResourceBackend"))
	select {
	case <-sched.halt:
		t.Fatal("a SHOULD failure halted a --fail-fast=MUST run")
	default:
	}
	run := finishAll(sched,
		specReport(types.SpecStateFailed, "plaintext", "Killer", "MUST", "ResourceBackend"),
		specReport(types.SpecStateInterrupted, "interrupted by user", "Abandoned", "MUST", "ResourceBackend"))
	select {
	case <-sched.halt:
	default:
		t.Fatal("the failed MUST scenario did not halt the run")
	}
	if got := run.ClosingLine(); got != "1 passed, 2 failed, 0 skipped" || sched.stoppedAt() != "Killer" {
		t.Errorf("closing line %q, stopped at %q; want the abandoned scenario without a verdict", got, sched.stoppedAt())
	}
	if sched.claim(0, verdict.Scenario{ShortName: "Later"}) {
		t.Error("a scenario was handed out after the halt")
	}
}
