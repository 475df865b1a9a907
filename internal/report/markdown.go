package report

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/xbcheck/xbcheck/internal/verdict"
)

// maxReasonRunes bounds a reason line in Markdown: a step summary or a
// pull-request comment is read at a glance, report.html has the rest.
const maxReasonRunes = 300

// WriteMarkdown writes a run as GitHub-flavoured Markdown, for CI step
// summaries and pull-request comments: the verdict and why in one line,
// the implementation and Gateway API version, the failing specs one line
// each, the failures of unclaimed features apart, harness errors, and the
// features × levels table with who named each feature. Everything that
// came from a message or from the user is escaped, so a | or a backtick
// in it cannot break a table or open a code span.
func WriteMarkdown(w io.Writer, r Run) error {
	b := bufio.NewWriter(w)
	title := "XBackend conformance"
	if r.Implementation.Project != "" {
		title += " of " + strings.TrimSpace(r.Implementation.Project+" "+r.Implementation.Version)
	}
	if r.GatewayAPIVersion != "" {
		title += " on Gateway API " + r.GatewayAPIVersion
	}
	fmt.Fprintf(b, "### %s\n\n", escapeMarkdown(title))
	fmt.Fprintf(b, "%s\n\n", verdictLine(r))
	fmt.Fprintf(b, "%s\n", aboutLine(r))

	var failing, unsupported []verdict.Result
	for _, res := range r.Results {
		switch res.Outcome {
		case verdict.Failed:
			failing = append(failing, res)
		case verdict.NotSupported:
			unsupported = append(unsupported, res)
		}
	}
	if why := r.Vacuous(); why != "" {
		fmt.Fprintf(b, "\n#### No core scenario ran: this run certifies nothing\n\n%s\n", escapeMarkdown(why))
	}
	if len(r.HarnessErrors) > 0 {
		fmt.Fprintf(b, "\n#### Harness errors: this run proves nothing\n\n")
		for _, e := range r.HarnessErrors {
			fmt.Fprintf(b, "- %s\n", escapeMarkdown(oneLine(e)))
		}
	}
	if len(failing) > 0 {
		fmt.Fprintf(b, "\n#### Failing scenarios\n\n")
		writeSpecTable(b, failing, func(res verdict.Result) string {
			if res.Level == verdict.Must {
				return string(res.Level)
			}
			return string(res.Level) + " (warning)"
		})
	}
	if len(unsupported) > 0 {
		fmt.Fprintf(b, "\n#### Not supported\n\nFailures of extended features the implementation does not claim (claims from %s): listed, with no verdict.\n\n",
			escapeMarkdown(or(r.FeatureSource, "a source not recorded")))
		writeSpecTable(b, unsupported, func(res verdict.Result) string { return string(res.Level) })
	}
	writeFeatureTable(b, r)
	fmt.Fprintf(b, "\nEach scenario's evidence (DNS answers, what upstreams and canaries saw, status over time) is in report.html of the run's report folder.\n")
	return b.Flush()
}

// verdictLine is the verdict and why, in one line.
func verdictLine(r Run) string {
	counts := fmt.Sprintf("%d passed, %d failed, %d not supported, %d skipped",
		r.Count(verdict.Passed), r.Count(verdict.Failed), r.Count(verdict.NotSupported), r.Count(verdict.Skipped))
	if !r.OK() {
		var why []string
		if must := len(r.Failing(verdict.Must)); must > 0 {
			why = append(why, plural(must, "MUST scenario", "MUST scenarios")+" failed")
		}
		if n := len(r.HarnessErrors); n > 0 {
			why = append(why, plural(n, "harness error", "harness errors")+": the run proves nothing")
		}
		if r.Vacuous() != "" {
			why = append(why, "no core scenario ran: the run certifies nothing")
		}
		return "**FAIL**: " + strings.Join(why, "; ") + " (" + counts + ")"
	}
	var warnings []string
	for _, l := range []verdict.Level{verdict.Should, verdict.Observe} {
		if n := len(r.Failing(l)); n > 0 {
			warnings = append(warnings, plural(n, string(l)+" scenario", string(l)+" scenarios")+" failed")
		}
	}
	if len(warnings) > 0 {
		return "**PASS with warnings**: " + strings.Join(warnings, ", ") + ", no MUST scenario did (" + counts + ")"
	}
	return "**PASS**: no MUST scenario failed (" + counts + ")"
}

// aboutLine says what was tested, where and when.
func aboutLine(r Run) string {
	impl := r.Implementation
	var parts []string
	if names := nonEmpty(impl.Organization, strings.TrimSpace(impl.Project+" "+impl.Version)); len(names) > 0 {
		who := escapeMarkdown(strings.Join(names, ", "))
		if link := autolink(impl.URL); link != "" {
			who += " (" + link + ")"
		}
		parts = append(parts, "Implementation: "+who)
	}
	api := "Gateway API " + or(r.GatewayAPIVersion, "(version not recorded)")
	if r.GatewayAPIChannel != "" {
		api += ", " + r.GatewayAPIChannel + " channel"
	}
	parts = append(parts, escapeMarkdown(api))
	if r.Tested != "" {
		parts = append(parts, "tested: "+escapeMarkdown(r.Tested))
	}
	if r.GatewayClass != "" {
		parts = append(parts, "GatewayClass "+codeSpan(r.GatewayClass))
	}
	if !r.Date.IsZero() {
		parts = append(parts, r.Date.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if r.Duration > 0 {
		parts = append(parts, "suite time "+r.Duration.Round(time.Second).String())
	}
	return strings.Join(parts, " · ")
}

// writeSpecTable lists specs one row each: level, ShortName, feature and
// the line of the message that says why.
func writeSpecTable(w io.Writer, specs []verdict.Result, level func(verdict.Result) string) {
	fmt.Fprintln(w, "| level | scenario | feature | reason |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, res := range specs {
		feature := codeSpan(string(res.Feature))
		if res.FailClosed {
			feature += " (fail-closed)"
		}
		reason := oneLine(res.Reason())
		if r := []rune(reason); len(r) > maxReasonRunes {
			reason = string(r[:maxReasonRunes-1]) + "…"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", level(res), codeSpan(res.ShortName), feature, or(escapeMarkdown(reason), "(no message)"))
	}
}

// writeFeatureTable counts the outcomes by feature and level, naming who
// defined each feature and whether the implementation claims it.
func writeFeatureTable(w io.Writer, r Run) {
	counts := countOutcomes(r)
	fmt.Fprintf(w, "\n#### Features × levels\n\n| feature | named by |")
	for _, l := range verdict.Levels() {
		fmt.Fprintf(w, " %s |", l)
	}
	fmt.Fprintf(w, "\n|---|---|%s\n", strings.Repeat("---|", len(verdict.Levels())))
	for _, f := range verdict.Features() {
		claim := "claimed"
		switch {
		case f.Core:
			claim = "core"
		case !r.supports(f.Name):
			claim = "not claimed"
		}
		fmt.Fprintf(w, "| %s | %s, %s |", codeSpan(string(f.Name)), escapeMarkdown(string(f.Origin)), claim)
		for _, l := range verdict.Levels() {
			fmt.Fprintf(w, " %s |", cellText(counts[featureLevel{f.Name, l}]))
		}
		fmt.Fprintln(w)
	}
}

// cellText is a cell of the features × levels table: its non-zero counts,
// failures in bold, or a dash.
func cellText(c map[verdict.Outcome]int) string {
	var parts []string
	for _, o := range []verdict.Outcome{verdict.Passed, verdict.Failed, verdict.NotSupported, verdict.Skipped} {
		if c[o] == 0 {
			continue
		}
		text := fmt.Sprintf("%d %s", c[o], strings.ReplaceAll(string(o), "-", " "))
		if o == verdict.Failed {
			text = "**" + text + "**"
		}
		parts = append(parts, text)
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

// markdownEscaper backslash-escapes the ASCII punctuation that could start
// Markdown or HTML, or end a table cell. CommonMark allows a backslash
// before any ASCII punctuation, and GFM tables read \| as a literal pipe.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `|`, `\|`, `~`, `\~`, `&`, `\&`, `#`, `\#`,
)

// escapeMarkdown makes s plain text in Markdown, inline or in a table cell.
func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// codeSpan puts s in a code span whose fence is longer than any run of
// backticks inside it, with | escaped as GFM tables need even in code.
func codeSpan(s string) string {
	s = oneLine(s)
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + strings.ReplaceAll(s, "|", `\|`) + fence
}

// oneLine joins a text's lines so it fits a list item or a table row.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// autolink is u as a Markdown autolink when it is a plain http(s) URL,
// else u escaped as text.
func autolink(u string) string {
	parsed, err := url.Parse(u)
	if u == "" {
		return ""
	}
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || strings.ContainsAny(u, " <>\"`|") {
		return escapeMarkdown(u)
	}
	return "<" + u + ">"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
