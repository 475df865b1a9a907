package report

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/verdict"
)

const (
	core = verdict.FeatureResourceBackend
	ext  = verdict.FeatureExternalHostname
)

// baseAndNew are two runs that differ in every way a comparison names,
// and share one spec unchanged.
func baseAndNew() (Run, Run) {
	base := run(
		result("Same", verdict.Must, core, verdict.Passed, ""),
		result("Breaks", verdict.Must, core, verdict.Passed, ""),
		result("BreaksShould", verdict.Should, ext, verdict.Passed, ""),
		result("Heals", verdict.Must, core, verdict.Failed, "no response"),
		result("Skips", verdict.Must, ext, verdict.Passed, ""),
		result("Promoted", verdict.Should, core, verdict.Failed, "wrong status 500"),
		result("Reworded", verdict.Must, ext, verdict.Failed, "Timed out after 30s.\nwrong status 502"),
		result("Gone", verdict.Must, core, verdict.Passed, ""),
	)
	next := run(
		result("Same", verdict.Must, core, verdict.Passed, ""),
		result("Reworded", verdict.Must, ext, verdict.Failed, "Timed out after 60s.\nwrong status 503"),
		result("Skips", verdict.Must, ext, verdict.Skipped, "needs the sandbox"),
		result("Heals", verdict.Must, core, verdict.Passed, ""),
		result("BreaksShould", verdict.Should, ext, verdict.Failed, "no | header `x`"),
		result("Promoted", verdict.Must, core, verdict.Failed, "wrong status 500"),
		result("New", verdict.Observe, ext, verdict.Passed, ""),
		result("Breaks", verdict.Must, core, verdict.Failed, "Timed out after 30s.\nno response from the upstream"),
	)
	return base, next
}

func TestCompareNamesEveryChangeRegressionsFirst(t *testing.T) {
	base, next := baseAndNew()
	c := Compare(base, next)
	var got []string
	for _, ch := range c.Changes {
		got = append(got, ch.ShortName+": "+string(ch.Kind))
	}
	want := []string{
		// Regressions, MUST first, in the new run's order.
		"Promoted: level changed", "Breaks: newly failing",
		"BreaksShould: newly failing",
		"Heals: newly passing",
		"Skips: outcome changed",
		"Reworded: message changed",
		"New: added",
		"Gone: removed",
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes\n%q\nwant\n%q", got, want)
	}
	if c.Unchanged != 1 {
		t.Errorf("unchanged %d, want 1 (Same)", c.Unchanged)
	}
	var regressions []string
	for _, ch := range c.Regressions() {
		regressions = append(regressions, ch.ShortName)
	}
	if !slices.Equal(regressions, []string{"Promoted", "Breaks", "BreaksShould"}) {
		t.Errorf("regressions %v", regressions)
	}
	if !c.Worse() {
		t.Error("a MUST scenario newly failing: Worse is false")
	}
}

func TestCompareOfARunWithItselfFindsNothing(t *testing.T) {
	_, next := baseAndNew()
	c := Compare(next, next)
	if len(c.Changes) != 0 || c.Unchanged != len(next.Results) || c.Worse() {
		t.Errorf("a run against itself: %d changes, %d unchanged, worse %v", len(c.Changes), c.Unchanged, c.Worse())
	}
}

// Only a MUST regression, or a verdict turned to FAIL, makes it worse: a
// SHOULD spec newly failing is a warning, as in a run.
func TestWorseFollowsTheRunsRule(t *testing.T) {
	pass := run(result("Core", verdict.Must, core, verdict.Passed, ""), result("Warn", verdict.Should, ext, verdict.Passed, ""))
	warn := run(result("Core", verdict.Must, core, verdict.Passed, ""), result("Warn", verdict.Should, ext, verdict.Failed, "late"))
	if c := Compare(pass, warn); c.Worse() || len(c.Regressions()) != 1 {
		t.Errorf("SHOULD newly failing: worse %v, %d regressions; want not worse, 1 regression", c.Worse(), len(c.Regressions()))
	}
	broken := warn
	broken.HarnessErrors = []string{"the implementation exited"}
	if c := Compare(pass, broken); !c.Worse() {
		t.Error("a harness error turned PASS to FAIL: not worse")
	}
	if c := Compare(warn, pass); c.Worse() || len(c.Regressions()) != 0 {
		t.Error("a fix is counted as worse")
	}
}

func TestComparisonTextAndMarkdown(t *testing.T) {
	base, next := baseAndNew()
	next.HarnessErrors = []string{"RoutingX: harness error: the canary did not answer"}
	c := Compare(base, next)
	var text bytes.Buffer
	if err := WriteComparisonText(&text, c); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "text", text.String(),
		"verdict FAIL → FAIL, 3 regressions, 2 newly failing, 1 newly passing, 1 outcome changed, 1 level changed, 1 message changed, 1 added, 1 removed, 1 unchanged\n",
		"\nRegressions:\n  level changed    Promoted (ResourceBackend): failed (SHOULD) → failed (MUST)\n      wrong status 500\n",
		"  newly failing    Breaks (ResourceBackend): passed (MUST) → failed (MUST)\n      no response from the upstream\n",
		"  message changed  Reworded (ResourceBackendExternalHostname): failed (MUST) → failed (MUST)\n      now: wrong status 503\n",
		"\nOther changes:\n  newly passing    Heals (ResourceBackend): failed (MUST) → passed (MUST)\n      no response\n",
		"  removed          Gone (ResourceBackend): passed (MUST) → absent\n",
		"new harness error: RoutingX: harness error: the canary did not answer\n",
	)
	if strings.Index(text.String(), "BreaksShould") > strings.Index(text.String(), "Heals") {
		t.Error("a SHOULD regression is listed after a fix")
	}
	var md bytes.Buffer
	if err := WriteComparisonMarkdown(&md, c); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "markdown", md.String(),
		"### XBackend conformance: changes since the base run\n\n**verdict FAIL → FAIL, 3 regressions,",
		"| **regression: newly failing** | `Breaks` | `ResourceBackend` | passed (MUST) | failed (MUST) | no response from the upstream |\n",
		"| **regression: newly failing** | `BreaksShould` | `ResourceBackendExternalHostname` | passed (SHOULD) | failed (SHOULD) | no \\| header \\`x\\` |\n",
		"| newly passing | `Heals` | `ResourceBackend` | failed (MUST) | passed (MUST) | no response |\n",
		"| added | `New` | `ResourceBackendExternalHostname` | absent | passed (OBSERVE) | — |\n",
		"#### New harness errors\n\n- RoutingX: harness error: the canary did not answer\n",
	)
}

func TestCompareFilesReadsBothFolders(t *testing.T) {
	base, next := baseAndNew()
	baseDir, newDir := t.TempDir(), t.TempDir()
	if _, err := Write(baseDir, base); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(newDir, next); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c, err := CompareFiles(&out, baseDir, newDir, FormatText)
	if err != nil || len(c.Changes) != 8 || !strings.Contains(out.String(), "3 regressions") {
		t.Errorf("CompareFiles: %v, %d changes:\n%s", err, len(c.Changes), out.String())
	}
	_, err = CompareFiles(&out, t.TempDir(), newDir, FormatMarkdown)
	var folder FolderError
	if !errors.As(err, &folder) || !strings.Contains(err.Error(), SummaryFile) {
		t.Errorf("base folder without a run: %v, want a FolderError naming %s", err, SummaryFile)
	}
}

// Two runs of the same failure differ in their namespaces, the fakes'
// tokens, Gomega's durations and ports: that is no change. Another
// expectation is, and the comparison shows its first new line.
func TestMessagesCompareWithoutWhatEveryRunChanges(t *testing.T) {
	failing := func(message string) Run {
		return run(result("RoutingWeightedSplit", verdict.Must, core, verdict.Failed, message))
	}
	first := failing("Timed out after 30.004s.\nlast response: HTTP 200: {\"role\":\"routingweightedsplit-t99ul/heavy\",\"token\":\"DK7GSRSTNXNAGNOEPFQAK6ISW5\"} from 192.0.2.10:41234\nonly routingweightedsplit-t99ul/heavy has answered so far")
	again := failing("Timed out after 30.011s.\nlast response: HTTP 200: {\"role\":\"routingweightedsplit-abcde/heavy\",\"token\":\"QWERTYUIOPASDFGHJKLZXCVBNM\"} from 192.0.2.10:50000\nonly routingweightedsplit-abcde/heavy has answered so far")
	if c := Compare(first, again); len(c.Changes) != 0 {
		t.Errorf("the same failure twice: %v", c.Changes)
	}
	status := failing("Timed out after 30.015s.\nroute status.parents seen last: \n  gw: ResolvedRefs=False (InvalidKind)\nExpected InvalidKind")
	if got := why(Compare(run(), status).Changes[0]); got != "route status.parents seen last: gw: ResolvedRefs=False (InvalidKind)" {
		t.Errorf("a reason that announces the next line is shown as %q", got)
	}
	other := failing("Timed out after 30.004s.\nlast response: HTTP 503\nno upstream answered")
	c := Compare(first, other)
	if len(c.Changes) != 1 || c.Changes[0].Kind != MessageChanged || why(c.Changes[0]) != "now: last response: HTTP 503" {
		t.Errorf("another failure: %+v, shown as %q", c.Changes, why(c.Changes[0]))
	}
}
