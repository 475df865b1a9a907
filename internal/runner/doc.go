// Package runner runs the XBackend suite end to end: it validates the
// user's input, brings up the control plane (embedded envtest, or an
// existing cluster), runs the Ginkgo specs of package suites in-process and
// turns their report into verdicts by level.
//
// `xbcheck run` and `go test ./suites/...` both go through Run, so the specs
// a vendor runs are exactly the specs CI runs.
package runner
