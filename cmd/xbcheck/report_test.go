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
		t.Run(name, func(t *testing.T) {
			_, err := execute(tc.args...)
			var usage runner.UsageError
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &usage) {
				t.Fatalf("want a usage error containing %q, got %v", tc.want, err)
			}
		})
	}
}
