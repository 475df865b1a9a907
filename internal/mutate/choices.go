package mutate

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/reference/faults"
)

// AllChoices names the run of every compatible choice at once.
const AllChoices = "all-choices"

// ChoiceRun is one run of the suite against the reference with choices
// on: one choice alone, or every compatible choice at once. Any MUST or
// SHOULD spec that fails is a false failure: the spec asks for more than
// its sentence.
type ChoiceRun struct {
	Name    string
	Choices []faults.ChoiceInfo
	Outcome Outcome
}

// Passed reports whether the run showed no failure at all: no MUST or
// SHOULD spec failed, no harness error, and the run gave its verdicts.
func (r ChoiceRun) Passed() bool {
	o := r.Outcome
	return !o.Killed() && len(o.HarnessErrors) == 0 && o.Err == nil
}

// ChoicePlan is what a choices run does: one run per choice, then one of
// them all at once but those a group excludes (only the first choice of
// a group joins it), and never the choices a run of the reference alone
// cannot show.
type ChoicePlan struct {
	Runs []ChoiceRun
	// LeftOut are the choices the all-at-once run leaves out, each
	// excluded by an earlier choice of its group.
	LeftOut []faults.ChoiceInfo
	// NotRun are the choices with a NotAlone reason.
	NotRun []faults.ChoiceInfo
}

// PlanChoices plans the runs of choices.
func PlanChoices(choices []faults.ChoiceInfo) ChoicePlan {
	var plan ChoicePlan
	all := ChoiceRun{Name: AllChoices}
	groups := map[string]bool{}
	for _, c := range choices {
		if c.NotAlone != "" {
			plan.NotRun = append(plan.NotRun, c)
			continue
		}
		plan.Runs = append(plan.Runs, ChoiceRun{Name: string(c.Name), Choices: []faults.ChoiceInfo{c}})
		if c.Group != "" && groups[c.Group] {
			plan.LeftOut = append(plan.LeftOut, c)
			continue
		}
		groups[c.Group] = c.Group != ""
		all.Choices = append(all.Choices, c)
	}
	if len(all.Choices) > 1 {
		plan.Runs = append(plan.Runs, all)
	}
	return plan
}

// SelectChoices returns the choices a comma-separated list names, in the
// order of [faults.Choices]; every choice when the list is empty.
func SelectChoices(list string) ([]faults.ChoiceInfo, error) {
	set, err := faults.Parse(list)
	if err != nil {
		return nil, err
	}
	for f := range set {
		if !faults.Choice(f) {
			return nil, fmt.Errorf("%s is a fault, not a choice: name choices only, or leave --faults out to run them all", f)
		}
	}
	var out []faults.ChoiceInfo
	for _, c := range faults.Choices() {
		if len(set) == 0 || set.Has(c.Name) {
			out = append(out, c)
		}
	}
	return out, nil
}

// ChoiceReport is the outcome of a choices run.
type ChoiceReport struct {
	ChoicePlan
	Duration time.Duration
}

// RunChoices runs the suite once per run of plan, Parallel at a time, each
// run to its end (no fail-fast): every failure it shows is a false
// failure. Faults, History and FirstKill of opts play no part.
func RunChoices(ctx context.Context, opts Options, plan ChoicePlan) (ChoiceReport, error) {
	opts = opts.withDefaults()
	started := time.Now()
	report := ChoiceReport{ChoicePlan: plan}
	report.Runs = slices.Clone(plan.Runs)
	say := sayer(opts.Progress)
	say("mutate: %d runs of choices, %d at a time", len(report.Runs), opts.Parallel)
	lost := inSlots(ctx, opts.Parallel, len(report.Runs), func(lost context.Context, i int, s sandbox.Slot) error {
		run := &report.Runs[i]
		child := Child{Label: run.Name}
		for _, c := range run.Choices {
			child.Choices = append(child.Choices, c.Name)
		}
		run.Outcome = runChild(lost, opts, child, s)
		if err := alive(ctx, opts, "the run of "+run.Name); err != nil {
			return err
		}
		say("mutate: %-32s %-8s %s", run.Name, run.Outcome.Duration.Round(time.Second), run.verdict())
		return nil
	})
	report.Duration = time.Since(started)
	if ctx.Err() != nil {
		return report, ctx.Err()
	}
	return report, lost
}

// verdict is the table's column for the run: passed, or what failed.
func (r ChoiceRun) verdict() string {
	o := r.Outcome
	switch {
	case r.Passed():
		return "passed"
	case o.Killed():
		return "FALSE FAILURE (" + string(o.KillLevel()) + "): " + strings.Join(names(o.Killers), ", ")
	case o.Err != nil:
		return "FAILED (run broke: " + o.Err.Error() + ")"
	default:
		return "FAILED (harness error: " + o.HarnessErrors[0] + ")"
	}
}

// Counts returns how many runs passed and how many failed.
func (r ChoiceReport) Counts() (passed, failed int) {
	for _, run := range r.Runs {
		if run.Passed() {
			passed++
		} else {
			failed++
		}
	}
	return passed, failed
}

// CountsLine is the last line of a choices run; tools parse it.
func (r ChoiceReport) CountsLine() string {
	passed, failed := r.Counts()
	return fmt.Sprintf("choices: %d passed, %d failed", passed, failed)
}

// WriteTable prints one row per run (the choice, its time, passed or the
// specs that failed, what the choice does), what the all-at-once run left
// out and why, the choices not run and why, the wall time, and last,
// alone on its line, the counts.
func (r ChoiceReport) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHOICE\tTIME\tVERDICT\tWHAT IT DOES")
	for _, run := range r.Runs {
		what := ""
		if len(run.Choices) == 1 {
			what = run.Choices[0].Description
		} else {
			what = fmt.Sprintf("the %d choices above at once", len(run.Choices))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", run.Name, run.Outcome.Duration.Round(time.Second), run.verdict(), what)
	}
	tw.Flush()
	for _, c := range r.LeftOut {
		fmt.Fprintf(w, "%s: left out of %s: it excludes another choice of %s\n", c.Name, AllChoices, c.Group)
	}
	for _, c := range r.NotRun {
		fmt.Fprintf(w, "%s: not run: %s\n", c.Name, c.NotAlone)
	}
	fmt.Fprintf(w, "total wall time: %s\n", r.Duration.Round(time.Second))
	fmt.Fprintln(w, r.CountsLine())
}
