package runner

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/xbcheck/xbcheck/internal/verdict"
)

// coordinator is where a process running specs asks for its share and
// sends its results: the scheduler itself in a serial run, the run's
// parent process over HTTP in a parallel one.
type coordinator interface {
	// claim says whether the asking worker runs spec s.
	claim(worker int, s verdict.Scenario) bool
	// finish takes the raw result of a spec the worker ran.
	finish(worker int, r verdict.Result)
	// harnessError takes a failure outside any spec (suite set-up).
	harnessError(worker int, message string)
}

// scheduler hands the selected specs out to workers, one claim each, in the
// order the workers meet them (which Ginkgo sorts by priority, highest
// first), collects their results, prints one progress line per finished
// spec, and stops handing out specs once the fail-fast rule is met.
type scheduler struct {
	claimed  verdict.FeatureSet
	failFast FailFast
	progress *progress

	mu       sync.Mutex
	selected map[string]bool
	owner    map[string]int
	done     map[string]bool
	stopped  string
	// halt is closed when the fail-fast rule stops the run: specs still
	// running are abandoned.
	halt chan struct{}
	run  verdict.Run
}

// FailFast says when a run stops handing out specs: never (""), at the
// first failure (FailFastAny), or at the first failed MUST spec
// (FailFastMust, what mutation testing needs to prove a kill at MUST).
type FailFast string

const (
	FailFastAny  FailFast = "any"
	FailFastMust FailFast = "MUST"
)

func newScheduler(selected []verdict.Scenario, claimed verdict.FeatureSet, failFast FailFast, p *progress) *scheduler {
	s := &scheduler{claimed: claimed, failFast: failFast, progress: p,
		selected: map[string]bool{}, owner: map[string]int{}, done: map[string]bool{}, halt: make(chan struct{})}
	for _, sc := range selected {
		s.selected[sc.ShortName] = true
	}
	return s
}

func (s *scheduler) claim(worker int, sc verdict.Scenario) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.owner[sc.ShortName]; taken || s.stopped != "" {
		return false
	}
	s.owner[sc.ShortName] = worker
	s.progress.specStarted()
	return true
}

func (s *scheduler) finish(worker int, r verdict.Result) {
	r = verdict.Judge(r, s.claimed)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done[r.ShortName] {
		return
	}
	s.done[r.ShortName] = true
	if s.stopped != "" && r.State == interrupted {
		// Abandoned when the run stopped: it has no verdict.
		return
	}
	s.run.AddResult(r)
	if s.stopped == "" && r.Outcome == verdict.Failed && (s.failFast == FailFastAny || s.failFast == FailFastMust && r.Level == verdict.Must) {
		s.stopped = r.ShortName
		close(s.halt)
	}
	_, claimed := s.owner[r.ShortName]
	s.progress.specFinished(ProgressLine(r), claimed)
}

func (s *scheduler) harnessError(worker int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.run.HarnessErrors = append(s.run.HarnessErrors, fmt.Sprintf("worker %d: %s", worker, message))
}

// lost records the specs a worker claimed but never reported, when it died.
func (s *scheduler) lost(worker int, why error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for name, w := range s.owner {
		if w == worker && !s.done[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if why != nil || len(names) > 0 {
		s.run.HarnessErrors = append(s.run.HarnessErrors, fmt.Sprintf("worker %d ended (%v) without reporting %v", worker, why, names))
	}
}

// verdicts returns the results and harness errors so far.
func (s *scheduler) verdicts() verdict.Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run
}

// interrupted is Ginkgo's state of a spec a worker abandoned on SIGINT.
var interrupted = types.SpecStateInterrupted.String()

// stoppedAt is the spec whose failure stopped the run, or "".
func (s *scheduler) stoppedAt() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
}

// progress prints one line per finished spec and, on a terminal, a live
// line under them counting running and finished specs.
type progress struct {
	mu       sync.Mutex
	out      io.Writer
	terminal bool
	total    int
	running  int
	finished int
	start    time.Time
}

func newProgress(out io.Writer, terminal bool, total int) *progress {
	return &progress{out: out, terminal: terminal, total: total, start: time.Now()}
}

func (p *progress) specStarted() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running++
	p.redraw()
}

func (p *progress) specFinished(line string, claimed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if claimed {
		p.running--
	}
	p.finished++
	p.clear()
	fmt.Fprintln(p.out, line)
	p.redraw()
}

// done clears the live line for good.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	p.terminal = false
}

func (p *progress) clear() {
	if p.terminal {
		fmt.Fprint(p.out, "\r\033[K")
	}
}

func (p *progress) redraw() {
	if p.terminal {
		fmt.Fprintf(p.out, "\r\033[K%d running, %d of %d finished, %s", p.running, p.finished, p.total, time.Since(p.start).Round(time.Second))
	}
}
