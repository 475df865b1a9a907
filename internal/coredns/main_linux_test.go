package coredns

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/node"
	"github.com/xbcheck/xbcheck/internal/roletest"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// The test binary also plays the node sandbox's parent and program (role
// "node"), which reports what it saw (roletest.Report).
func TestMain(m *testing.M) {
	roletest.Main(m, map[string]func() int{"node": inNode})
}

// inNode prepares a node, enters its sandbox and runs onNode there.
func inNode() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	assets, err := node.Prepare(ctx, os.Stderr, binaries.ModeAuto)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	handled, code, err := sandbox.Run(node.SandboxOptions(ctx))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if handled {
		return code
	}
	return roletest.Report(onNode(ctx, assets))
}
