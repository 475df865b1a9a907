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
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/suites"
)

// Options is everything a run needs. The zero value runs the whole suite on
// the embedded control plane.
type Options struct {
	// Kubeconfig selects an existing cluster; empty starts envtest.
	Kubeconfig string
	// CRDDir overrides the CRD folder of the pinned gateway-api module.
	CRDDir string
	// LabelFilter and Focus are Ginkgo's filters.
	LabelFilter string
	Focus       []string
	// JUnitReport, when set, is where Ginkgo writes JUnit XML.
	JUnitReport string
	// Faults break the reference gateway on purpose (mutation testing).
	Faults faults.Set
	// Slot is this run's share of the data-plane and DNS addresses, for
	// parallel runs in one sandbox; the zero Slot uses them all.
	Slot Slot
	// ImplementationCmd runs the implementation under test as a process
	// (by /bin/sh -c) instead of the in-process reference gateway.
	ImplementationCmd string
	// GatewayClass names an existing class to test; empty creates one
	// labelled with the run id, with ControllerName (default the
	// reference gateway's).
	GatewayClass   string
	ControllerName string
	// GatewayAddress replaces the host read from Gateway status.addresses.
	GatewayAddress string
	// ClusterDomain is the implementation's cluster DNS domain, for the
	// specs that check names under it are not routed.
	ClusterDomain string
	// KeepResources leaves what specs created in the cluster.
	KeepResources bool
	// Features choose the features specs run for.
	Features FeatureOptions
	// Timeouts override the suite's defaults (zero fields keep them).
	Timeouts suites.Timeouts
	// ReportDir receives evidence/<ShortName>.json; empty writes none.
	ReportDir string
	// Out receives progress; default os.Stdout.
	Out io.Writer
	// Ginkgo's suite and reporter configuration to start from; default
	// ginkgo.GinkgoConfiguration() (so `go test -ginkgo.*` flags apply).
	SuiteConfig    *types.SuiteConfig
	ReporterConfig *types.ReporterConfig
}

// UsageError is bad input from the user: the CLI exits 2 on it.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

func usagef(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }

func (o *Options) defaults() {
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.SuiteConfig == nil || o.ReporterConfig == nil {
		sc, rc := ginkgo.GinkgoConfiguration()
		if o.SuiteConfig == nil {
			o.SuiteConfig = &sc
		}
		if o.ReporterConfig == nil {
			o.ReporterConfig = &rc
		}
	}
}

// ginkgoConfig overlays the options on Ginkgo's configuration.
func (o *Options) ginkgoConfig() (types.SuiteConfig, types.ReporterConfig) {
	sc, rc := *o.SuiteConfig, *o.ReporterConfig
	if o.LabelFilter != "" {
		sc.LabelFilter = o.LabelFilter
	}
	if len(o.Focus) > 0 {
		sc.FocusStrings = append(sc.FocusStrings, o.Focus...)
	}
	if o.JUnitReport != "" {
		rc.JUnitReport = o.JUnitReport
	}
	return sc, rc
}

// Run validates the options, starts the control plane, runs the selected
// specs and stops everything it started, also when ctx is cancelled.
func Run(ctx context.Context, t ginkgo.GinkgoTestingT, opts Options) (Summary, error) {
	opts.defaults()
	// The label filter is checked by Preview, in another process: Ginkgo
	// cannot preview and then run specs in one process without losing its
	// ReportAfterEach nodes.
	sc, rc := opts.ginkgoConfig()
	if err := opts.Features.validate(); err != nil {
		return Summary{}, err
	}
	evidenceDir, err := makeEvidenceDir(opts.ReportDir)
	if err != nil {
		return Summary{}, err
	}
	c, bundle, err := startCluster(ctx, opts)
	if err != nil {
		return Summary{}, err
	}
	defer func() {
		if err := c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "xbcheck: stopping the control plane: %v\n", err)
		}
	}()
	if ctx.Err() != nil {
		return Summary{}, ctx.Err()
	}
	fmt.Fprintf(opts.Out, "control plane: %s %s (CRDs %s %s)\n", c.Provider, c.ServerVersion, bundle.BundleVersion, bundle.Channel)

	runID := newRunID()
	env, err := startEnvironment(ctx, c, runID, opts)
	if err != nil {
		return Summary{}, err
	}
	defer func() {
		if err := env.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "xbcheck: stopping the fakes and the gateway: %v\n", err)
		}
	}()
	if env.Network.Sandboxed {
		fmt.Fprintf(opts.Out, "network: sandbox (simulated internet %s, metadata and pod canaries)\n", env.Network.Internet)
	} else {
		fmt.Fprintf(opts.Out, "network: loopback only (simulated internet %s); sandbox-only specs will skip: %s\n", env.Network.Internet, env.Network.NoSandbox)
	}
	env.Environment.GatewayAddress = opts.GatewayAddress
	implementationName := "reference gateway (in-process)"
	if opts.ImplementationCmd != "" {
		implementationName = fmt.Sprintf("%q", opts.ImplementationCmd)
	}
	fmt.Fprintf(opts.Out, "implementation: %s; GatewayClass %s; rogue DNS at %s\n", implementationName, env.GatewayClass, env.DNS.Addr())
	features, err := opts.Features.resolve(ctx, env.client, env.GatewayClass)
	if err != nil {
		return Summary{}, err
	}

	var report ginkgo.Report
	suites.Configure(suites.Config{
		Kubeconfig:    c.Kubeconfig,
		RunID:         runID,
		Environment:   env.Environment,
		Features:      features,
		Timeouts:      opts.Timeouts,
		KeepResources: opts.KeepResources,
		EvidenceDir:   evidenceDir,
		Progress:      opts.Out,
		OnReport:      func(r ginkgo.Report) { report = r },
	})
	gomega.RegisterFailHandler(ginkgo.Fail)
	formatter.ColorableStdOut = quietDenoter{opts.Out}
	start := time.Now()
	ginkgo.RunSpecs(t, "XBackend conformance", sc, rc)
	s := Summarize(report)
	s.ReportInputs = reportInputs(ctx, c, bundle, implementationName, env.GatewayClass, features)
	if err := env.implementationExited(); err != nil {
		s.HarnessErrors = append(s.HarnessErrors, err.Error())
	}
	s.Duration = time.Since(start)
	return s, nil
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
		return c, &crds.Bundle{}, nil
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
	evidence := filepath.Join(dir, "evidence")
	if err := os.MkdirAll(evidence, 0o755); err != nil {
		return "", usagef("--report-output %s: %v; give a folder xbcheck can write", dir, err)
	}
	return evidence, nil
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
