package runner

import (
	"fmt"
	"io"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
	"github.com/onsi/gomega/format"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// runSpecs runs, in this process, the share of the selected specs that
// coord gives worker, in priority order, and sends coord each result.
// Ginkgo's own reporter writes to ginkgoOut (discarded unless debugging:
// the coordinator prints a line per spec). Ginkgo runs once per process.
func runSpecs(t ginkgo.GinkgoTestingT, h *harness.Harness, sc types.SuiteConfig, rc types.ReporterConfig, worker int, coord coordinator, priority func(verdict.Scenario) int, ginkgoOut io.Writer) {
	// Every spec is its own group, so Ginkgo orders them by priority alone.
	sc.RandomizeAllSpecs = true
	h.Register(suites.Families(), harness.Schedule{
		Priority: priority,
		Claim:    func(s verdict.Scenario) bool { return coord.claim(worker, s) },
	})
	ginkgo.ReportAfterEach(func(sr types.SpecReport) {
		if r, ok := resultOf(sr); ok {
			coord.finish(worker, r)
		}
	})
	ginkgo.ReportAfterSuite("xbcheck suite failures", func(r ginkgo.Report) {
		for _, sr := range r.SpecReports {
			if sr.LeafNodeType != types.NodeTypeIt && sr.State.Is(types.SpecStateFailureStates) {
				coord.harnessError(worker, fmt.Sprintf("%s: %s", sr.LeafNodeType, firstLine(sr.Failure.Message)))
			}
		}
	})
	gomega.RegisterFailHandler(ginkgo.Fail)
	// Gomega shows an error as its Go value, pointer address included;
	// a reader wants its message.
	key := format.RegisterCustomFormatter(errorMessage)
	defer format.UnregisterCustomFormatter(key)
	formatter.ColorableStdOut = ginkgoOut
	ginkgo.RunSpecs(t, "XBackend conformance", sc, rc)
}

// errorMessage formats an error as its message, for failure messages.
func errorMessage(value any) (string, bool) {
	if err, ok := value.(error); ok && err != nil {
		return err.Error(), true
	}
	return "", false
}
