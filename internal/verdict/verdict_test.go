package verdict

import (
	"strings"
	"testing"
)

func TestOKFailsOnlyOnMustOrHarness(t *testing.T) {
	pass := Result{Scenario: Scenario{"A", Must, FeatureResourceBackend}, Outcome: Passed}
	shouldFail := Result{Scenario: Scenario{"B", Should, FeatureTLS}, Outcome: Failed, Message: "no"}
	mustFail := Result{Scenario: Scenario{"C", Must, FeatureTLS}, Outcome: Failed, Message: "no"}
	control := Result{Scenario: Scenario{"D", Should, FeatureDNSRebindingProtection}, Outcome: Failed,
		Message: "Timed out after 5.000s.\nharness error: canary is deaf"}
	skipped := Result{Scenario: Scenario{"E", Must, FeatureMutualTLS}, Outcome: Skipped, Message: "not supported"}
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
		{"the harness failed outside specs", []Result{pass}, []string{"BeforeSuite: no cluster"}, false},
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
	run.AddResult(Result{Scenario: Scenario{"RebindLoopback", Should, FeatureDNSRebindingProtection}, Outcome: Failed,
		Message: "Failed after 0.01s.\nharness error: canary is deaf\nmore"})
	if len(run.HarnessErrors) != 1 || run.HarnessErrors[0] != "RebindLoopback: harness error: canary is deaf" {
		t.Fatalf("harness errors %q", run.HarnessErrors)
	}
}

func TestFailureReasonSkipsGomegaHeaders(t *testing.T) {
	for msg, want := range map[string]string{
		"Timed out after 30.001s.\nroute status.parents seen last: []\nExpected...": "route status.parents seen last: []",
		"Failed after 0.01s.\nharness error: canary is deaf":                        "harness error: canary is deaf",
		"Expected\n    <int>: 1\nto equal\n    <int>: 2":                            "Expected",
		"  \n": "",
	} {
		if got := FailureReason(msg); got != want {
			t.Errorf("FailureReason(%q) = %q, want %q", msg, got, want)
		}
	}
}

func TestScenarioLabelsRoundTrip(t *testing.T) {
	s := Scenario{"TLSRejectsWrongSAN", Must, FeatureTLS}
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
		if f.Origin != OriginGatewayAPI && f.Origin != OriginXBcheck {
			t.Errorf("%s has origin %q", f.Name, f.Origin)
		}
		// GEP-4894 names ResourceBackend and ResourceBackendExternalHostname only.
		gep := f.Name == FeatureResourceBackend || f.Name == FeatureExternalHostname
		if gep != (f.Origin == OriginGatewayAPI) {
			t.Errorf("%s: origin %q, but GEP-4894 names only ResourceBackend and ResourceBackendExternalHostname", f.Name, f.Origin)
		}
	}
}
