package main

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/golden"
)

// shortRun is a run with a pass, a failure against an implementation
// that writes no route status, a skip with its reason, an OBSERVE
// measurement and an admission spec.
var shortRun = []string{"run", "--faults", "no-route-status", "--parallel", "1", "--timeout", "Status=3s",
	"--label-filter", "/^(RoutingMissingXBackend|StatusXBackendParentPerGateway|AdmissionRejectsPortZero|RoutingHostHeaderSeenUpstream|RebindServiceAddress|RoutingPlainHTTP)$/"}

// TestShortRunOutput compares what a short run prints with
// testdata/short-run.golden, once what changes from run to run (times,
// the run's id, the report folder, the order specs finish in) is masked,
// and checks what must never be printed: a Go pointer, a stack dump, a
// Ginkgo block, a line twice. `go test ./cmd/xbcheck -run ShortRunOutput
// -update` rewrites the golden file.
func TestShortRunOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts the embedded control plane")
	}
	dir := t.TempDir()
	text, code := runSelfIn(t, dir, shortRun...)
	if code != 1 {
		t.Fatalf("short run: exit code %d, want 1 (a MUST scenario fails):\n%s", code, text)
	}
	for what, bad := range map[string]*regexp.Regexp{
		"a Go pointer":    regexp.MustCompile(`0x[0-9a-f]{6,}`),
		"a stack dump":    regexp.MustCompile(`goroutine \d+ \[|log\.SetLogger`),
		"a Ginkgo block":  regexp.MustCompile(`-{20,}|\[FAILED\]|Report Entries`),
		"a source path":   regexp.MustCompile(`\.go:\d+`),
		"an ANSI colour":  regexp.MustCompile("\x1b\\["),
		"a raw timestamp": regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:`),
	} {
		if m := bad.FindString(text); m != "" {
			t.Errorf("the output shows %s (%q):\n%s", what, m, text)
		}
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) != "" && seen[line] {
			t.Errorf("line printed twice: %q", line)
		}
		seen[line] = true
	}
	golden.Check(t, filepath.Join("testdata", "short-run.golden"), stable(text, dir))
}

// stable masks what changes from run to run and sorts the progress lines,
// which come in the order specs finish.
func stable(text, reportDir string) string {
	text = strings.ReplaceAll(text, reportDir, "<report>")
	if m := regexp.MustCompile(`GatewayClass xbcheck-([a-z0-9]+)`).FindStringSubmatch(text); m != nil {
		text = strings.ReplaceAll(text, m[1], "<run>")
	}
	text = regexp.MustCompile(`cached in \S+ \(`).ReplaceAllString(text, "cached in <cache> (")
	text = regexp.MustCompile(`\d+(\.\d+)?×`).ReplaceAllString(text, "<n>×")
	text = regexp.MustCompile(`(\d+m)?\d+(\.\d+)?(ms|µs|s)\b`).ReplaceAllString(text, "<t>")
	lines := strings.Split(text, "\n")
	isProgress := func(l string) bool {
		return regexp.MustCompile(`^(PASS|FAIL|SKIP|N/S) `).MatchString(l)
	}
	first := slices.IndexFunc(lines, isProgress)
	if first >= 0 {
		last := first
		for last < len(lines) && isProgress(lines[last]) {
			last++
		}
		slices.Sort(lines[first:last])
	}
	return strings.Join(lines, "\n")
}
