package mutate

import (
	"strconv"
	"strings"

	"github.com/xbcheck/xbcheck/internal/mutant/active"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/reference/faults"
)

// VerdictFilter selects the specs that can kill a mutant: OBSERVE specs
// have no verdict, so running them would only cost time.
const VerdictFilter = "MUST || SHOULD"

// Child is one `xbcheck run` of the mutation run: the baseline (no
// fault) or one mutant.
type Child struct {
	// Fault is the mutant's fault; empty for the baseline.
	Fault faults.Fault
	// Mutant is, instead, the ID of a mechanical mutant (internal/mutant),
	// switched on through the child's environment (see Env).
	Mutant string
	// Choices, for a run of choices ([RunChoices]), are the choices
	// switched on, all at once; Label names the run then.
	Choices    []faults.Fault
	Label      string
	Kubeconfig string
	Slot       sandbox.Slot
	// ReportDir receives the child's reports (--report-output), among
	// them the summary.json its verdicts are read from.
	ReportDir string
	// Workers is how many worker processes the child runs specs in.
	Workers int
	// First are the specs the child starts with (run --first).
	First []string
	// FirstKill stops the child at its first failed spec, SHOULD ones
	// included, for a fault only SHOULD specs killed last time; else it
	// stops at its first failed MUST spec.
	FirstKill bool
}

// Name is the run's Label, else the mutant's fault, its mechanical
// mutant's ID with "/" as "_", or "baseline".
func (c Child) Name() string {
	switch {
	case c.Label != "":
		return c.Label
	case c.Mutant != "":
		return strings.ReplaceAll(c.Mutant, "/", "_")
	case c.Fault == "":
		return "baseline"
	}
	return string(c.Fault)
}

// Env is the environment the child runs with on top of this process's:
// the mechanical mutant it switches on, if any.
func (c Child) Env() []string {
	if c.Mutant == "" {
		return nil
	}
	return []string{active.Env + "=" + c.Mutant}
}

// ControllerName is the child's own GatewayClass controllerName, so
// parallel children's gateways never reconcile each other's classes.
func (c Child) ControllerName() string {
	return "xbcheck.dev/mutant-" + c.Name()
}

// Args are the arguments of the child's `xbcheck run`: the shared
// control plane, its own controller and addresses, only the specs with a
// verdict, and a stop at the first failed MUST spec (it proves a vendor's
// run would fail; SHOULD failures before it are kept), or at the first
// failed spec with FirstKill. A run of choices never stops early: every
// spec that fails on a choice is a false failure to fix.
func (c Child) Args() []string {
	args := []string{"run",
		"--kubeconfig", c.Kubeconfig,
		"--fakes", "local",
		"--controller-name", c.ControllerName(),
		"--label-filter", VerdictFilter,
	}
	switch {
	case len(c.Choices) > 0:
	case c.FirstKill:
		args = append(args, "--fail-fast")
	default:
		args = append(args, "--fail-fast="+string(verdict.Must))
	}
	args = append(args,
		"--parallel", strconv.Itoa(max(c.Workers, 1)),
		"--report-output", c.ReportDir,
	)
	if s := c.Slot.String(); s != "" {
		args = append(args, "--slot", s)
	}
	if len(c.First) > 0 {
		args = append(args, "--first", strings.Join(c.First, ","))
	}
	switch {
	case len(c.Choices) > 0:
		names := make([]string, len(c.Choices))
		for i, f := range c.Choices {
			names[i] = string(f)
		}
		args = append(args, "--faults", strings.Join(names, ","))
	case c.Fault != "":
		args = append(args, "--faults", string(c.Fault))
	}
	return args
}
