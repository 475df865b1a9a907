package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// xbcheck coverage prints the map of a release, in text or Markdown, and
// ends with "uncovered: N"; bad input is a usage error.
func TestCoverageCommand(t *testing.T) {
	last := regexp.MustCompile(`\nuncovered: \d+\n$`)
	for _, args := range [][]string{
		{"coverage", "--gateway-api-version", "v1.6.3"},
		{"coverage", "--gateway-api-version", "v1.7.0", "--format", "markdown"},
	} {
		out, err := execute(args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !last.MatchString(out) || !strings.Contains(out, "XBackend CEL rule") || !strings.Contains(out, "AdmissionValidExternalHostname") {
			t.Errorf("%v: the map lacks its groups, its scenarios or its closing line:\n%s", args, out[max(0, len(out)-400):])
		}
	}
	noCRD := t.TempDir()
	if err := os.WriteFile(filepath.Join(noCRD, "x.yaml"), []byte("kind: ConfigMap\napiVersion: v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"coverage", "--format", "html"}, `--format "html"`},
		{[]string{"coverage", "--gateway-api-version", "latest"}, "is not a Gateway API release"},
		{[]string{"coverage", "--crds", noCRD}, "no XBackend CRD"},
		{[]string{"coverage", "now"}, "unknown command"},
	} {
		wantUsageError(t, tc.args, tc.want)
	}
}
