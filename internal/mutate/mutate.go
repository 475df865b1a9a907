package mutate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/xbcheck/xbcheck/internal/report"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/reference/faults"
)

// Launch runs one child `xbcheck run` with args, env added to this
// process's environment, its output going to log, and returns when it has
// exited. A child whose specs fail exits non-zero:
// the verdicts come from its summary file, not from the error.
type Launch func(ctx context.Context, args, env []string, log io.Writer) error

// Exec launches children as processes of the xbcheck executable at path.
// On cancellation a child gets SIGINT, so it stops what it started.
func Exec(path string) Launch {
	return func(ctx context.Context, args, env []string, log io.Writer) error {
		cmd := exec.CommandContext(ctx, path, args...)
		if len(env) > 0 {
			cmd.Env = append(os.Environ(), env...)
		}
		cmd.Stdout, cmd.Stderr = log, log
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
		cmd.WaitDelay = 30 * time.Second
		return cmd.Run()
	}
}

// Options configures [Run].
type Options struct {
	// Kubeconfig reaches the control plane every child shares.
	Kubeconfig string
	// Faults are the mutants to run, one fault each.
	Faults []faults.Info
	// Mechanical says Faults name mechanical mutants instead (their IDs as
	// Name): each child switches one on through its environment, so Launch
	// must start the binary holding their schemata (internal/mutant).
	Mechanical bool
	// Parallel is how many mutants run at once; default 1.
	Parallel int
	// Workers is how many worker processes each mutant's run uses.
	Workers int
	// History orders each mutant's specs: those that killed its fault
	// last time first; nil keeps the usual order. Run records into it.
	History *History
	// Launch starts a child; see [Exec].
	Launch Launch
	// WorkDir receives each child's log and reports in <name>/.
	WorkDir string
	// Progress receives a line per finished run; default none.
	Progress io.Writer
	// Alive, when set, checks the shared control plane after every run: a
	// run whose specs failed because the API server went away kills
	// nothing, so Run stops with ErrControlPlaneLost.
	Alive func(context.Context) error
}

// ErrBaselineFails means the unmutated gateway does not pass the suite, so
// no mutant's failures would mean anything.
var ErrBaselineFails = errors.New("the unmutated reference gateway does not pass every MUST and SHOULD scenario")

// ErrControlPlaneLost means the shared control plane stopped answering
// during the mutation run, so failures since then prove nothing.
var ErrControlPlaneLost = errors.New("the control plane stopped answering during the mutation run")

// Run runs the baseline, then every mutant, Parallel at a time. It returns
// ErrBaselineFails (wrapped, with the failures) when the baseline does not
// pass, and ctx's error when it is cancelled.
func Run(ctx context.Context, opts Options) (Report, error) {
	opts = opts.withDefaults()
	started := time.Now()
	var report Report
	say := sayer(opts.Progress)

	say("mutate: baseline (no fault)")
	report.Baseline = runChild(ctx, opts, Child{}, slot(0, opts.Parallel))
	if ctx.Err() != nil {
		return report, ctx.Err()
	}
	if err := alive(ctx, opts, "the baseline"); err != nil {
		return report, err
	}
	if err := baselineError(report.Baseline); err != nil {
		report.Duration = time.Since(started)
		return report, err
	}
	say("mutate: baseline passed in %s; %d mutants, %d at a time", report.Baseline.Duration.Round(time.Second), len(opts.Faults), opts.Parallel)

	report.Mutants = make([]Outcome, len(opts.Faults))
	lost := inSlots(ctx, opts.Parallel, len(opts.Faults), func(lost context.Context, i int, s sandbox.Slot) error {
		info := opts.Faults[i]
		child := Child{Fault: info.Name}
		if opts.Mechanical {
			child = Child{Mutant: string(info.Name)}
		}
		if opts.History != nil {
			child.First = opts.History.first(info)
			child.FirstKill = opts.History.shouldOnly(info)
		}
		o := runChild(lost, opts, child, s)
		o.Fault = info
		report.Mutants[i] = o
		if err := alive(ctx, opts, "mutant "+string(info.Name)); err != nil {
			return err
		}
		say("mutate: %-32s %-8s %s", info.Name, o.Duration.Round(time.Second), o.verdict())
		return nil
	})
	report.Duration = time.Since(started)
	if ctx.Err() != nil {
		return report, ctx.Err()
	}
	if opts.History != nil {
		opts.History.record(report)
	}
	return report, lost
}

// alive checks the control plane after a run.
func alive(ctx context.Context, opts Options, run string) error {
	if opts.Alive == nil {
		return nil
	}
	if err := opts.Alive(ctx); err != nil {
		return fmt.Errorf("%w (found after %s: %v): its verdicts are void; run xbcheck mutate again", ErrControlPlaneLost, run, err)
	}
	return nil
}

// baselineError says why the baseline does not pass, or nil.
func baselineError(o Outcome) error {
	var why []string
	if len(o.Killers) > 0 {
		why = append(why, "failed "+strings.Join(names(o.Killers), ", "))
	}
	why = append(why, o.HarnessErrors...)
	if o.Err != nil {
		why = append(why, o.Err.Error())
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w (%s): fix that first; its log is %s", ErrBaselineFails, strings.Join(why, "; "), o.Log)
}

// runChild runs one child and reads its verdicts back.
func runChild(ctx context.Context, opts Options, c Child, s sandbox.Slot) Outcome {
	dir := filepath.Join(opts.WorkDir, c.Name())
	c.Kubeconfig, c.Slot, c.Workers = opts.Kubeconfig, s, opts.Workers
	c.ReportDir = dir
	o := Outcome{Log: filepath.Join(dir, "log")}
	started := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		o.Err = err
		return o
	}
	if err := os.Remove(filepath.Join(dir, report.SummaryFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		o.Err = err
		return o
	}
	log, err := os.Create(o.Log)
	if err != nil {
		o.Err = err
		return o
	}
	defer log.Close()
	launchErr := opts.Launch(ctx, c.Args(), c.Env(), log)
	o.Duration = time.Since(started)
	run, err := report.ReadRun(dir)
	switch {
	case ctx.Err() != nil:
		o.Err = ctx.Err()
	case err != nil && launchErr != nil:
		o.Err = fmt.Errorf("%v; see %s", launchErr, o.Log)
	case err != nil:
		o.Err = fmt.Errorf("no verdicts: %v; see %s", err, o.Log)
	default:
		o.Killers, o.HarnessErrors = killers(run), run.HarnessErrors
	}
	return o
}
