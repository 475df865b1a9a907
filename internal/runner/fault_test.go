package runner

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// ignoreFailure is the testing.T Ginkgo reports the failed suite to: its
// specs fail on purpose.
type ignoreFailure struct{}

func (ignoreFailure) Fail() {}

// TestHarnessFaultsAreNeverChargedToTheImplementation runs, through Ginkgo
// and the one mapping to verdicts (resultOf, then Judge), scenarios that
// fail by every kind of harness fault, at every level and on an extended
// feature the implementation does not claim: each must fail the run as a
// harness error, and none may be counted as the implementation's failure
// (Run.Failing) or hidden as not supported. A failure of the implementation
// whose message merely starts like a harness error stays its failure: the
// type decides, never the text.
//
// It is the one test of this package that runs Ginkgo (RunSpecs runs once
// per process).
func TestHarnessFaultsAreNeverChargedToTheImplementation(t *testing.T) {
	faults := map[string]func(){
		"FakeDidNotStart": func() {
			harness.Check(errors.New("listen tcp 127.0.0.1:0: address already in use"), "start the fake upstream %s", "upstream")
		},
		"PositiveControlFailed": func() {
			harness.Fault(errors.New("canary 127.0.0.1 at 127.0.0.1:4242 is not reachable, so 'never reached' would prove nothing"))
		},
		"PanicInAHelper": func() {
			var hits map[string]int
			hits["canary"]++ // a nil map: the harness's own bug
		},
		"FaultWhilePolling": func() {
			gomega.Eventually(func(g gomega.Gomega) {
				harness.Check(errors.New("connection refused"), "read the DNS log")
			}).Should(gomega.Succeed())
		},
		"FaultInCleanupAfterAFailure": func() {
			ginkgo.DeferCleanup(func() { harness.Check(errors.New("timeout"), "stop canary %s", "c") })
			ginkgo.Fail("the implementation served plaintext")
		},
	}
	implementation := map[string]func(){
		"ImplementationFailed": func() { ginkgo.Fail("want 200 from upstream upstream, got HTTP 503") },
		// The implementation's answer can put any text into a failure
		// message; it must not make its failure the harness's.
		"ImplementationFailedLikeAHarnessError": func() {
			ginkgo.Fail(verdict.HarnessErrorf("forged by the implementation's response body").Error())
		},
	}
	levels := []verdict.Level{verdict.Must, verdict.Should, verdict.Observe}
	var reports []types.SpecReport
	ginkgo.Describe("harness faults", func() {
		for _, group := range []map[string]func(){faults, implementation} {
			for name, body := range group {
				for _, l := range levels {
					s := verdict.Scenario{ShortName: name + string(l), Level: l, Feature: verdict.FeatureTLS}
					ginkgo.It(name, ginkgo.Label(s.Labels()...), body)
				}
			}
		}
	})
	ginkgo.ReportAfterEach(func(sr types.SpecReport) { reports = append(reports, sr) })
	gomega.RegisterFailHandler(ginkgo.Fail)
	stdout := formatter.ColorableStdOut
	formatter.ColorableStdOut = io.Discard
	defer func() { formatter.ColorableStdOut = stdout }()
	sc, rc := ginkgo.GinkgoConfiguration()
	ginkgo.RunSpecs(ignoreFailure{}, "harness faults", sc, rc)

	claimsNothing := verdict.FeatureSet{Claimed: map[verdict.Feature]bool{}}
	var run verdict.Run
	for _, sr := range reports {
		r, ok := resultOf(sr)
		if !ok {
			t.Fatalf("%s: no result", sr.FullText())
		}
		run.AddResult(verdict.Judge(r, claimsNothing))
	}
	if got, want := len(run.Results), len(levels)*(len(faults)+len(implementation)); got != want {
		t.Fatalf("%d results, want %d", got, want)
	}
	charged := map[string]bool{}
	for _, r := range run.Failing() {
		charged[r.ShortName] = true
	}
	for _, r := range run.Results {
		name := strings.TrimSuffix(r.ShortName, string(r.Level))
		if _, isFault := faults[name]; !isFault {
			if r.HarnessError() || r.Outcome != verdict.NotSupported {
				t.Errorf("%s: the implementation's failure became %s (harness error %t), want not supported (its feature is not claimed)", r.ShortName, r.Outcome, r.HarnessError())
			}
			continue
		}
		if !r.HarnessError() || r.Outcome != verdict.Failed {
			t.Errorf("%s: %s, harness error %t; want a failure by the harness (message %q)", r.ShortName, r.Outcome, r.HarnessError(), r.Message)
		}
		if charged[r.ShortName] {
			t.Errorf("%s: a harness fault is counted among the implementation's failures", r.ShortName)
		}
		if !strings.HasPrefix(r.Reason(), verdict.HarnessErrorf("").Error()) {
			t.Errorf("%s: the reason %q does not say the harness failed", r.ShortName, r.Reason())
		}
		if !slices.ContainsFunc(run.HarnessErrors, func(e string) bool { return strings.HasPrefix(e, r.ShortName+": ") }) {
			t.Errorf("%s: not among the run's harness errors %q", r.ShortName, run.HarnessErrors)
		}
	}
	if run.OK() {
		t.Error("a run with harness errors passed")
	}
}
