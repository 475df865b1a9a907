package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"

	"github.com/xbcheck/xbcheck/internal/evidence"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

// Files of a report folder.
const (
	SummaryFile     = "summary.json"
	ConformanceFile = "conformance-report.yaml"
	HTMLFile        = "report.html"
)

// Run is a run as summary.json keeps it: its verdicts and everything the
// reports are built from, besides the evidence files.
type Run struct {
	Implementation confv1.Implementation `json:"implementation"`
	// Tested says how the implementation ran, e.g. "reference gateway (in-process)".
	Tested            string    `json:"tested,omitempty"`
	GatewayClass      string    `json:"gatewayClass,omitempty"`
	Date              time.Time `json:"date"`
	GatewayAPIVersion string    `json:"gatewayAPIVersion"`
	GatewayAPIChannel string    `json:"gatewayAPIChannel"`
	// SupportedFeatures are the features the implementation claims;
	// FeatureSource says where that list came from.
	SupportedFeatures []verdict.Feature `json:"supportedFeatures"`
	FeatureSource     string            `json:"featureSource,omitempty"`
	verdict.Run
}

// supports reports whether the implementation claims f: every core
// feature, and the ones listed.
func (r Run) supports(f verdict.Feature) bool {
	return f.Core() || slices.Contains(r.SupportedFeatures, f)
}

// FolderError is a report folder whose run cannot be read: a folder with
// no summary.json, or one xbcheck did not write. It is the user's input
// that is wrong.
type FolderError struct{ Err error }

func (e FolderError) Error() string { return e.Err.Error() }
func (e FolderError) Unwrap() error { return e.Err }

// ReadRun reads dir's summary.json; its errors are FolderErrors.
func ReadRun(dir string) (Run, error) {
	var r Run
	data, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if os.IsNotExist(err) {
		return r, FolderError{fmt.Errorf("%s has no %s; give the --report-output folder of an `xbcheck run`", dir, SummaryFile)}
	}
	if err != nil {
		return r, FolderError{err}
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, FolderError{fmt.Errorf("%s: %v; it was not written by xbcheck, or was edited", filepath.Join(dir, SummaryFile), err)}
	}
	return r, nil
}

// readEvidence reads dir's evidence/<ShortName>.json for each result. A
// spec without a file (skipped before it started) has none; a file that
// cannot be read is reported in the map of errors, not fatal.
func readEvidence(dir string, results []verdict.Result) (map[string]*evidence.Doc, map[string]string) {
	docs, problems := map[string]*evidence.Doc{}, map[string]string{}
	for _, res := range results {
		doc, err := evidence.Read(filepath.Join(dir, evidence.Dir), res.ShortName)
		switch {
		case os.IsNotExist(err):
		case err != nil:
			problems[res.ShortName] = err.Error()
		default:
			docs[res.ShortName] = doc
		}
	}
	return docs, problems
}
