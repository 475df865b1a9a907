// Package runner runs the XBackend suite end to end: it validates the
// user's input, brings up the control plane (embedded envtest, or an
// existing cluster), the fakes and the implementation, builds the harness,
// registers the suite's families as Ginkgo specs and runs them in-process,
// and turns Ginkgo's report into verdicts: the one place where a Ginkgo
// spec state becomes a verdict.Outcome.
//
// `xbcheck run` and `go test ./suites/...` both go through Run, so the specs
// a vendor runs are exactly the specs CI runs.
package runner
