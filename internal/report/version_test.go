package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryReportNamesTheGatewayAPIVersion writes a run of each release
// xbcheck speaks and finds its version, and not the other's, in every
// report: the conformance report, the summary, the page, JUnit, the
// Markdown summary and the text shown at the end of a run.
func TestEveryReportNamesTheGatewayAPIVersion(t *testing.T) {
	versions := []string{"v1.6.3", "v1.7.0"}
	for i, version := range versions {
		other := versions[1-i]
		dir := t.TempDir()
		r := fixture(t, dir)
		r.GatewayAPIVersion = version
		files, err := Write(dir, r)
		if err != nil {
			t.Fatal(err)
		}
		texts := map[string]string{}
		for _, f := range files {
			data, err := os.ReadFile(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			texts[filepath.Base(f.Path)] = string(data)
		}
		var text, md bytes.Buffer
		WriteText(&text, r)
		texts["text"] = text.String()
		if err := WriteMarkdown(&md, r); err != nil {
			t.Fatal(err)
		}
		texts["markdown"] = md.String()
		for name, got := range texts {
			if !strings.Contains(got, version) {
				t.Errorf("%s of a %s run does not name %s", name, version, version)
			}
			if strings.Contains(got, other) {
				t.Errorf("%s of a %s run names %s", name, version, other)
			}
		}
	}
}
