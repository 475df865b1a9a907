package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/verdict"
)

// A spec whose positive control failed is shown once, under the failures,
// and only named among the harness errors; other harness errors are shown
// whole. No line repeats.
func TestTextShowsEachHarnessErrorOnce(t *testing.T) {
	var r Run
	r.AddResult(harnessFault("RebindLoopback", verdict.Should, verdict.FeatureDNSRebindingProtection, verdict.HarnessErrorf("canary 127.0.0.1 at 127.0.0.1:4242 is not reachable")))
	r.AddResult(result("RoutingPlainHTTP", verdict.Must, verdict.FeatureExternalHostname, verdict.Passed, ""))
	r.HarnessErrors = append(r.HarnessErrors, "worker 2 ended (signal: killed) without reporting [TLSServerOnly]")
	var out bytes.Buffer
	WriteText(&out, r)
	text := out.String()
	if n := strings.Count(text, "127.0.0.1:4242 is not reachable"); n != 1 {
		t.Errorf("the positive control's message appears %d times, want once:\n%s", n, text)
	}
	mustContain(t, "output", text,
		verdict.HarnessErrorf("the positive control of 1 scenario failed, so they prove nothing (their messages are above): RebindLoopback").Error()+"\n",
		verdict.HarnessErrorf("worker 2 ended (signal: killed) without reporting [TLSServerOnly]").Error()+"\n",
	)
	seen := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if line != "" && seen[line] {
			t.Errorf("line %q printed twice:\n%s", line, text)
		}
		seen[line] = true
	}
}

// Before the closing line, the skipped scenarios are counted by reason,
// largest group first, with at most five names each.
func TestTextGroupsTheSkippedByReason(t *testing.T) {
	var r Run
	loopback := "the target %s is the implementation's own loopback, where no canary can listen: a pod's loopback is its own"
	for i, name := range []string{"RebindA", "RebindB", "RebindC", "RebindD", "RebindE", "RebindF"} {
		r.AddResult(result(name, verdict.Should, verdict.FeatureDNSRebindingProtection, verdict.Skipped, fmt.Sprintf(loopback, fmt.Sprintf("127.0.0.%d", i+2))))
	}
	r.AddResult(result("RebindServiceAddress", verdict.Should, verdict.FeatureDNSRebindingProtection, verdict.Skipped, "a ClusterIP is a canary only with the fakes in a cluster (a port of their canary Service)"))
	r.AddResult(result("TLSServerOnly", verdict.Must, verdict.FeatureTLS, verdict.NotSupported, "wrong status 500"))
	r.AddResult(result("RoutingPlainHTTP", verdict.Must, verdict.FeatureExternalHostname, verdict.Passed, ""))
	var out bytes.Buffer
	WriteText(&out, r)
	text := out.String()
	want := "8 skipped, by reason (each scenario's reason in full is on its line above):\n" +
		"    6  the target <address> is the implementation's own loopback, where no canary can listen: RebindA, RebindB, RebindC, RebindD, RebindE, and 1 more\n" +
		"    1  a ClusterIP is a canary only with the fakes in a cluster: RebindServiceAddress\n" +
		"    1  " + verdict.NotSupportedReason + ": TLSServerOnly\n"
	if !strings.HasSuffix(text, want) {
		t.Errorf("output does not end with the skipped by reason\n%s\ngot:\n%s", want, text)
	}
	if got := r.ClosingLine(); got != "1 passed, 0 failed, 8 skipped" {
		t.Errorf("closing line %q counts other than the groups", got)
	}
	var none bytes.Buffer
	WriteText(&none, run(result("RoutingPlainHTTP", verdict.Must, verdict.FeatureExternalHostname, verdict.Passed, "")))
	if strings.Contains(none.String(), "by reason") {
		t.Errorf("a run that skipped nothing lists reasons:\n%s", none.String())
	}
}
