package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/node"
	"github.com/xbcheck/xbcheck/internal/node/nodetest"
)

// TestProviderNodeRunsAdmissionAndStatus runs the admission and status
// specs against the reference gateway in pods of a real node xbcheck starts
// (--provider node). It needs real root and the node's packages: it skips
// elsewhere with the reason, and must run in CI.
func TestProviderNodeRunsAdmissionAndStatus(t *testing.T) {
	nodetest.Require(t, node.Check, nodetest.Share)
	report := t.TempDir()
	out, err := exec.Command(buildXBcheck(t), "run", "--provider", "node", "--label-filter", "/^(Admission|Status)/", "--report-output", report).CombinedOutput()
	if err != nil {
		t.Fatalf("xbcheck run --provider node: %v\n%s%s", err, out, podLogs(report))
	}
	text := string(out)
	if !strings.Contains(text, "control plane: node v1.37.2") {
		t.Fatalf("the run did not use a node:\n%s", text)
	}
	if passed, failed := closingLine(t, text); passed < 20 || failed != 0 {
		t.Fatalf("%d passed, %d failed: want the admission and status scenarios passing\n%s", passed, failed, text)
	}
}
