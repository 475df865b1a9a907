package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/spf13/cobra"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/mutant"
	"github.com/xbcheck/xbcheck/internal/mutate"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/reference/faults"
)

// maxParallel bounds --parallel: each parallel mutant takes a share of the
// sandbox's Gateway addresses.
const maxParallel = 8

func newMutateCommand() *cobra.Command {
	var faultList, kubeconfig, crdDir, workDir, markdown, killers string
	var choices bool
	parallel := min(max(runtime.NumCPU(), 1), maxParallel)
	workers := 4
	sandboxMode := sandbox.ModeAuto
	var binariesMode binaries.Mode
	var ops operatorFlags
	c := &cobra.Command{
		Use:   "mutate",
		Short: "Mutation testing: prove the suite catches every fault of the reference gateway",
		Long: `mutate runs the suite (MUST and SHOULD scenarios) against the unmutated
reference gateway, which must pass, then once per fault. A mutant is killed
when a MUST or SHOULD scenario fails against it. Its run stops at the first
failed MUST scenario, which proves a vendor's run would fail on the bug; a
mutant that only SHOULD scenarios catch is listed as such.

With --choices it runs, instead of faults, the choices: behaviours the API
leaves to the implementation (each with the sentence that leaves it open).
It runs the suite once per choice and once with every compatible choice at
once, each run to its end, and ends with "choices: N passed, F failed"; a
run fails when any MUST or SHOULD scenario fails on it, which is a false
failure of the suite. It exits 1 when a run failed.

Every run is an "xbcheck run" child process on one shared control plane;
--parallel of them run at once, each with its own controllerName and share of
the sandbox's addresses, and --workers worker processes of its own. It prints
the kill matrix and ends with the line
"mutants: K killed (M by a MUST scenario, S only by a SHOULD scenario), N survived";
it exits 1 when a mutant survived.

With --operators it runs the mechanical mutants of reference/ instead
(internal/mutant), all built once into one xbcheck binary (mutant schemata)
and switched on one per run; --sample, --seed, --shard and --mutants pick
which. It ends with "mechanical mutants: K killed, S survived, E equivalent",
E being the survivors internal/mutant/triage.yaml holds equivalent, and exits
1 when S is not 0.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, out := c.Context(), c.OutOrStdout()
			infos, err := mutate.Select(faultList)
			var chosen []faults.ChoiceInfo
			if choices {
				chosen, err = mutate.SelectChoices(faultList)
			}
			if err != nil {
				return runner.UsageError{Err: fmt.Errorf("--faults: %w", err)}
			}
			if choices && (markdown != "" || killers != "") {
				return runner.UsageError{Err: fmt.Errorf("--choices kills no fault: leave out --markdown and --killers")}
			}
			if choices && ops.on {
				return runner.UsageError{Err: fmt.Errorf("--choices and --operators are two different runs: give one of them")}
			}
			if err := ops.check(c.Flags(), faultList); err != nil {
				return err
			}
			triage, err := mutant.LoadTriage()
			if err != nil {
				return err
			}
			if ops.on && ops.list {
				set, list, _, err := ops.selected(ctx)
				if err != nil {
					return err
				}
				listMutants(out, set.Mutants, list)
				return nil
			}
			if parallel < 1 || parallel > maxParallel {
				return runner.UsageError{Err: fmt.Errorf("--parallel %d: give 1 to %d", parallel, maxParallel)}
			}
			if workers < 1 {
				return runner.UsageError{Err: fmt.Errorf("--workers %d: give 1 or more", workers)}
			}
			// The children reach this control plane by its kubeconfig: they
			// prepare no binaries, so they need no --binaries.
			opts := runner.Options{Kubeconfig: kubeconfig, CRDDir: crdDir, Binaries: binariesMode, Out: out}
			if err := enterSandbox(ctx, opts, sandboxMode); err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			if ops.on {
				set, list, root, err := ops.selected(ctx)
				if err != nil {
					return err
				}
				bin, cleanup, err := buildSchemata(ctx, out, set, root)
				if err != nil {
					return err
				}
				defer cleanup()
				self, infos = bin, asFaults(list)
			}
			cp, err := runner.StartControlPlane(ctx, opts)
			if err != nil {
				return err
			}
			defer func() {
				if err := cp.Stop(); err != nil {
					fmt.Fprintf(os.Stderr, "xbcheck: stopping the control plane: %v\n", err)
				}
			}()
			alive, err := discovery.NewDiscoveryClientForConfig(rest.CopyConfig(cp.Config))
			if err != nil {
				return err
			}
			mopts := mutate.Options{
				Kubeconfig: cp.Kubeconfig,
				Faults:     infos,
				Mechanical: ops.on,
				Parallel:   parallel,
				Workers:    workers,
				Launch:     mutate.Exec(self),
				WorkDir:    workDir,
				Progress:   out,
				Alive: func(context.Context) error {
					_, err := alive.ServerVersion()
					return err
				},
			}
			if choices {
				return runChoices(ctx, out, mopts, chosen)
			}
			mopts.History = mutate.LoadHistory()
			report, err := mutate.Run(ctx, mopts)
			if err := ctx.Err(); err != nil {
				return err
			}
			if err != nil {
				return err
			}
			if markdown != "" {
				if err := mutate.WriteMarkdownFile(markdown, report); err != nil {
					return err
				}
			}
			if killers != "" {
				if err := mutate.WriteKillers(killers, report); err != nil {
					return err
				}
			}
			report.WriteTable(out)
			if ops.on {
				line, survived := mechanicalLine(out, report, triage)
				fmt.Fprintln(out, line)
				if survived > 0 {
					return exitError{code: exitFailed}
				}
				return nil
			}
			if _, _, survived := report.Counts(); survived > 0 {
				return exitError{code: exitFailed}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&faultList, "faults", "", "run only these comma-separated faults, or choices with --choices (default: every fault, or every choice)")
	f.BoolVar(&choices, "choices", false, "run the choices (what the API leaves to the implementation) instead of the faults: each must pass every MUST and SHOULD scenario")
	f.IntVar(&parallel, "parallel", parallel, fmt.Sprintf("mutants run at once, 1 to %d; the default is the number of CPUs", maxParallel))
	f.IntVar(&workers, "workers", workers, "worker processes each mutant's run uses (xbcheck run --parallel)")
	f.StringVar(&kubeconfig, "kubeconfig", "", "share the cluster of this kubeconfig instead of the embedded control plane")
	f.StringVar(&crdDir, "crds", "", "folder of Gateway API CRDs to install (default: the experimental channel of Gateway API "+cluster.DefaultGatewayAPIVersion()+")")
	f.StringVar(&workDir, "report-output", "_out/mutate", "folder for each run's log, summary.json and evidence, in <fault>/")
	f.StringVar(&killers, "killers", "", "write the scenarios that killed each fault as JSON to this file (internal/mutate/killers.json is the one a machine without history starts from)")
	f.StringVar(&markdown, "markdown", "", "write the kill matrix as a Markdown table to this file: between its <!-- kill-matrix:start --> and <!-- kill-matrix:end --> markers if it has them, else as a new file")
	ops.register(f)
	f.Var(&sandboxMode, "sandbox", "auto: run inside private user, network and mount namespaces where allowed, else on loopback only; require: fail if they are refused; off: loopback only")
	registerBinariesFlag(f, &binariesMode)
	return c
}

// runChoices runs the choices and prints their table; a failed run exits 1.
func runChoices(ctx context.Context, out io.Writer, opts mutate.Options, chosen []faults.ChoiceInfo) error {
	report, err := mutate.RunChoices(ctx, opts, mutate.PlanChoices(chosen))
	if err != nil {
		return err
	}
	report.WriteTable(out)
	if _, failed := report.Counts(); failed > 0 {
		return exitError{code: exitFailed}
	}
	return nil
}
