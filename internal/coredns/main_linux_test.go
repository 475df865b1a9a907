package coredns

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/xbcheck/xbcheck/internal/node"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// The test binary also plays the node sandbox's parent and program
// (roleEnv "node"), which reports what it saw as JSON to the file outEnv
// names.
const (
	roleEnv = "XBCHECK_COREDNS_TEST_ROLE"
	outEnv  = "XBCHECK_COREDNS_TEST_OUT"
)

func TestMain(m *testing.M) {
	switch role := os.Getenv(roleEnv); role {
	case "":
		os.Exit(m.Run())
	case "node":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		assets, err := node.Prepare(ctx, os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		handled, code, err := sandbox.Run(node.SandboxOptions(ctx))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		if handled {
			os.Exit(code)
		}
		r := onNode(ctx, assets)
		b, _ := json.Marshal(r)
		if err := os.WriteFile(os.Getenv(outEnv), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%s\n", roleEnv, role)
		os.Exit(2)
	}
}
