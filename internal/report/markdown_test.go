package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/xbcheck/xbcheck/internal/golden"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

func markdown(t *testing.T, r Run) string {
	t.Helper()
	var out bytes.Buffer
	if err := WriteMarkdown(&out, r); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// gfm renders Markdown as GitHub does its step summaries and comments
// (CommonMark with GFM tables), so tests check what a reader sees.
func gfm(t *testing.T, md string) string {
	t.Helper()
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestMarkdownMatchesGolden(t *testing.T) {
	got := markdown(t, fixture(t, t.TempDir()))
	golden.Check(t, filepath.Join("testdata", "markdown.golden.md"), got)
}

func TestMarkdownVerdictLineSaysWhy(t *testing.T) {
	core := result("RoutingBasic", verdict.Must, verdict.FeatureResourceBackend, verdict.Passed, "")
	for name, tc := range map[string]struct {
		r    Run
		want string
	}{
		"pass": {run(core), "**PASS**: no MUST scenario failed (1 passed, 0 failed, 0 not supported, 0 skipped)"},
		"pass with warnings": {run(core, result("TLSHostnameMismatch", verdict.Should, verdict.FeatureTLS, verdict.Failed, "no alert")),
			"**PASS with warnings**: 1 SHOULD scenario failed, no MUST scenario did"},
		"failed MUST scenarios": {run(core, result("A", verdict.Must, verdict.FeatureTLS, verdict.Failed, "x"), result("B", verdict.Must, verdict.FeatureResourceBackend, verdict.Failed, "y")),
			"**FAIL**: 2 MUST scenarios failed (1 passed, 2 failed"},
		"harness error": {func() Run {
			r := run(core)
			r.HarnessErrors = []string{"BeforeSuite: the control plane did not start"}
			return r
		}(), "**FAIL**: 1 harness error: the run proves nothing"},
		"a positive control is a harness error, not a MUST failure": {func() Run {
			r := run(core)
			r.AddResult(harnessFault("RebindLoopback", verdict.Must, verdict.FeatureDNSRebindingProtection, verdict.HarnessErrorf("canary is deaf")))
			return r
		}(), "**FAIL**: 1 harness error: the run proves nothing ("},
		"no core scenario ran": {run(result("TLSOnly", verdict.Must, verdict.FeatureTLS, verdict.Passed, "")),
			"**FAIL**: no core scenario ran: the run certifies nothing"},
	} {
		t.Run(name, func(t *testing.T) {
			md := markdown(t, tc.r)
			lines := strings.Split(md, "\n")
			if len(lines) < 3 || !strings.HasPrefix(lines[2], tc.want) {
				t.Errorf("the verdict line (third) is not %q...:\n%s", tc.want, md)
			}
		})
	}
}

func TestMarkdownEscapesMessages(t *testing.T) {
	nasty := "want `status | Accepted` got ``x | <b>y</b> *z* [l](http://e) _u_ & #1 \\"
	r := run(
		result("RoutingBasic", verdict.Must, verdict.FeatureResourceBackend, verdict.Failed, "Timed out after 30.000s.\n"+nasty+"\nsecond line"),
		result("Odd|Name`x", verdict.Must, verdict.FeatureMutualTLS, verdict.NotSupported, "pipe | and `tick"),
	)
	r.HarnessErrors = []string{"BeforeSuite: `kubectl` | failed\nwith a second line"}
	md := markdown(t, r)
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		// A row of n cells has n+1 pipes that are not escaped.
		cells := 0
		for i := range len(line) {
			if line[i] == '|' && (i == 0 || line[i-1] != '\\') {
				cells++
			}
		}
		if cells != 5 && cells != 6 {
			t.Errorf("a row with %d unescaped pipes, want 5 (scenario tables) or 6 (features): %s", cells, line)
		}
	}
	page := gfm(t, md)
	mustContain(t, "rendered Markdown", page,
		// The reason is the message's first line after Gomega's header,
		// shown literally: no code span, no tag, no emphasis, no link.
		"<td>want `status | Accepted` got ``x | &lt;b&gt;y&lt;/b&gt; *z* [l](http://e) _u_ &amp; #1 \\</td>",
		"<td><code>Odd|Name`x</code></td>",
		"<td>pipe | and `tick</td>",
		"<li>BeforeSuite: `kubectl` | failed with a second line</li>",
	)
	for _, bad := range []string{"<b>", "<em>", "<strong>z", `<a href="http://e"`, "second line</td>"} {
		if strings.Contains(page, bad) {
			t.Errorf("a message's text became Markdown (%q):\n%s", bad, page)
		}
	}
}

func TestMarkdownTablesRenderAsTables(t *testing.T) {
	page := gfm(t, markdown(t, fixture(t, t.TempDir())))
	mustContain(t, "rendered Markdown", page,
		// failing, not supported, features × levels
		"<th>level</th>", "<th>feature</th>\n<th>named by</th>",
		"<td><code>RebindLoopbackFlip</code></td>",
		"<td>SHOULD (warning)</td>",
		"<td><code>ResourceBackendMutualTLS</code></td>\n<td>xbcheck, not claimed</td>",
		"<td><code>ResourceBackend</code></td>\n<td>Gateway API, GEP-4894, core</td>",
		"<td><code>HTTPRouteHostRewrite</code></td>\n<td>Gateway API, pkg/features, not claimed</td>",
		"<td><code>ResourceBackendTLS</code></td>\n<td>xbcheck, claimed</td>\n<td>1 passed</td>\n<td><strong>1 failed</strong></td>",
	)
	if n := strings.Count(page, "<table>"); n != 3 {
		t.Errorf("%d tables, want 3 (failing, not supported, features × levels):\n%s", n, page)
	}
}

func TestMarkdownCodeSpanFences(t *testing.T) {
	for in, want := range map[string]string{
		"plain":    "`plain`",
		"a`b":      "``a`b``",
		"a``b`c":   "```a``b`c```",
		"`edge":    "`` `edge ``",
		"a|b":      "`a\\|b`",
		"two\nrow": "`two row`",
	} {
		if got := codeSpan(in); got != want {
			t.Errorf("codeSpan(%q) = %q, want %q", in, got, want)
		}
	}
}
