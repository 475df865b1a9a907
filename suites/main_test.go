package suites_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// TestMain runs the suite where `xbcheck run` does: inside the network
// sandbox where namespaces are allowed (the sandbox-only specs then run
// too), else on loopback with those specs skipped. What needs the network
// (building the control plane, each release's CRDs) happens first, outside.
func TestMain(m *testing.M) {
	// A parallel run's workers are this test binary again.
	if handled, code := runner.RunWorker(context.Background()); handled {
		os.Exit(code)
	}
	for _, s := range gatewayapi.Schemas() {
		if _, err := runner.Prepare(context.Background(), runner.Options{GatewayAPIVersion: s.Version, Out: os.Stderr}); err != nil {
			fmt.Fprintf(os.Stderr, "prepare the embedded control plane with Gateway API %s: %v\n", s.Version, err)
			os.Exit(1)
		}
	}
	handled, code, err := sandbox.Run(sandbox.Options{Mode: sandbox.ModeAuto})
	switch {
	case handled:
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(code)
	case errors.Is(err, sandbox.ErrUnavailable):
		fmt.Fprintf(os.Stderr, "%v; running on loopback only\n", err)
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
