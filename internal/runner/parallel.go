package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/crds"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

// workers is a parallel run's processes: each runs its share of the
// specs (see runSpecs) against the run's one control plane, fakes and
// implementation, claiming specs from the scheduler in this process.
type workers struct {
	// command starts a worker: this program, as a worker by WorkerEnv.
	command string
	dir     string
	logDir  string
	spec    workerSpec
}

// runParallel starts n workers, serving them the fakes (unless they are
// already remote) and the scheduler, and waits until all have ended. A
// worker that dies loses the specs it had claimed: harness errors.
func runParallel(ctx context.Context, n int, w workers, fakes control.Fakes, sched *scheduler) error {
	var stops []func() error
	defer func() {
		for i := len(stops) - 1; i >= 0; i-- {
			_ = stops[i]()
		}
	}()
	if w.spec.FakesURL == "" {
		url, stop, err := serve(control.NewHandler(fakes))
		if err != nil {
			return fmt.Errorf("serve the fakes to the workers: %w", err)
		}
		stops = append(stops, stop)
		w.spec.FakesURL = url
	}
	url, stop, err := serve(serveCoordinator(sched))
	if err != nil {
		return fmt.Errorf("serve the workers their scenarios: %w", err)
	}
	stops = append(stops, stop)
	w.spec.Coordinator = url

	// Once the fail-fast rule stops the run, the specs still running are
	// abandoned: the workers get SIGINT, and clean up what they made.
	work, abandon := context.WithCancel(ctx)
	defer abandon()
	go func() {
		select {
		case <-sched.halt:
			abandon()
		case <-work.Done():
		}
	}()
	var wg sync.WaitGroup
	for i := range n {
		spec := w.spec
		spec.Index = i
		cmd, err := w.start(work, spec)
		if err != nil {
			return err
		}
		wg.Go(func() {
			err := cmd.Wait()
			if work.Err() == nil {
				sched.lost(i, err)
			}
		})
	}
	wg.Wait()
	return nil
}

// start writes a worker's spec and starts it; on cancellation it gets
// SIGINT, so Ginkgo runs the cleanups of its spec.
func (w workers) start(ctx context.Context, spec workerSpec) (*exec.Cmd, error) {
	data, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(w.dir, fmt.Sprintf("worker-%d.json", spec.Index))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(w.logDir, fmt.Sprintf("worker-%d.log", spec.Index)))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, w.command)
	cmd.Env = append(os.Environ(), WorkerEnv+"="+path)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start worker %d: %w", spec.Index, err)
	}
	// The child holds its own copy of the log file.
	log.Close()
	return cmd, nil
}

// serve serves h on a free loopback port until stop is called.
func serve(h http.Handler) (url string, stop func() error, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "xbcheck: %v\n", err)
		}
	}()
	return "http://" + l.Addr().String(), srv.Close, nil
}

// newWorkers prepares the workers of a run: the folder of their spec
// files, where their logs go, and what every spec file holds.
func newWorkers(opts Options, c *cluster.Cluster, runID string, bundle *crds.Bundle, env *environment, features verdict.FeatureSet,
	sc types.SuiteConfig, rc types.ReporterConfig, evidenceDir string, times specTimes, selected []verdict.Scenario) (workers, error) {
	self, err := os.Executable()
	if err != nil {
		return workers{}, err
	}
	dir, err := os.MkdirTemp("", "xbcheck-workers-")
	if err != nil {
		return workers{}, err
	}
	logDir := dir
	if opts.ReportDir != "" {
		logDir = filepath.Join(opts.ReportDir, "workers")
		if err := os.MkdirAll(logDir, 0o755); err != nil {
			return workers{}, errors.Join(err, os.RemoveAll(dir))
		}
	}
	ca, err := systemCAPEM(env.SystemCA)
	if err != nil {
		return workers{}, errors.Join(err, os.RemoveAll(dir))
	}
	priorities := map[string]int{}
	for _, s := range selected {
		priorities[s.ShortName] = times.priority(s)
	}
	return workers{command: self, dir: dir, logDir: logDir, spec: workerSpec{
		Kubeconfig: c.Kubeconfig, FakesURL: opts.FakesURL, ProbeURL: env.probeURL(), Schema: bundle.Schema.Version, RunID: runID,
		Timeouts: opts.Timeouts, Env: env.Environment, SystemCA: ca, Features: features,
		KeepResources: opts.KeepResources, EvidenceDir: evidenceDir,
		LabelFilter: sc.LabelFilter, Focus: sc.FocusStrings, Seed: sc.RandomSeed,
		Priorities: priorities, Debug: rc.Verbose,
	}}, nil
}

// systemCAPEM is the run's system CA as PEM for the workers, or nil.
func systemCAPEM(ca *pki.Authority) (*pki.AuthorityPEM, error) {
	if ca == nil {
		return nil, nil
	}
	p, err := ca.PEM()
	return &p, err
}
