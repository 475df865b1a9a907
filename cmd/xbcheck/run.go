package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/xbcheck/xbcheck/internal/report"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/suites/harness"
)

func newRunCommand() *cobra.Command {
	var opts runner.Options
	var dryRun bool
	var faultList string
	var timeouts []string
	var reports reportFlags
	var debug bool
	var failFast string
	var configPath, runTest string
	var skipTests []string
	cleanup := true
	sandboxMode := sandbox.ModeAuto
	c := &cobra.Command{
		Use:   "run",
		Short: "Run the XBackend conformance suite (the default)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.Out = c.OutOrStdout()
			if configPath != "" {
				if err := applyConfig(c.Flags(), configPath); err != nil {
					return err
				}
			}
			if err := checkKindFlags(c.Context(), c.Flags(), opts); err != nil {
				return err
			}
			if c.Flags().Changed("implementation-cmd") && strings.TrimSpace(opts.ImplementationCmd) == "" {
				return runner.UsageError{Err: errors.New("--implementation-cmd is empty (an unset variable?): give the command that starts the implementation, or leave the flag out to test the in-process reference gateway")}
			}
			opts.LabelFilter = testFilter(opts.LabelFilter, runTest, skipTests)
			opts.KeepResources = !cleanup
			sc, rc := ginkgo.GinkgoConfiguration()
			rc.Verbose = debug
			rc.NoColor = !term.IsTerminal(int(os.Stdout.Fd()))
			// Filtered-out specs would print an "S" each; skips with a
			// reason get xbcheck's own progress line.
			rc.SilenceSkips = true
			switch runner.FailFast(failFast) {
			case "", runner.FailFastAny, runner.FailFastMust:
				opts.FailFast = runner.FailFast(failFast)
			default:
				return runner.UsageError{Err: fmt.Errorf("--fail-fast=%s: give --fail-fast (the first failure) or --fail-fast=MUST (the first failed MUST scenario)", failFast)}
			}
			if opts.Parallel < 1 {
				return runner.UsageError{Err: fmt.Errorf("--parallel %d: give 1 (one scenario at a time, in this process) or more worker processes", opts.Parallel)}
			}
			opts.SuiteConfig, opts.ReporterConfig = &sc, &rc
			// Every flag is checked before anything starts, --dry-run too.
			if err := runner.Validate(opts); err != nil {
				return err
			}
			fs, err := faults.Parse(faultList)
			if err != nil {
				return runner.UsageError{Err: fmt.Errorf("--faults: %w", err)}
			}
			opts.Faults = fs
			for _, t := range timeouts {
				if err := opts.Timeouts.SetTimeout(t); err != nil {
					return runner.UsageError{Err: err}
				}
			}
			if err := reports.check(&opts); err != nil {
				return err
			}
			if dryRun {
				return printDryRun(c, opts)
			}
			if err := enterSandbox(c.Context(), opts, sandboxMode); err != nil {
				return err
			}
			opts.Finished = func(run *report.Run) {
				if err := reports.write(opts, run); err != nil {
					run.HarnessErrors = append(run.HarnessErrors, err.Error())
				}
				report.WriteText(opts.Out, *run)
				fmt.Fprintln(opts.Out, run.ClosingLine())
			}
			run, err := runner.Run(c.Context(), nil, opts)
			if err != nil {
				return err
			}
			if err := c.Context().Err(); err != nil {
				return err
			}
			if !run.OK() {
				return exitError{code: exitFailed}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&opts.Provider, "provider", "", "the cluster to start: envtest (the default: an embedded API server; the implementation runs beside xbcheck) or node (a real single-node cluster xbcheck builds and starts in its sandbox, Linux, as root; the fakes and the reference gateway run in it as pods)")
	f.BoolVar(&opts.KeepCluster, "keep-cluster", false, "keep the cluster xbcheck started for inspection after the run: with --provider node it runs until Ctrl-C; with --provider kind it is left behind (kind delete cluster --name NAME removes it)")
	f.StringVar(&opts.Kubeconfig, "kubeconfig", "", "use the cluster of this kubeconfig instead of starting one")
	f.BoolVar(&opts.AllowClusterChanges, "allow-cluster-changes", false, "let xbcheck change a cluster it did not create (--kubeconfig, or a kind cluster reused with --kind-cluster) as a whole, as it does one it creates: the fakes in the cluster stub "+harness.TestZone+" into CoreDNS and add Services with externalIPs (both undone at the end), and a reused kind cluster's Gateway API CRDs may be replaced")
	f.BoolVar(&opts.AllowDataPlaneCanaries, "allow-data-plane-canaries", false, "let xbcheck add a canary container (an ephemeral container of its image, which stays until the pod restarts; its process exits after the run) to the implementation's pods on a cluster it did not create, so the scenarios that watch the implementation's loopback run; without it they skip (on a cluster xbcheck creates it adds them anyway)")
	f.StringVar(&opts.DataPlaneSelector, "data-plane-selector", "", "NAMESPACE/LABEL-SELECTOR of the implementation's data-plane pods, where canaries watch its loopback (default: found from each Gateway's address through its Service and EndpointSlices)")
	f.StringVar(&opts.CRDDir, "crds", "", "folder of Gateway API CRDs to install (default: the experimental channel of --gateway-api-version)")
	f.StringVar(&opts.LabelFilter, "label-filter", "", "Ginkgo label filter over levels, features and ShortNames, e.g. 'MUST && !AdmissionRejectsPortZero'")
	f.StringSliceVar(&opts.Focus, "focus", nil, "run only scenarios whose text matches this regular expression (repeatable)")
	f.StringVar(&opts.JUnitReport, "junit-report", "", "write a JUnit XML report to this file")
	f.StringVar(&faultList, "faults", "", "break the reference gateway (in-process, or in pods) with these comma-separated faults; an unknown name lists the valid ones")
	f.BoolVar(&opts.Features.All, "all-features", false, "claim every feature for the implementation: every failure counts")
	f.StringSliceVar(&opts.Features.Supported, "supported-features", nil, "the extended features the implementation claims (default: the GatewayClass's status.supportedFeatures); every scenario runs anyway, and a failure of an unclaimed feature is reported as not supported. Names: "+runner.FeatureNames())
	f.StringSliceVar(&opts.Features.Exempt, "exempt-features", nil, "skip the scenarios of these extended features (core and fail-closed scenarios always run)")
	f.StringArrayVar(&timeouts, "timeout", nil, "override a timeout, NAME=DURATION ("+strings.Join(harness.TimeoutNames(), ", ")+"); repeatable")
	f.StringVar(&opts.ReportDir, "report-output", "_out", "folder for reports and evidence/<ShortName>.json; empty writes none")
	f.StringVar(&opts.ImplementationCmd, "implementation-cmd", "", "run this command (via /bin/sh -c, inside the sandbox, with KUBECONFIG set) as the implementation under test instead of the in-process reference gateway")
	f.StringVar(&opts.GatewayClass, "gateway-class", "", "test this existing GatewayClass (default: create one for the run)")
	f.StringVar(&opts.ControllerName, "controller-name", "", "controllerName of the GatewayClass xbcheck creates (default the reference gateway's)")
	f.StringVar(&opts.ClusterDomain, "cluster-domain", "", "the implementation's cluster DNS domain (default: read from CoreDNS; the in-process reference gateway uses "+runner.ReferenceClusterDomain+")")
	f.StringVar(&opts.Fakes, "fakes", "", "where the fakes (upstreams, canaries, rogue DNS, probe) run: "+runner.FakesLocal+" (in xbcheck's process and sandbox) or "+runner.FakesCluster+" (a pod of the cluster, for implementations whose data plane runs in pods) (default: "+runner.FakesCluster+" with a cluster that runs pods and no --implementation-cmd, else "+runner.FakesLocal+")")
	f.StringVar(&opts.ImageRegistry, "image-registry", "", "push xbcheck's own image to this repository (e.g. registry.example.com/team, with your docker credentials) for the fakes and the reference gateway in a cluster of --kubeconfig")
	f.StringVar(&opts.FakesImage, "fakes-image", "", "xbcheck's own image, where the cluster's nodes pull from, for the fakes and the reference gateway in a cluster of --kubeconfig (--provider node and kind load it themselves)")
	f.StringVar(&opts.FakesURL, "fakes-url", "", "use the fakes (upstreams, canaries, rogue DNS) of this control API (the control-api line xbcheck fakes prints) instead of starting them; the implementation resolves with their DNS")
	f.StringVar(&opts.GatewayAddress, "gateway-address", "", "reach Gateways at HOST or HOST:PORT instead of their status.addresses")
	f.Var(&sandboxMode, "sandbox", "auto: run inside private user, network and mount namespaces where allowed, else on loopback only; require: fail if they are refused; off: loopback only")
	f.StringVar(&failFast, "fail-fast", "", "stop handing out scenarios after the first failure; --fail-fast=MUST: after the first failed MUST scenario (xbcheck mutate uses it)")
	f.Lookup("fail-fast").NoOptDefVal = string(runner.FailFastAny)
	f.StringSliceVar(&opts.First, "first", nil, "start these scenarios (ShortNames) before all others (xbcheck mutate uses it)")
	f.IntVar(&opts.Parallel, "parallel", runner.DefaultParallel(), "worker processes running scenarios at once, sharing the control plane, fakes and implementation; 1 runs the scenarios one after the other in this process")
	f.Var(&opts.Slot, "slot", "use share INDEX of COUNT of the sandbox's Gateway and DNS addresses, so COUNT runs can share one sandbox (xbcheck mutate uses it)")
	reports.register(f)
	f.StringVar(&configPath, "config", "", "YAML file of flag: value settings (for CI); flags given on the command line win")
	f.StringVar(&runTest, "run-test", "", "run only the scenario with this ShortName")
	f.StringSliceVar(&skipTests, "skip-tests", nil, "skip the scenarios with these ShortNames")
	f.BoolVar(&cleanup, "cleanup-base-resources", true, "delete what each scenario created when it ends; false keeps it, labelled xbcheck.dev/run=<id>, for inspection (xbcheck clean removes it)")
	f.BoolVar(&debug, "debug", false, "print each scenario's steps and output as it runs (Ginkgo -v)")
	f.BoolVar(&dryRun, "dry-run", false, "list the selected scenarios (ShortName, level, feature) and exit without a cluster")
	registerBinariesFlag(f, &opts.Binaries)
	registerKindFlags(f, &opts)
	return c
}

func printDryRun(c *cobra.Command, opts runner.Options) error {
	specs, err := runner.Preview(opts)
	if err != nil {
		return err
	}
	for _, s := range specs {
		fmt.Fprintf(c.OutOrStdout(), "%s\t%s\t%s\n", s.ShortName, s.Level, s.Feature)
	}
	return nil
}
