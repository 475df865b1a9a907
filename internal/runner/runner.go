package runner

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/onsi/ginkgo/v2"
	"golang.org/x/term"

	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/evidence"
	"github.com/xbcheck/xbcheck/internal/report"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// Run validates the options, starts the control plane, the fakes and the
// implementation, runs the selected specs and stops everything it started,
// also when ctx is cancelled. The Run it returns has the verdicts and what
// reports need, but for the implementation's identity and the date. t
// receives Ginkgo's own verdict (nil outside `go test`).
func Run(ctx context.Context, t ginkgo.GinkgoTestingT, opts Options) (report.Run, error) {
	opts.defaults()
	if t == nil {
		t = verdictsElsewhere{}
	}
	sc, rc := opts.ginkgoConfig()
	if err := Validate(opts); err != nil {
		return report.Run{}, err
	}
	// The report folder is made once the cluster is up: bad input, such as
	// an unreadable kubeconfig, leaves nothing behind. The components'
	// loggers are set before, and write there once it exists.
	componentLog := opts.ComponentLogs
	if componentLog == nil {
		componentLog = InstallComponentLogs()
	}
	opts.gatewayLog = componentLog.gateway
	c, err := startCluster(ctx, opts)
	if err != nil {
		return report.Run{}, err
	}
	bundle := c.Bundle
	defer func() {
		if err := c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "xbcheck: stopping the control plane: %v\n", err)
		}
	}()
	evidenceDir, err := makeEvidenceDir(opts.ReportDir)
	if err != nil {
		return report.Run{}, err
	}
	logs, closeLogs, err := openLogs(opts.ReportDir, rc.Verbose, opts.Out)
	if err != nil {
		return report.Run{}, err
	}
	componentLog.set(logs)
	defer func() {
		componentLog.set(nil)
		closeLogs()
	}()
	if ctx.Err() != nil {
		return report.Run{}, ctx.Err()
	}
	fmt.Fprintf(opts.Out, "control plane: %s %s (CRDs %s %s)\n", c.Provider, c.ServerVersion, bundle.BundleVersion, bundle.Channel)

	runID := newRunID()
	env, err := startEnvironment(ctx, c, runID, opts)
	if err != nil {
		return report.Run{}, err
	}
	defer func() {
		if err := env.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "xbcheck: stopping the fakes and the gateway: %v\n", err)
		}
	}()
	if n := env.Network; n.Sandboxed {
		fmt.Fprintf(opts.Out, "network: sandbox (simulated internet %s, metadata and pod canaries)\n", env.internet)
	} else {
		fmt.Fprintf(opts.Out, "network: loopback only (simulated internet %s); sandbox-only scenarios will skip: %s\n", env.internet, n.NoSandbox)
	}
	fmt.Fprintf(opts.Out, "implementation: %s; GatewayClass %s; rogue DNS at %s\n", env.implementationName, env.GatewayClass, env.DNSServer)
	features, err := opts.Features.resolve(ctx, env.client, env.GatewayClass)
	if err != nil {
		return report.Run{}, err
	}

	h := harness.New(harness.Harness{
		Client:        env.client,
		Schema:        bundle.Schema,
		Fakes:         env.fakes,
		Prober:        env.prober,
		Config:        c.Config,
		RunID:         runID,
		Timeouts:      opts.Timeouts,
		Env:           env.Environment,
		Features:      features,
		KeepResources: opts.KeepResources,
		EvidenceDir:   evidenceDir,
	})
	run := report.Run{
		Tested:            env.implementationName,
		GatewayClass:      env.GatewayClass,
		GatewayAPIVersion: bundle.BundleVersion,
		GatewayAPIChannel: bundle.Channel,
		SupportedFeatures: features.List(),
		FeatureSource:     features.Source,
	}
	selected, _ := Preview(opts)
	times := loadSpecTimes()
	times.first = opts.First
	p := newProgress(opts.Out, isTerminal(opts.Out), len(selected))
	sched := newScheduler(selected, features, opts.FailFast, p)
	ginkgoOut := io.Discard
	if rc.Verbose {
		ginkgoOut = opts.Out
	}
	start := time.Now()
	if opts.Parallel <= 1 {
		fmt.Fprintf(opts.Out, "running %d scenarios, one at a time\n", len(selected))
		runSpecs(t, h, sc, rc, 0, sched, times.priority, ginkgoOut)
	} else {
		fmt.Fprintf(opts.Out, "running %d scenarios in %d worker processes\n", len(selected), opts.Parallel)
		w, err := newWorkers(opts, c, runID, bundle, env, features, sc, rc, evidenceDir, times, selected)
		if err != nil {
			return report.Run{}, err
		}
		defer os.RemoveAll(w.dir)
		if err := runParallel(ctx, opts.Parallel, w, env.fakes, sched); err != nil {
			return report.Run{}, err
		}
	}
	p.done()
	run.Run = sched.verdicts()
	if at := sched.stoppedAt(); at != "" {
		fmt.Fprintf(opts.Out, "stopped after %s failed (--fail-fast=%s)\n", at, opts.FailFast)
	}
	if err := env.implementationExited(); err != nil {
		run.HarnessErrors = append(run.HarnessErrors, err.Error())
	}
	run.Duration = time.Since(start)
	times.record(run.Results)
	if opts.Finished != nil {
		opts.Finished(&run)
	}
	// A node lives in this process's namespaces and is held here; a kind
	// cluster outlives xbcheck, and its provider leaves it behind.
	if opts.KeepCluster && c.Node != nil {
		if err := keep(ctx, c, opts.Out); err != nil {
			return run, err
		}
	}
	return run, nil
}

// Validate checks the options that need no cluster: the feature names,
// addresses, names, files and folders (checkFlags) and the spec selection.
// Call it before anything starts.
func Validate(opts Options) error {
	if err := opts.Features.validate(); err != nil {
		return err
	}
	if err := opts.validateFakes(); err != nil {
		return err
	}
	if err := opts.validateDataPlane(); err != nil {
		return err
	}
	if opts.KeepCluster && opts.Provider != "node" && opts.Provider != "kind" {
		return usagef("--keep-cluster keeps a cluster xbcheck starts: give --provider node or kind too")
	}
	if opts.AllowClusterChanges && opts.Kubeconfig == "" && opts.Provider != "kind" {
		return usagef("--allow-cluster-changes is for a cluster xbcheck did not create: give --kubeconfig (or --provider kind with --kind-cluster) too, or leave it out")
	}
	if _, err := opts.provider(); err != nil {
		return err
	}
	if err := opts.checkFlags(); err != nil {
		return err
	}
	_, err := Preview(opts)
	return err
}

// Prepare builds or locates everything a run fetches from the network
// (the provider's binaries and images, the CRD module), so that a run
// inside the network sandbox, which has no way out, finds them cached.
func Prepare(ctx context.Context, opts Options) (cluster.Provider, error) {
	opts.defaults()
	p, err := opts.provider()
	if err != nil {
		return nil, err
	}
	progress := opts.Out
	if sandbox.Child() {
		// The process that made this sandbox prepared the same things
		// and said so; its child finds them cached and says nothing.
		progress = io.Discard
	}
	if err := p.Prepare(ctx, progress); err != nil {
		return nil, providerError(err)
	}
	return p, nil
}

// startCluster brings up, or reaches, the cluster the options ask for.
func startCluster(ctx context.Context, opts Options) (*cluster.Cluster, error) {
	p, err := opts.provider()
	if err != nil {
		return nil, err
	}
	c, err := p.Start(ctx, opts.Out)
	if err != nil {
		return nil, providerError(err)
	}
	return c, nil
}

// providerError makes a provider's complaint about the user's input (an
// unreadable kubeconfig, a CRD folder without XBackend, a host that cannot
// run a node) a usage error.
func providerError(err error) error {
	var bad cluster.BadInput
	if errors.As(err, &bad) {
		return UsageError{err}
	}
	return err
}

// keep holds a node the run started until ctx ends, saying how to reach it.
func keep(ctx context.Context, c *cluster.Cluster, out io.Writer) error {
	pid, err := sandbox.HostPID()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, `the cluster stays up for inspection (--keep-cluster); from another shell, as root:
  nsenter --target %d --net kubectl --kubeconfig %s get namespaces
objects the scenarios made are kept only with --cleanup-base-resources=false; press Ctrl-C to stop the cluster
`, pid, c.Kubeconfig)
	<-ctx.Done()
	return nil
}

// openLogs opens where the in-process components log: the report folder's
// LogFile, and the terminal too when debugging.
func openLogs(dir string, debug bool, out io.Writer) (io.Writer, func(), error) {
	var w io.Writer = io.Discard
	closeLogs := func() {}
	if dir != "" {
		f, err := os.Create(filepath.Join(dir, LogFile))
		if err != nil {
			return nil, nil, usagef("--report-output %s: %v; give a folder xbcheck can write", dir, err)
		}
		w, closeLogs = f, func() { f.Close() }
	}
	if debug {
		w = io.MultiWriter(w, out)
	}
	return w, closeLogs, nil
}

// makeEvidenceDir creates <dir>/evidence, or returns "" when dir is empty.
func makeEvidenceDir(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	path := filepath.Join(dir, evidence.Dir)
	if err := os.MkdirAll(path, 0o755); err != nil {
		return "", usagef("--report-output %s: %v; give a folder xbcheck can write", dir, err)
	}
	return path, nil
}

func newRunID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("no randomness for a run id: " + err.Error()))
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// isTerminal reports whether out is a terminal, where a live line counts
// running and finished specs.
func isTerminal(out io.Writer) bool {
	f, ok := out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
