package harness

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/internal/verdict"
)

// FaultEntry names the report entry that carries a scenario's harness
// error (a verdict.HarnessError) to the runner, which tells it from a
// failure of the implementation by the value's type, never by its text.
const FaultEntry = "xbcheck harness error"

// Fault fails the running scenario with a harness error: the harness, not
// the implementation, could not do its part (a fake did not start, a
// positive control failed). err is made a verdict.HarnessError unless it
// is one. The run then fails whatever the scenario's level, and the
// failure is never counted against the implementation.
func Fault(err error) {
	GinkgoHelper()
	if !verdict.IsHarnessError(err) {
		err = verdict.HarnessErrorf("%w", err)
	}
	AddReportEntry(FaultEntry, ReportEntryVisibilityNever, err)
	Fail(err.Error())
}

// Check fails the running scenario with a harness error when err is not
// nil, saying what the harness was doing (format and args) and why.
func Check(err error, format string, args ...any) {
	if err == nil {
		return
	}
	GinkgoHelper()
	Fault(verdict.HarnessErrorf("%s: %w", fmt.Sprintf(format, args...), err))
}

// eventuallyOrFault polls f every Poll until it succeeds, for up to
// within; when it never does, the scenario fails with a harness error
// saying what the harness could not do (format and args) and f's last
// failure. It is for the harness's own work (writing a status a kubelet or
// another controller would), never for waiting on the implementation.
func (s *T) eventuallyOrFault(ctx context.Context, within time.Duration, f func(g Gomega), format string, args ...any) {
	GinkgoHelper()
	var failure string
	g := NewGomega(func(message string, _ ...int) { failure = message })
	if !g.Eventually(f).WithContext(ctx).WithTimeout(within).WithPolling(s.h.Timeouts.Poll).Should(Succeed()) {
		Fault(fmt.Errorf("%s: %s", fmt.Sprintf(format, args...), failure))
	}
}
