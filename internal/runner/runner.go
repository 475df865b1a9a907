package runner

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/crds"
	"github.com/xbcheck/xbcheck/internal/evidence"
	"github.com/xbcheck/xbcheck/internal/report"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// Run validates the options, starts the control plane, the fakes and the
// implementation, runs the selected specs and stops everything it started,
// also when ctx is cancelled. The Run it returns has the verdicts and what
// reports need, but for the implementation's identity and the date.
func Run(ctx context.Context, t ginkgo.GinkgoTestingT, opts Options) (report.Run, error) {
	opts.defaults()
	sc, rc := opts.ginkgoConfig()
	if err := Validate(opts); err != nil {
		return report.Run{}, err
	}
	evidenceDir, err := makeEvidenceDir(opts.ReportDir)
	if err != nil {
		return report.Run{}, err
	}
	c, bundle, err := startCluster(ctx, opts)
	if err != nil {
		return report.Run{}, err
	}
	defer func() {
		if err := c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "xbcheck: stopping the control plane: %v\n", err)
		}
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
		fmt.Fprintf(opts.Out, "network: loopback only (simulated internet %s); sandbox-only specs will skip: %s\n", env.internet, n.NoSandbox)
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
	start := time.Now()
	run.Run = runSpecs(t, h, sc, rc, opts.Out)

	if err := env.implementationExited(); err != nil {
		run.HarnessErrors = append(run.HarnessErrors, err.Error())
	}
	run.Duration = time.Since(start)
	return run, nil
}

// Validate checks the options that need no cluster: the feature names and
// the spec selection. Call it before anything starts.
func Validate(opts Options) error {
	if err := opts.Features.validate(); err != nil {
		return err
	}
	_, err := Preview(opts)
	return err
}

// runSpecs registers the suite's families on h and runs them with Ginkgo,
// printing a progress line per spec.
func runSpecs(t ginkgo.GinkgoTestingT, h *harness.Harness, sc types.SuiteConfig, rc types.ReporterConfig, out io.Writer) verdict.Run {
	var run verdict.Run
	h.Register(suites.Families(), nil)
	ginkgo.ReportAfterEach(func(sr types.SpecReport) {
		if r, ok := resultOf(sr); ok {
			fmt.Fprintln(out, ProgressLine(verdict.Judge(r, h.Features)))
		}
	})
	ginkgo.ReportAfterSuite("xbcheck verdicts", func(r ginkgo.Report) { run = verdicts(r, h.Features) })
	gomega.RegisterFailHandler(ginkgo.Fail)
	formatter.ColorableStdOut = quietDenoter{out}
	ginkgo.RunSpecs(t, "XBackend conformance", sc, rc)
	return run
}

// Prepare builds or locates everything a run fetches from the network (the
// control plane binaries, the CRD module), so that a run inside the network
// sandbox, which has no way out, finds them cached.
func Prepare(ctx context.Context, opts Options) error {
	opts.defaults()
	if opts.Kubeconfig != "" {
		return nil
	}
	if _, err := loadCRDs(ctx, opts.CRDDir); err != nil {
		return err
	}
	_, err := binaries.Ensure(ctx, binaries.Options{Progress: opts.Out})
	return err
}

// startCluster brings up the control plane the options ask for.
func startCluster(ctx context.Context, opts Options) (*cluster.Cluster, *crds.Bundle, error) {
	if opts.Kubeconfig != "" {
		c, err := cluster.Connect(ctx, opts.Kubeconfig)
		if err != nil {
			return nil, nil, UsageError{err}
		}
		bundle, err := installedBundle(ctx, c)
		if err != nil {
			return nil, nil, errors.Join(UsageError{err}, c.Stop())
		}
		return c, bundle, nil
	}
	bundle, err := loadCRDs(ctx, opts.CRDDir)
	if err != nil {
		return nil, nil, err
	}
	set, err := binaries.Ensure(ctx, binaries.Options{Progress: opts.Out})
	if err != nil {
		return nil, nil, err
	}
	started := time.Now()
	c, err := cluster.StartEnvtest(ctx, cluster.EnvtestOptions{Binaries: set, CRDs: bundle})
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(opts.Out, "embedded control plane up in %s\n", time.Since(started).Round(10*time.Millisecond))
	return c, bundle, nil
}

func loadCRDs(ctx context.Context, dir string) (*crds.Bundle, error) {
	if dir != "" {
		b, err := crds.Load(dir)
		if err != nil {
			return nil, UsageError{err}
		}
		return b, nil
	}
	dir, err := crds.ModuleDir(ctx)
	if err != nil {
		return nil, err
	}
	return crds.Load(dir)
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

// quietDenoter drops the "•" Ginkgo's default reporter prints for each
// passed spec: xbcheck prints a full progress line per spec instead, and
// the dots would only break those lines apart. Everything else Ginkgo
// prints (failures, the suite summary) passes through.
type quietDenoter struct{ w io.Writer }

func (q quietDenoter) Write(p []byte) (int, error) {
	if ansi.ReplaceAllString(string(p), "") == "•" {
		return len(p), nil
	}
	return q.w.Write(p)
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")
