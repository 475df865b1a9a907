package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/node"
)

// TestProviderNodeRunsAdmissionAndStatus runs the admission and status
// specs against the in-process reference gateway on a real node xbcheck
// starts (--provider node). It needs real root and the node's packages: it
// skips elsewhere with the reason, and must run in CI.
func TestProviderNodeRunsAdmissionAndStatus(t *testing.T) {
	if err := node.Check(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the node provider: %v", err)
		}
		t.Skipf("no node here: %v", err)
	}
	if testing.Short() {
		t.Skip("-short: starts a node")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(asMainEnv, "1")
	out, err := exec.Command(self, "run", "--provider", "node", "--label-filter", "/^(Admission|Status)/", "--report-output", t.TempDir()).CombinedOutput()
	if err != nil {
		t.Fatalf("xbcheck run --provider node: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, "control plane: node v1.37.2") {
		t.Fatalf("the run did not use a node:\n%s", text)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	var passed, failed, skipped int
	if _, err := fmt.Sscanf(lines[len(lines)-1], "%d passed, %d failed, %d skipped", &passed, &failed, &skipped); err != nil || passed < 20 || failed != 0 {
		t.Fatalf("closing line %q: want the admission and status specs passing\n%s", lines[len(lines)-1], text)
	}
}
