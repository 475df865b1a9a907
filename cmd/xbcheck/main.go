// Command xbcheck certifies Gateway API XBackend implementations.
//
// With no subcommand it runs the conformance suite (`xbcheck run`).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/xbcheck/xbcheck/internal/runner"
)

// Exit codes: 0 passed, 1 a MUST spec failed or the run broke, 2 bad input.
const (
	exitFailed = 1
	exitUsage  = 2
	// exitInterrupted is the shell's code for a process ended by SIGINT.
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if handled, code := runner.RunWorker(ctx); handled {
		stop()
		os.Exit(code)
	}
	err := newRootCommand().ExecuteContext(ctx)
	interrupted := ctx.Err() != nil
	stop()
	if err == nil {
		return
	}
	// The command, or the sandbox's child that ran it, already said why.
	var exit exitError
	if errors.As(err, &exit) {
		os.Exit(exit.code)
	}
	if interrupted {
		fmt.Fprintln(os.Stderr, "xbcheck: interrupted; what this run started has been stopped")
		os.Exit(exitInterrupted)
	}
	fmt.Fprintln(os.Stderr, "xbcheck: "+err.Error())
	var usage runner.UsageError
	if errors.As(err, &usage) {
		os.Exit(exitUsage)
	}
	os.Exit(exitFailed)
}

// exitError ends the program with a code and no further message (the
// command already said why).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }
