package report

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/xbcheck/xbcheck/internal/verdict"
)

// ChangeKind is how a spec's result changed between two runs.
type ChangeKind string

const (
	// NewlyFailing: the spec failed, and did not before.
	NewlyFailing ChangeKind = "newly failing"
	// NewlyPassing: the spec passed, and failed before.
	NewlyPassing ChangeKind = "newly passing"
	// OutcomeChanged: any other change of outcome, e.g. passed to skipped,
	// or failed to not supported when the claims changed.
	OutcomeChanged ChangeKind = "outcome changed"
	// LevelChanged: same outcome, the spec's level is another.
	LevelChanged ChangeKind = "level changed"
	// MessageChanged: same outcome and level, another reason.
	MessageChanged ChangeKind = "message changed"
	// Added and Removed: the spec is in one run only.
	Added   ChangeKind = "added"
	Removed ChangeKind = "removed"
)

// Change is one spec whose result differs between a base run and a new
// run; Base or New is nil for a spec in one run only.
type Change struct {
	ShortName string
	Kind      ChangeKind
	Base, New *verdict.Result
}

// Regression reports whether the new run fails the spec where the base
// did not fail it at that level: newly failing, added and failing, or
// failing at a stronger level than before.
func (c Change) Regression() bool {
	if c.New == nil || c.New.Outcome != verdict.Failed {
		return false
	}
	return c.Base == nil || c.Base.Outcome != verdict.Failed || levelRank(c.New.Level) < levelRank(c.Base.Level)
}

// levelRank orders levels from strongest (0) to weakest.
func levelRank(l verdict.Level) int {
	if i := slices.Index(verdict.Levels(), l); i >= 0 {
		return i
	}
	return len(verdict.Levels())
}

// Comparison is what changed from a base run to a new one: the changed
// specs, regressions first (MUST before SHOULD before OBSERVE), then the
// newly passing, the other changes, the added and the removed, each group
// in the new run's order.
type Comparison struct {
	Base, New Run
	Changes   []Change
	// Unchanged counts the specs of both runs with the same outcome, level
	// and reason.
	Unchanged int
}

// Compare compares two runs spec by spec, by ShortName.
func Compare(base, next Run) Comparison {
	c := Comparison{Base: base, New: next}
	before := map[string]*verdict.Result{}
	for i := range base.Results {
		before[base.Results[i].ShortName] = &base.Results[i]
	}
	seen := map[string]bool{}
	for i := range next.Results {
		n := &next.Results[i]
		seen[n.ShortName] = true
		if kind, changed := changeOf(before[n.ShortName], n); changed {
			c.Changes = append(c.Changes, Change{ShortName: n.ShortName, Kind: kind, Base: before[n.ShortName], New: n})
		} else {
			c.Unchanged++
		}
	}
	for i := range base.Results {
		if b := &base.Results[i]; !seen[b.ShortName] {
			c.Changes = append(c.Changes, Change{ShortName: b.ShortName, Kind: Removed, Base: b})
		}
	}
	slices.SortStableFunc(c.Changes, func(a, b Change) int { return changeRank(a) - changeRank(b) })
	return c
}

// changeOf says how a spec changed from base (nil: not in the base run)
// to next, and whether it did.
func changeOf(base, next *verdict.Result) (ChangeKind, bool) {
	switch {
	case base == nil:
		return Added, true
	case base.Outcome != verdict.Failed && next.Outcome == verdict.Failed:
		return NewlyFailing, true
	case base.Outcome == verdict.Failed && next.Outcome == verdict.Passed:
		return NewlyPassing, true
	case base.Outcome != next.Outcome:
		return OutcomeChanged, true
	case base.Level != next.Level:
		return LevelChanged, true
	case base.Outcome != verdict.Passed && stableMessage(*base) != stableMessage(*next):
		return MessageChanged, true
	}
	return "", false
}

// Parts of a message that differ from run to run whatever the
// implementation does: durations (Gomega's "Timed out after 30.004s."),
// the fakes' random tokens, addresses' ports.
var (
	durationText = regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|ms|s|m|h)\b`)
	tokenText    = regexp.MustCompile(`\b[A-Z2-7]{26}\b`)
	portText     = regexp.MustCompile(`(\d+\.\d+\.\d+\.\d+|\])(:\d+)\b`)
)

// stableMessage is a result's message with what differs between two runs
// of the same behaviour masked: the above, and the spec's namespace (its
// ShortName in lower case and a random suffix).
func stableMessage(r verdict.Result) string {
	m := strings.TrimSpace(r.Message)
	if r.ShortName != "" {
		m = regexp.MustCompile(`\b`+regexp.QuoteMeta(strings.ToLower(r.ShortName))+`-[a-z0-9]{5}\b`).ReplaceAllString(m, "<namespace>")
	}
	m = durationText.ReplaceAllString(m, "<duration>")
	m = tokenText.ReplaceAllString(m, "<token>")
	return portText.ReplaceAllString(m, "$1:<port>")
}

// messageDifference is the first line of the new run's message that the
// base run's lacks, masked as stableMessage masks it, or "".
func messageDifference(base, next verdict.Result) string {
	had := map[string]bool{}
	for l := range strings.SplitSeq(stableMessage(base), "\n") {
		had[strings.TrimSpace(l)] = true
	}
	for l := range strings.SplitSeq(stableMessage(next), "\n") {
		if l = strings.TrimSpace(l); l != "" && !had[l] {
			return l
		}
	}
	return ""
}

// changeRank orders changes: regressions by level, then by kind.
func changeRank(c Change) int {
	if c.Regression() {
		return levelRank(c.New.Level)
	}
	return 10 + slices.Index([]ChangeKind{NewlyPassing, OutcomeChanged, LevelChanged, MessageChanged, Added, Removed, NewlyFailing}, c.Kind)
}

// Regressions are the changes that are regressions.
func (c Comparison) Regressions() []Change {
	var out []Change
	for _, ch := range c.Changes {
		if ch.Regression() {
			out = append(out, ch)
		}
	}
	return out
}

// Worse reports whether the new run fails where the base did not: a MUST
// spec regressed, or the run's verdict went from pass to fail (a harness
// error, no core spec). `xbcheck report --compare` exits 1 on it.
func (c Comparison) Worse() bool {
	if c.Base.OK() && !c.New.OK() {
		return true
	}
	for _, ch := range c.Regressions() {
		if ch.New.Level == verdict.Must {
			return true
		}
	}
	return false
}

// headline is the comparison in one line: the verdicts, then the counts.
func (c Comparison) headline() string {
	parts := []string{fmt.Sprintf("verdict %s → %s", passWord(c.Base), passWord(c.New))}
	if n := len(c.Regressions()); n > 0 {
		parts = append(parts, plural(n, "regression", "regressions"))
	} else {
		parts = append(parts, "no regression")
	}
	counts := map[ChangeKind]int{}
	for _, ch := range c.Changes {
		counts[ch.Kind]++
	}
	for _, k := range []ChangeKind{NewlyFailing, NewlyPassing, OutcomeChanged, LevelChanged, MessageChanged, Added, Removed} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	return strings.Join(append(parts, fmt.Sprintf("%d unchanged", c.Unchanged)), ", ")
}

func passWord(r Run) string {
	if r.OK() {
		return "PASS"
	}
	return "FAIL"
}

// runLabel names a run: its implementation, Gateway API version and date.
func runLabel(r Run) string {
	var parts []string
	if name := strings.TrimSpace(r.Implementation.Project + " " + r.Implementation.Version); name != "" {
		parts = append(parts, name)
	} else if r.Tested != "" {
		parts = append(parts, r.Tested)
	}
	if r.GatewayAPIVersion != "" {
		parts = append(parts, "Gateway API "+r.GatewayAPIVersion)
	}
	if !r.Date.IsZero() {
		parts = append(parts, r.Date.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return or(strings.Join(parts, ", "), "a run")
}

// state is a result's outcome with its level, e.g. "failed (MUST)", or
// "absent".
func state(r *verdict.Result) string {
	if r == nil {
		return "absent"
	}
	return fmt.Sprintf("%s (%s)", r.Outcome, r.Level)
}

// why is the reason a change is shown: for a changed message, its first
// new line; else the new run's reason, or the base run's when the new one
// has none to give.
func why(ch Change) string {
	if ch.Kind == MessageChanged {
		if d := messageDifference(*ch.Base, *ch.New); d != "" {
			return "now: " + d
		}
	}
	for _, r := range []*verdict.Result{ch.New, ch.Base} {
		if r != nil && r.Outcome != verdict.Passed && r.Reason() != "" {
			return reasonWithItsObject(*r)
		}
	}
	return ""
}

// reasonWithItsObject is a result's reason, joined with the line after it
// when it only announces that line ("route status.parents seen last:").
func reasonWithItsObject(r verdict.Result) string {
	reason := r.Reason()
	if !strings.HasSuffix(reason, ":") {
		return reason
	}
	_, rest, _ := strings.Cut(r.Message, reason)
	for l := range strings.SplitSeq(rest, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return reason + " " + l
		}
	}
	return reason
}

// WriteComparisonText writes a comparison for a terminal: the headline,
// then one line per change, regressions first, with the reason under it.
func WriteComparisonText(w io.Writer, c Comparison) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "base: %s\nnew:  %s\n%s\n", runLabel(c.Base), runLabel(c.New), c.headline())
	regressions := len(c.Regressions())
	for i, ch := range c.Changes {
		switch {
		case i == 0 && regressions > 0:
			fmt.Fprintln(b, "\nRegressions:")
		case i == regressions:
			fmt.Fprintln(b, "\nOther changes:")
		}
		feature := featureOf(ch)
		fmt.Fprintf(b, "  %-16s %s (%s): %s → %s\n", ch.Kind, ch.ShortName, feature, state(ch.Base), state(ch.New))
		if reason := why(ch); reason != "" {
			fmt.Fprintf(b, "      %s\n", reason)
		}
	}
	for _, e := range c.New.HarnessErrors {
		if !slices.Contains(c.Base.HarnessErrors, e) {
			fmt.Fprintf(b, "new harness error: %s\n", oneLine(e))
		}
	}
	return b.Flush()
}

// WriteComparisonMarkdown writes a comparison as GitHub-flavoured
// Markdown, for a pull request's step summary or comment: the headline,
// then a table of the changes, regressions first. Everything from a
// message or the user is escaped.
func WriteComparisonMarkdown(w io.Writer, c Comparison) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "### XBackend conformance: changes since the base run\n\n")
	head := escapeMarkdown(c.headline())
	if len(c.Regressions()) > 0 {
		head = "**" + head + "**"
	}
	fmt.Fprintf(b, "%s\n\nBase: %s · new: %s\n", head, escapeMarkdown(runLabel(c.Base)), escapeMarkdown(runLabel(c.New)))
	if len(c.Changes) > 0 {
		fmt.Fprintf(b, "\n| change | scenario | feature | before | now | reason |\n|---|---|---|---|---|---|\n")
		for _, ch := range c.Changes {
			kind := escapeMarkdown(string(ch.Kind))
			if ch.Regression() {
				kind = "**regression: " + kind + "**"
			}
			reason := oneLine(why(ch))
			if r := []rune(reason); len(r) > maxReasonRunes {
				reason = string(r[:maxReasonRunes-1]) + "…"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", kind, codeSpan(ch.ShortName), codeSpan(featureOf(ch)),
				escapeMarkdown(state(ch.Base)), escapeMarkdown(state(ch.New)), or(escapeMarkdown(reason), "—"))
		}
	}
	var added []string
	for _, e := range c.New.HarnessErrors {
		if !slices.Contains(c.Base.HarnessErrors, e) {
			added = append(added, "- "+escapeMarkdown(oneLine(e)))
		}
	}
	if len(added) > 0 {
		fmt.Fprintf(b, "\n#### New harness errors\n\n%s\n", strings.Join(added, "\n"))
	}
	return b.Flush()
}

// featureOf is the feature of a changed spec, from the new run if it has
// the spec.
func featureOf(ch Change) string {
	if ch.New != nil {
		return string(ch.New.Feature)
	}
	return string(ch.Base.Feature)
}
