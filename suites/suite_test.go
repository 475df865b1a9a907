package suites_test

import (
	"context"
	"os"
	"os/signal"
	"testing"

	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

// TestXBackendConformance runs every spec against the reference setup, on
// the embedded control plane, exactly as `xbcheck run` does, in worker
// processes (this test binary again). Against the reference, nothing may
// fail: not even a SHOULD.
func TestXBackendConformance(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	run, err := runner.Run(ctx, t, runner.Options{Parallel: runner.DefaultParallel()})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(run.ClosingLine())
	for _, e := range run.HarnessErrors {
		t.Errorf("harness error: %s", e)
	}
	for _, r := range run.Failing() {
		t.Errorf("%s %s failed against the reference setup: %s", r.Level, r.ShortName, r.Reason())
	}
	if run.Count(verdict.Passed) == 0 {
		t.Error("no spec ran")
	}
}
