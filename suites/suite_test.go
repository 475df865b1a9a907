package suites_test

import (
	"context"
	"os"
	"os/signal"
	"testing"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

// TestXBackendConformance runs every spec against the reference setup, on
// the embedded control plane, exactly as `xbcheck run` does, in worker
// processes (this test binary again), once with the CRDs of each Gateway
// API release whose XBackend xbcheck speaks. Against the reference,
// nothing may fail: not even a SHOULD.
func TestXBackendConformance(t *testing.T) {
	logs := runner.InstallComponentLogs()
	for _, s := range gatewayapi.Schemas() {
		t.Run("Gateway API "+s.Version, func(t *testing.T) { conformance(t, s.Version, logs) })
	}
}

func conformance(t *testing.T, version string, logs *runner.ComponentLogs) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	run, err := runner.Run(ctx, t, runner.Options{GatewayAPIVersion: version, Parallel: runner.DefaultParallel(), ComponentLogs: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(run.ClosingLine())
	for _, e := range run.HarnessErrors {
		t.Error(verdict.HarnessErrorf("%s", e))
	}
	for _, r := range run.Failing() {
		t.Errorf("%s %s failed against the reference setup: %s", r.Level, r.ShortName, r.Reason())
	}
	if run.Count(verdict.Passed) == 0 {
		t.Error("no spec ran")
	}
	if run.GatewayAPIVersion != version {
		t.Errorf("the run installed the CRDs of Gateway API %q, want %s", run.GatewayAPIVersion, version)
	}
}
