package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// enterSandbox moves a command that starts a cluster (the embedded control
// plane, or a node) into the sandbox its provider needs. The sandbox has
// no network, so what the run fetches (binaries, images, the CRD module)
// is fetched first. In the parent it returns the child's exit as an
// exitError; in the child, or where namespaces are refused in auto mode
// (said on opts.Out), nil: the command goes on. A run against
// --kubeconfig stays where it is.
func enterSandbox(ctx context.Context, opts runner.Options, mode sandbox.Mode) error {
	p, err := runner.Prepare(ctx, opts)
	if err != nil {
		return err
	}
	o := p.Sandbox(ctx, mode)
	if o == nil {
		return nil
	}
	handled, code, err := sandbox.Run(*o)
	switch {
	case handled && err != nil:
		return runner.UsageError{Err: err}
	case handled:
		return exitError{code: code}
	case errors.Is(err, sandbox.ErrUnavailable):
		fmt.Fprintf(opts.Out, "xbcheck: %v; running on loopback only\n", err)
		return nil
	default:
		return err
	}
}
