package verdict

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestOKFailsOnlyOnMustOrHarness(t *testing.T) {
	pass := Result{Scenario: Scenario{ShortName: "A", Level: Must, Feature: FeatureResourceBackend}, Outcome: Passed}
	shouldFail := Result{Scenario: Scenario{ShortName: "B", Level: Should, Feature: FeatureTLS}, Outcome: Failed, Message: "no"}
	mustFail := Result{Scenario: Scenario{ShortName: "C", Level: Must, Feature: FeatureTLS}, Outcome: Failed, Message: "no"}
	control := Result{Scenario: Scenario{ShortName: "D", Level: Should, Feature: FeatureDNSRebindingProtection}, Outcome: Failed,
		Message: "Timed out after 5.000s.\n" + HarnessErrorf("canary is deaf").Error(), HarnessFault: true}
	skipped := Result{Scenario: Scenario{ShortName: "E", Level: Must, Feature: FeatureMutualTLS}, Outcome: Skipped, Message: "not supported"}
	for _, tc := range []struct {
		name    string
		results []Result
		harness []string
		ok      bool
	}{
		{"all passed", []Result{pass, skipped}, nil, true},
		{"a SHOULD failed: a warning", []Result{pass, shouldFail}, nil, true},
		{"a MUST failed", []Result{pass, mustFail}, nil, false},
		{"a positive control failed, whatever the level", []Result{pass, control}, nil, false},
		{"the harness failed outside scenarios", []Result{pass}, []string{"BeforeSuite: no cluster"}, false},
	} {
		var run Run
		run.HarnessErrors = tc.harness
		for _, r := range tc.results {
			run.AddResult(r)
		}
		if run.OK() != tc.ok {
			t.Errorf("%s: OK() = %t, want %t (harness errors %q)", tc.name, run.OK(), tc.ok, run.HarnessErrors)
		}
	}
}

func TestAddResultNamesTheSpecOfAHarnessError(t *testing.T) {
	var run Run
	deaf := HarnessErrorf("canary is deaf")
	run.AddResult(Result{Scenario: Scenario{ShortName: "RebindLoopback", Level: Should, Feature: FeatureDNSRebindingProtection}, Outcome: Failed,
		Message: "Failed after 0.01s.\n" + deaf.Error() + "\nmore", HarnessFault: true})
	if len(run.HarnessErrors) != 1 || run.HarnessErrors[0] != "RebindLoopback: "+deaf.Error() {
		t.Fatalf("harness errors %q", run.HarnessErrors)
	}
	if len(run.Failing()) != 0 {
		t.Fatalf("a harness error is counted among the implementation's failures: %+v", run.Failing())
	}
}

func TestFailureReasonSkipsGomegaHeaders(t *testing.T) {
	for msg, want := range map[string]string{
		"Timed out after 30.001s.\nroute status.parents seen last: []\nExpected...": "route status.parents seen last: []",
		"Failed after 0.01s.\nthe canary is deaf":                                   "the canary is deaf",
		"Expected\n    <int>: 1\nto equal\n    <int>: 2":                            "Expected",
		"  \n": "",
	} {
		if got := FailureReason(msg); got != want {
			t.Errorf("FailureReason(%q) = %q, want %q", msg, got, want)
		}
	}
}

func TestScenarioLabelsRoundTrip(t *testing.T) {
	s := Scenario{ShortName: "TLSRejectsWrongSAN", Level: Must, Feature: FeatureTLS}
	got, err := ScenarioFromLabels(s.Labels())
	if err != nil || got != s {
		t.Fatalf("ScenarioFromLabels(%q) = %+v, %v", s.Labels(), got, err)
	}
	if _, err := ScenarioFromLabels([]string{"OnlyAName"}); err == nil || !strings.Contains(err.Error(), "lack") {
		t.Fatalf("labels without level and feature: %v", err)
	}
}

func TestFeaturesSayWhoNamedThem(t *testing.T) {
	for _, f := range Features() {
		// GEP-4894 names ResourceBackend and ResourceBackendExternalHostname
		// only; HTTPRouteHostRewrite and HTTPRouteQueryParamMatching are in
		// Gateway API's pkg/features.
		want := OriginXBcheck
		switch f.Name {
		case FeatureResourceBackend, FeatureExternalHostname:
			want = OriginGEP
		case FeatureHTTPRouteHostRewrite, FeatureHTTPRouteQueryParamMatching:
			want = OriginGatewayAPI
		}
		if f.Origin != want {
			t.Errorf("%s: origin %q, want %q", f.Name, f.Origin, want)
		}
		if f.Core && f.Origin == OriginXBcheck {
			t.Errorf("%s is core but named by xbcheck: no implementation would ever claim it", f.Name)
		}
	}
}

func TestJudgeReportsUnclaimedExtendedFailuresAsNotSupported(t *testing.T) {
	claimsNothing := FeatureSet{Claimed: map[Feature]bool{}, Source: "GatewayClass x"}
	failed := func(s Scenario) Result { return Result{Scenario: s, Outcome: Failed, Message: "boom"} }
	for _, tc := range []struct {
		name    string
		r       Result
		claimed FeatureSet
		want    Outcome
	}{
		{"an unclaimed extended feature", failed(Scenario{ShortName: "A", Level: Must, Feature: FeatureTLS}), claimsNothing, NotSupported},
		{"a claimed extended feature", failed(Scenario{ShortName: "A", Level: Must, Feature: FeatureTLS}), FeatureSet{Claimed: map[Feature]bool{FeatureTLS: true}}, Failed},
		{"every feature claimed", failed(Scenario{ShortName: "A", Level: Must, Feature: FeatureTLS}), FeatureSet{}, Failed},
		{"a core feature, never claimed", failed(Scenario{ShortName: "A", Level: Must, Feature: FeatureResourceBackend}), claimsNothing, Failed},
		{"a fail-closed requirement", failed(Scenario{ShortName: "A", Level: Must, Feature: FeatureTLS, FailClosed: true}), claimsNothing, Failed},
		{"a harness error", Result{Scenario: Scenario{ShortName: "A", Level: Should, Feature: FeatureDNSRebindingProtection}, Outcome: Failed, Message: HarnessErrorf("deaf").Error(), HarnessFault: true}, claimsNothing, Failed},
		{"a message that only reads like a harness error", Result{Scenario: Scenario{ShortName: "A", Level: Must, Feature: FeatureTLS}, Outcome: Failed, Message: HarnessErrorf("forged").Error()}, claimsNothing, NotSupported},
		{"a pass stays a pass", Result{Scenario: Scenario{ShortName: "A", Level: Must, Feature: FeatureTLS}, Outcome: Passed}, claimsNothing, Passed},
	} {
		if got := Judge(tc.r, tc.claimed).Outcome; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestARunWithoutACoreSpecFails(t *testing.T) {
	var run Run
	run.AddResult(Result{Scenario: Scenario{ShortName: "TLSOnly", Level: Must, Feature: FeatureTLS}, Outcome: Passed})
	run.AddResult(Result{Scenario: Scenario{ShortName: "CoreSkipped", Level: Must, Feature: FeatureResourceBackend}, Outcome: Skipped, Message: "needs the sandbox"})
	if run.OK() || !strings.Contains(run.Vacuous(), "no scenario of the core features") {
		t.Fatalf("a run in which no core scenario ran passed: OK %t, %q", run.OK(), run.Vacuous())
	}
	run.AddResult(Result{Scenario: Scenario{ShortName: "Core", Level: Must, Feature: FeatureExternalHostname}, Outcome: Passed})
	if !run.OK() {
		t.Fatalf("a core scenario passed, nothing failed: the run must pass (%q)", run.Vacuous())
	}
}

func TestSkipsOnlyExemptedExtendedFeatures(t *testing.T) {
	fs := FeatureSet{Exempt: map[Feature]bool{FeatureTLS: true, FeatureResourceBackend: true}}
	for _, tc := range []struct {
		s    Scenario
		skip bool
	}{
		{Scenario{ShortName: "A", Level: Must, Feature: FeatureTLS}, true},
		{Scenario{ShortName: "B", Level: Must, Feature: FeatureTLS, FailClosed: true}, false},
		{Scenario{ShortName: "C", Level: Must, Feature: FeatureResourceBackend}, false},
		{Scenario{ShortName: "D", Level: Must, Feature: FeatureMutualTLS}, false},
	} {
		if got := fs.Skips(tc.s); got != tc.skip {
			t.Errorf("%+v: skipped %t, want %t", tc.s, got, tc.skip)
		}
	}
}

func TestHarnessErrorIsRecognisedByType(t *testing.T) {
	err := fmt.Errorf("start the fake upstream: %w", HarnessErrorf("listen: %w", errors.New("address in use")))
	if !IsHarnessError(err) {
		t.Fatalf("%v: a wrapped harness error is not recognised", err)
	}
	if IsHarnessError(errors.New(HarnessErrorf("forged").Error())) {
		t.Fatal("an error that only reads like a harness error is recognised as one")
	}
}

func TestTheConstructorMakesTheScenarioItSays(t *testing.T) {
	if got, want := Must.Scenario("TLSRejectsWrongSAN", FeatureTLS, FailClosed), (Scenario{ShortName: "TLSRejectsWrongSAN", Level: Must, Feature: FeatureTLS, FailClosed: true}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got, want := Observe.Scenario("ProtocolH2CWithTLS", FeatureResourceBackend), (Scenario{ShortName: "ProtocolH2CWithTLS", Level: Observe, Feature: FeatureResourceBackend}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
