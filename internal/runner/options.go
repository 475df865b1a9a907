package runner

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/report"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// Options is everything a run needs. The zero value runs the whole suite on
// the embedded control plane.
type Options struct {
	// Provider names the cluster to start: "envtest" (default), "node" or
	// "kind".
	Provider string
	// Kubeconfig selects an existing cluster instead.
	Kubeconfig string
	// KeepCluster keeps the cluster the run started, for inspection, after
	// the reports are written: a node runs until interrupted, a kind
	// cluster is left behind.
	KeepCluster bool
	// AllowClusterChanges lets the run change a cluster it did not create
	// (Kubeconfig, a reused kind cluster) as a whole, as the fakes in a
	// cluster need: CoreDNS's configuration, Services with externalIPs.
	AllowClusterChanges bool
	// AllowDataPlaneCanaries lets the run add a canary container to the
	// implementation's pods on a cluster it did not create, for the specs
	// that watch the implementation's loopback (internal/dataplane).
	AllowDataPlaneCanaries bool
	// DataPlaneSelector (NAMESPACE/LABELS) names the implementation's
	// data-plane pods, instead of finding them from each Gateway's address.
	DataPlaneSelector string
	// Finished, when set, is called with the run's verdicts once the specs
	// have run, before anything is stopped: it writes the reports.
	Finished func(*report.Run)
	// CRDDir is a folder of CRDs installed instead of a Gateway API
	// release's.
	CRDDir string
	// GatewayAPIVersion is the Gateway API release whose experimental
	// CRDs are installed when CRDDir is empty; empty is
	// cluster.DefaultGatewayAPIVersion.
	GatewayAPIVersion string
	// Kind are the settings of Provider "kind".
	Kind cluster.KindOptions
	// Binaries is --binaries: where the binaries of Provider "envtest"
	// and "node" that the cache lacks come from; empty is
	// binaries.ModeAuto.
	Binaries binaries.Mode
	// LabelFilter and Focus are Ginkgo's filters.
	LabelFilter string
	Focus       []string
	// JUnitReport, when set, is where the JUnit XML report goes.
	JUnitReport string
	// Parallel is how many worker processes run specs at once; 0 or 1 runs
	// them in this process, one after the other.
	Parallel int
	// FailFast stops handing out specs after the first failure it names.
	FailFast FailFast
	// First are ShortNames to start before every other spec, in order.
	First []string
	// Faults break the reference gateway on purpose (mutation testing).
	Faults faults.Set
	// FakesURL, when set, is the control API of fakes already running
	// elsewhere (`xbcheck fakes`, or the fakes of another run's process):
	// specs use them, and the implementation resolves with their DNS.
	FakesURL string
	// Fakes is where the fakes run: FakesLocal or FakesCluster; empty
	// chooses (see placeFakes).
	Fakes string
	// FakesImage is xbcheck's image for pods of a cluster whose provider
	// loads none (--kubeconfig); ImageRegistry is where xbcheck pushes its
	// own instead.
	FakesImage    string
	ImageRegistry string
	// Slot is this run's share of the data-plane, DNS and internet
	// addresses, for parallel runs in one sandbox; the zero Slot uses them all.
	Slot sandbox.Slot
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
	Timeouts harness.Timeouts
	// ReportDir receives evidence/<ShortName>.json; empty writes none.
	ReportDir string
	// Out receives progress; default os.Stdout.
	Out io.Writer
	// Ginkgo's suite and reporter configuration to start from; default
	// ginkgo.GinkgoConfiguration() (so `go test -ginkgo.*` flags apply).
	SuiteConfig    *types.SuiteConfig
	ReporterConfig *types.ReporterConfig
	// ComponentLogs receive the in-process components' logs; a process
	// running several runs installs them once and passes them to each.
	// Default: Run installs its own.
	ComponentLogs *ComponentLogs

	// gatewayLog receives the in-process reference gateway's logs.
	gatewayLog *slog.Logger
}

// DefaultParallel is how many worker processes a run uses unless told:
// the specs mostly wait on the implementation, so several per core.
func DefaultParallel() int { return min(4*runtime.NumCPU(), 8) }

// UsageError is bad input from the user: the CLI exits 2 on it.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

func usagef(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }

// provider is the cluster provider the options name.
func (o *Options) provider() (cluster.Provider, error) {
	p, err := cluster.NewProvider(cluster.ProviderOptions{
		Name:                o.Provider,
		Kubeconfig:          o.Kubeconfig,
		CRDDir:              o.CRDDir,
		GatewayAPIVersion:   o.GatewayAPIVersion,
		Kind:                o.Kind,
		Binaries:            o.Binaries,
		LogDir:              o.ReportDir,
		Keep:                o.KeepCluster,
		AllowClusterChanges: o.AllowClusterChanges,
	})
	if err != nil {
		return nil, UsageError{err}
	}
	return p, nil
}

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
	return sc, rc
}
