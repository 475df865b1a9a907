package report

import (
	"bytes"
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
		verdict.HarnessErrorf("the positive control of 1 spec failed, so they prove nothing (their messages are above): RebindLoopback").Error()+"\n",
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
