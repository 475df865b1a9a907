package suites_test

import (
	"context"
	"os"
	"os/signal"
	"testing"

	"github.com/xbcheck/xbcheck/internal/runner"
)

// TestXBackendConformance runs every spec against the reference setup, on
// the embedded control plane, exactly as `xbcheck run` does. Against the
// reference, nothing may fail: not even a SHOULD.
func TestXBackendConformance(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	s, err := runner.Run(ctx, t, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(s.ClosingLine())
	for _, e := range s.HarnessErrors {
		t.Errorf("harness error: %s", e)
	}
	if s.Failed > 0 {
		t.Errorf("%d specs failed against the reference setup", s.Failed)
	}
	if s.Passed == 0 {
		t.Error("no spec ran")
	}
}
