package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/onsi/ginkgo/v2"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/probe"
	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// WorkerEnv names the variable that makes a process a worker of a parallel
// run: it holds the path of the worker's spec file.
const WorkerEnv = "XBCHECK_WORKER"

// workerSpec is everything a worker process needs to run its share of a
// parallel run; the parent writes it as a JSON file.
type workerSpec struct {
	Index       int    `json:"index"`
	Coordinator string `json:"coordinator"`
	Kubeconfig  string `json:"kubeconfig"`
	FakesURL    string `json:"fakesURL"`
	// ProbeURL is the probe of the fakes in the cluster, through the API
	// server; empty probes from the worker itself.
	ProbeURL      string              `json:"probeURL,omitempty"`
	Schema        string              `json:"schema"`
	RunID         string              `json:"runID"`
	Timeouts      harness.Timeouts    `json:"timeouts"`
	Env           harness.Environment `json:"env"`
	SystemCA      *pki.AuthorityPEM   `json:"systemCA,omitempty"`
	Features      verdict.FeatureSet  `json:"features"`
	KeepResources bool                `json:"keepResources"`
	EvidenceDir   string              `json:"evidenceDir"`
	LabelFilter   string              `json:"labelFilter"`
	Focus         []string            `json:"focus"`
	Seed          int64               `json:"seed"`
	Priorities    map[string]int      `json:"priorities"`
	Debug         bool                `json:"debug"`
}

// RunWorker runs this process as a worker when WorkerEnv names its spec:
// call it first in main (and in the TestMain of a test binary that runs
// the suite in parallel). handled false means this is no worker.
func RunWorker(ctx context.Context) (handled bool, code int) {
	path := os.Getenv(WorkerEnv)
	if path == "" {
		return false, 0
	}
	if err := work(ctx, path); err != nil {
		fmt.Fprintln(os.Stderr, "xbcheck worker: "+err.Error())
		return true, 1
	}
	return true, 0
}

func work(ctx context.Context, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec workerSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	install(os.Stdout)
	restConfig, err := clientcmd.BuildConfigFromFlags("", spec.Kubeconfig)
	if err != nil {
		return err
	}
	k, err := client.New(restConfig, client.Options{Scheme: gatewayapi.Scheme()})
	if err != nil {
		return err
	}
	schema, err := gatewayapi.SchemaFor(spec.Schema)
	if err != nil {
		return err
	}
	if spec.SystemCA != nil {
		if spec.Env.SystemCA, err = pki.ParseAuthority(*spec.SystemCA); err != nil {
			return err
		}
	}
	var prober harness.Prober
	if spec.ProbeURL != "" {
		hc, err := rest.HTTPClientFor(restConfig)
		if err != nil {
			return err
		}
		prober = &probe.Client{URL: spec.ProbeURL, HTTP: hc}
	}
	h := harness.New(harness.Harness{
		Client: k, Schema: schema, Fakes: &control.Remote{URL: spec.FakesURL}, Prober: prober, Config: restConfig, RunID: spec.RunID,
		Timeouts: spec.Timeouts, Env: spec.Env, Features: spec.Features,
		KeepResources: spec.KeepResources, EvidenceDir: spec.EvidenceDir,
	})
	sc, rc := ginkgo.GinkgoConfiguration()
	sc.LabelFilter, sc.FocusStrings, sc.RandomSeed = spec.LabelFilter, spec.Focus, spec.Seed
	rc.NoColor, rc.Verbose, rc.SilenceSkips = true, spec.Debug, true
	coord := &remoteCoordinator{url: spec.Coordinator, ctx: ctx}
	priority := func(s verdict.Scenario) int { return spec.Priorities[s.ShortName] }
	runSpecs(verdictsElsewhere{}, h, sc, rc, spec.Index, coord, priority, os.Stdout)
	return nil
}

// verdictsElsewhere is the testing.T of a worker's Ginkgo run: the
// verdicts go to the coordinator, not to a test framework.
type verdictsElsewhere struct{}

func (verdictsElsewhere) Fail() {}

// remoteCoordinator is the parent's scheduler over HTTP. A parent that
// cannot be reached hands out no more specs, so the worker ends.
type remoteCoordinator struct {
	url string
	ctx context.Context
}

type claimRequest struct {
	Worker   int              `json:"worker"`
	Scenario verdict.Scenario `json:"scenario"`
}

type claimAnswer struct {
	Run bool `json:"run"`
}

type finishRequest struct {
	Worker int            `json:"worker"`
	Result verdict.Result `json:"result"`
}

type errorRequest struct {
	Worker  int    `json:"worker"`
	Message string `json:"message"`
}

func (c *remoteCoordinator) claim(worker int, s verdict.Scenario) bool {
	var answer claimAnswer
	if err := c.post("/claim", claimRequest{worker, s}, &answer); err != nil {
		fmt.Fprintf(os.Stderr, "xbcheck worker %d: %v; taking no more scenarios\n", worker, err)
		return false
	}
	return answer.Run
}

func (c *remoteCoordinator) finish(worker int, r verdict.Result) {
	if err := c.post("/finish", finishRequest{worker, r}, nil); err != nil {
		fmt.Fprintf(os.Stderr, "xbcheck worker %d: reporting %s: %v\n", worker, r.ShortName, err)
	}
}

func (c *remoteCoordinator) harnessError(worker int, message string) {
	if err := c.post("/error", errorRequest{worker, message}, nil); err != nil {
		fmt.Fprintf(os.Stderr, "xbcheck worker %d: reporting %q: %v\n", worker, message, err)
	}
}

func (c *remoteCoordinator) post(path string, body, answer any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+path, bytes.NewReader(data))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("coordinator %s: %s: %s", path, resp.Status, bytes.TrimSpace(msg))
	}
	if answer == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(answer)
}

// serveCoordinator answers workers' claims, results and errors with s.
func serveCoordinator(s coordinator) http.Handler {
	mux := http.NewServeMux()
	handle := func(path string, into func() any, act func(any) any) {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) {
			body := into()
			if err := json.NewDecoder(r.Body).Decode(body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(act(body))
		})
	}
	handle("/claim", func() any { return &claimRequest{} }, func(b any) any {
		req := b.(*claimRequest)
		return claimAnswer{Run: s.claim(req.Worker, req.Scenario)}
	})
	handle("/finish", func() any { return &finishRequest{} }, func(b any) any {
		req := b.(*finishRequest)
		s.finish(req.Worker, req.Result)
		return struct{}{}
	})
	handle("/error", func() any { return &errorRequest{} }, func(b any) any {
		req := b.(*errorRequest)
		s.harnessError(req.Worker, req.Message)
		return struct{}{}
	})
	return mux
}
