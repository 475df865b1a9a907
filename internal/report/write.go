package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// Write writes summary.json, conformance-report.yaml and report.html into
// dir, next to the run's evidence folder, and returns their paths.
func Write(dir string, r Run) ([]string, error) {
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
	var written []string
	for _, f := range []struct {
		name string
		data []byte
	}{{SummaryFile, summary}, {ConformanceFile, conformance}, {HTMLFile, page.Bytes()}} {
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			return written, fmt.Errorf("write the report: %w; give --report-output a folder xbcheck can write", err)
		}
		written = append(written, path)
	}
	return written, nil
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
