package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// File is a report written, and what it is for.
type File struct {
	Path, What string
}

// Write writes summary.json, conformance-report.yaml, report.html and
// junit.xml into dir, next to the run's evidence folder, and returns them.
func Write(dir string, r Run) ([]File, error) {
	summary, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	conformance, err := yaml.Marshal(Conformance(r))
	if err != nil {
		return nil, err
	}
	var page bytes.Buffer
	if err := Render(&page, r, dir); err != nil {
		return nil, err
	}
	var written []File
	for _, f := range []struct {
		name, what string
		data       []byte
	}{
		{ConformanceFile, "Gateway API ConformanceReport", conformance},
		{HTMLFile, "the run with each scenario's evidence, one self-contained page", page.Bytes()},
		{SummaryFile, "verdicts and what was tested, for tools", summary},
	} {
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			return written, fmt.Errorf("write the report: %w; give --report-output a folder xbcheck can write", err)
		}
		written = append(written, File{path, f.what})
	}
	junit := filepath.Join(dir, JUnitFile)
	if err := WriteJUnit(junit, r); err != nil {
		return written, fmt.Errorf("write the report: %w; give --report-output a folder xbcheck can write", err)
	}
	return append(written, File{junit, "JUnit XML, one test case per scenario"}), nil
}

// Formats of RenderFile and CompareFiles.
const (
	// FormatHTML is report.html, the self-contained page.
	FormatHTML = "html"
	// FormatMarkdown is a summary for CI step summaries and pull-request
	// comments.
	FormatMarkdown = "markdown"
	// FormatText is for a terminal (comparisons only).
	FormatText = "text"
)

// RenderFile renders the run whose report folder is dir (its summary.json
// and evidence) into w: FormatHTML the page, FormatMarkdown the summary.
// A folder without a readable summary.json is a FolderError.
func RenderFile(w io.Writer, dir, format string) error {
	r, err := ReadRun(dir)
	if err != nil {
		return err
	}
	switch format {
	case FormatHTML:
		return Render(w, r, dir)
	case FormatMarkdown:
		return WriteMarkdown(w, r)
	}
	return fmt.Errorf("no rendering %q of a run: give %s or %s", format, FormatHTML, FormatMarkdown)
}

// CompareFiles compares the run of report folder dir with the base run of
// baseDir and writes what changed into w, as FormatText or FormatMarkdown.
func CompareFiles(w io.Writer, baseDir, dir, format string) (Comparison, error) {
	base, err := ReadRun(baseDir)
	if err != nil {
		return Comparison{}, err
	}
	next, err := ReadRun(dir)
	if err != nil {
		return Comparison{}, err
	}
	c := Compare(base, next)
	switch format {
	case FormatText:
		return c, WriteComparisonText(w, c)
	case FormatMarkdown:
		return c, WriteComparisonMarkdown(w, c)
	}
	return c, fmt.Errorf("no rendering %q of a comparison: give %s or %s", format, FormatText, FormatMarkdown)
}
