// Package report writes what a vendor sends to certify an XBackend
// implementation, into the run's report folder (--report-output):
//
//   - summary.json: the run's verdicts and what was tested (type Run), the
//     machine-readable input of every other report;
//   - conformance-report.yaml: Gateway API's ConformanceReport, built with
//     the Go types of sigs.k8s.io/gateway-api/conformance/apis/v1;
//   - report.html: one self-contained page with the verdict, a table of
//     features × levels, each spec's evidence (from evidence/*.json) and a
//     chart of the OBSERVE measurements.
//
// After a run, call Write with the runner's Run, its Implementation set
// (CheckImplementation fills and checks it before the run starts) and its
// Date. Render re-renders report.html from a past run's folder, without a
// cluster; WriteMarkdown renders a run's summary.json as Markdown for CI
// step summaries and pull-request comments (`xbcheck report --format
// markdown`); WriteText prints the closing table of `xbcheck run`. The
// package reads verdicts and evidence only: it links no spec.
package report
