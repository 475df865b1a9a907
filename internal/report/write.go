package report

import (
	"bytes"
	"encoding/json"
	"fmt"
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
		{HTMLFile, "the run with each spec's evidence, one self-contained page", page.Bytes()},
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
	return append(written, File{junit, "JUnit XML, one test case per spec"}), nil
}

// RenderFile re-renders the HTML page of the run whose report folder is
// dir (its summary.json and evidence) into out.
func RenderFile(dir, out string) error {
	r, err := ReadRun(dir)
	if err != nil {
		return err
	}
	var page bytes.Buffer
	if err := Render(&page, r, dir); err != nil {
		return err
	}
	return os.WriteFile(out, page.Bytes(), 0o644)
}
