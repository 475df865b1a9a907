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
// Date. RenderFile re-renders a past run's folder without a cluster, as
// report.html (Render) or as Markdown for CI step summaries and
// pull-request comments (WriteMarkdown): `xbcheck report` goes through it.
// Compare says what changed between two runs, spec by spec, regressions
// first, and CompareFiles writes it as text or Markdown (`xbcheck report
// --compare`). WriteText prints the closing table of `xbcheck run`. The
// package reads verdicts and evidence only: it links no spec.
package report
