package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"

	"github.com/xbcheck/xbcheck/internal/report"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

func TestReportFromRerendersWithoutACluster(t *testing.T) {
	dir := t.TempDir()
	impl, err := report.CheckImplementation(confv1.Implementation{}, true)
	if err != nil {
		t.Fatal(err)
	}
	run := report.Run{Implementation: impl, Date: time.Now(), Run: verdict.Run{Results: []verdict.Result{{
		Scenario: verdict.Scenario{ShortName: "RoutingPlainHTTP", Level: verdict.Must, Feature: verdict.FeatureExternalHostname},
		Outcome:  verdict.Failed, State: "failed", RunTime: time.Second, Message: "no response from the upstream",
	}}}}
	if _, err := report.Write(dir, run); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "page.html")
	if _, err := execute("report", "--from", dir, "--output", out); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(page), "no response from the upstream") {
		t.Fatalf("re-rendered page lacks the failure: %v", err)
	}
}

func TestReportNeedsWhatItRendersFrom(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no --from":      {[]string{"report"}, "--from is required"},
		"not a run":      {[]string{"report", "--from", t.TempDir()}, "has no summary.json"},
		"vendor no name": {[]string{"run", "--implementation-cmd", "true", "--report-output", t.TempDir(), "--project", "p"}, "needs the implementation's --organization, --url, --version, --contact"},
	} {
		t.Run(name, func(t *testing.T) { wantUsageError(t, tc.args, tc.want) })
	}
}

func TestReportMarkdownGoesToStdoutOrOutput(t *testing.T) {
	dir := t.TempDir()
	run := report.Run{
		Implementation: confv1.Implementation{Organization: "Example Corp", Project: "example-gateway", Version: "v2.1.0"},
		Date:           time.Now(), GatewayAPIVersion: "v1.6.3",
		Run: verdict.Run{Results: []verdict.Result{{
			Scenario: verdict.Scenario{ShortName: "RoutingPlainHTTP", Level: verdict.Must, Feature: verdict.FeatureExternalHostname},
			Outcome:  verdict.Failed, State: "failed", Message: "no response | from the `upstream`",
		}}},
	}
	if _, err := report.Write(dir, run); err != nil {
		t.Fatal(err)
	}
	out, err := execute("report", "--from", dir, "--format", "markdown")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### XBackend conformance of example-gateway v2.1.0 on Gateway API v1.6.3\n\n**FAIL**: 1 MUST scenario failed",
		"| MUST | `RoutingPlainHTTP` | `ResourceBackendExternalHostname` | no response \\| from the \\`upstream\\` |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	file := filepath.Join(t.TempDir(), "summary.md")
	said, err := execute("report", "--from", dir, "--format", "markdown", "--output", file)
	if err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(file)
	if err != nil || string(written) != out || said != "report: "+file+"\n" {
		t.Errorf("--output wrote %q (%v) and said %q; want what stdout had, and where it went", written, err, said)
	}
	page, err := execute("report", "--from", dir, "--format", "html", "--output", "-")
	if err != nil || !strings.HasPrefix(page, "<!DOCTYPE html>") {
		t.Errorf("--format html --output - wrote %.60q, %v; want the page on stdout", page, err)
	}
}

func TestReportRefusesAnUnknownFormat(t *testing.T) {
	_, err := execute("report", "--from", t.TempDir(), "--format", "pdf")
	var usage runner.UsageError
	if err == nil || !strings.Contains(err.Error(), "give html (the page) or markdown") || !errors.As(err, &usage) {
		t.Fatalf("want a usage error naming the formats, got %v", err)
	}
}

// TestReportCompareSaysWhatARunBroke: two report folders, the second with
// a MUST spec broken and a SHOULD spec fixed; the comparison lists the
// regression first and exits 1, and a run compared with itself exits 0.
func TestReportCompareSaysWhatARunBroke(t *testing.T) {
	spec := func(name string, level verdict.Level, outcome verdict.Outcome, message string) verdict.Result {
		return verdict.Result{Scenario: verdict.Scenario{ShortName: name, Level: level, Feature: verdict.FeatureResourceBackend}, Outcome: outcome, State: string(outcome), Message: message}
	}
	write := func(results ...verdict.Result) string {
		dir := t.TempDir()
		if _, err := report.Write(dir, report.Run{Date: time.Now(), GatewayAPIVersion: "v1.7.0", Run: verdict.Run{Results: results}}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	base := write(spec("RoutingPlainHTTP", verdict.Must, verdict.Passed, ""), spec("StatusResolvedRefs", verdict.Should, verdict.Failed, "late"))
	broken := write(spec("RoutingPlainHTTP", verdict.Must, verdict.Failed, "no response from the upstream"), spec("StatusResolvedRefs", verdict.Should, verdict.Passed, ""))
	out, err := execute("report", "--from", broken, "--compare", base)
	var exit exitError
	if !errors.As(err, &exit) || exit.code != exitFailed {
		t.Errorf("a MUST regression: %v, want exit %d", err, exitFailed)
	}
	regression, fix := strings.Index(out, "newly failing    RoutingPlainHTTP"), strings.Index(out, "newly passing    StatusResolvedRefs")
	if !strings.Contains(out, "verdict PASS → FAIL, 1 regression") || regression < 0 || fix < regression {
		t.Errorf("text comparison, want the regression before the fix:\n%s", out)
	}
	md, err := execute("report", "--from", broken, "--compare", base, "--format", "markdown")
	if !errors.As(err, &exit) || !strings.Contains(md, "| **regression: newly failing** | `RoutingPlainHTTP` |") {
		t.Errorf("markdown comparison: %v\n%s", err, md)
	}
	same, err := execute("report", "--from", base, "--compare", base)
	if err != nil || !strings.Contains(same, "no regression, 2 unchanged") {
		t.Errorf("a run with itself: %v\n%s", err, same)
	}
	for args, want := range map[string]string{
		"--format html":     `--format "html" with --compare: give text`,
		"--compare MISSING": "has no summary.json",
	} {
		words := append([]string{"report", "--from", broken, "--compare", base}, strings.Fields(args)...)
		if strings.HasPrefix(args, "--compare") {
			words = []string{"report", "--from", broken, "--compare", t.TempDir()}
		}
		wantUsageError(t, words, want)
	}
}
