package suites

import "testing"

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
