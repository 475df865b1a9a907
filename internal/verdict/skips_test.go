package verdict

import (
	"reflect"
	"testing"
)

// The skips of one cause share one reason, whatever address or detail
// each message carries; skips of different causes do not.
func TestSkipReasonIsWhatSkipsOfOneCauseShare(t *testing.T) {
	for want, messages := range map[string][]string{
		"needs the network sandbox": {
			"needs the network sandbox: the metadata address 169.254.169.254 (namespaces are not allowed here)",
			"needs the network sandbox: the edges of 10.0.0.0/8 (namespaces are not allowed here)",
		},
		"the target <address> is the implementation's own loopback, where no canary can listen": {
			"the target 127.0.0.2 is the implementation's own loopback, where no canary can listen: a pod's loopback is its own",
			"the target ::1 is the implementation's own loopback, where no canary can listen: a pod's loopback is its own",
			"the target [::ffff:127.0.0.1]:8443 is the implementation's own loopback, where no canary can listen: a pod's loopback is its own",
		},
		"the target <address> is an IPv6 address, which the implementation cannot reach": {
			"the target 64:ff9b::a9fe:a9fe is an IPv6 address, which the implementation cannot reach: the cluster has no IPv6",
		},
		"the implementation never asks <address> for the hostname": {
			"the implementation never asks 10.96.0.10:53 for the hostname (its resolver asked only [fd00::a]:53)",
		},
		"checks the XBackend of Gateway API releases before v1.7.0": {
			"checks the XBackend of Gateway API releases before v1.7.0 (v1.7.0's port has a number only); the cluster serves v1.7.0's",
			"checks the XBackend of Gateway API releases before v1.7.0 (v1.7.0's CRD admits protocol GRPC); the cluster serves v1.7.0's",
		},
		"feature ResourceBackendTLS is exempted": {"feature ResourceBackendTLS is exempted (--exempt-features)"},
		"a reason with no detail":                {"a reason with no detail"},
	} {
		for _, m := range messages {
			if got := SkipReason(m); got != want {
				t.Errorf("SkipReason(%q)\n = %q\nwant %q", m, got, want)
			}
		}
	}
}

func TestNotRunGroupsBySharedReasonLargestFirst(t *testing.T) {
	skip := func(name, message string) Result {
		return Result{Scenario: Scenario{ShortName: name, Level: Must, Feature: FeatureTLS}, Outcome: Skipped, Message: message}
	}
	old := "checks the XBackend of Gateway API releases before v1.7.0 (%s); the cluster serves v1.7.0's"
	run := Run{Results: []Result{
		skip("Node", "the node's address is a canary only on a node xbcheck runs in its own sandbox (--provider node)"),
		{Scenario: Scenario{ShortName: "Passes"}, Outcome: Passed},
		skip("Loopback2", "the target 127.0.0.2 is the implementation's own loopback, where no canary can listen: its own"),
		skip("Old1", old+"port"),
		{Scenario: Scenario{ShortName: "Unclaimed"}, Outcome: NotSupported, Message: "wrong status 500"},
		skip("Loopback3", "the target 127.0.0.3 is the implementation's own loopback, where no canary can listen: its own"),
		{Scenario: Scenario{ShortName: "Fails"}, Outcome: Failed, Message: "wrong status 500"},
		skip("Old2", "Timed out after 1.5s.\n"+old+"GRPC"),
	}}
	want := []NotRun{
		{"the target <address> is the implementation's own loopback, where no canary can listen", []string{"Loopback2", "Loopback3"}},
		{"checks the XBackend of Gateway API releases before v1.7.0", []string{"Old1", "Old2"}},
		{"the node's address is a canary only on a node xbcheck runs in its own sandbox", []string{"Node"}},
		{NotSupportedReason, []string{"Unclaimed"}},
	}
	if got := run.NotRun(); !reflect.DeepEqual(got, want) {
		t.Errorf("NotRun() =\n%q\nwant\n%q", got, want)
	}
	n := 0
	for _, g := range run.NotRun() {
		n += len(g.ShortNames)
	}
	if n != run.Count(Skipped)+run.Count(NotSupported) {
		t.Errorf("the groups hold %d scenarios; the closing line counts %d skipped", n, run.Count(Skipped)+run.Count(NotSupported))
	}
}
