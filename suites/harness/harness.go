package harness

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/probe"
	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/incluster"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

// RunLabel marks everything a run creates, so `xbcheck clean` finds it.
const RunLabel = "xbcheck.dev/run"

// TestZone is the DNS zone the rogue DNS server is authoritative for.
const TestZone = "xbcheck.test"

// ListenerPort is the port of every spec Gateway's HTTP listener.
const ListenerPort = 8080

// MeasurementEntry names the Ginkgo report entries that carry OBSERVE values.
const MeasurementEntry = "measurement"

// Harness is what the specs of one process share. Build it with New once
// the cluster, the fakes and the implementation are up.
type Harness struct {
	// Client reaches the cluster; Schema is the XBackend schema it serves.
	Client client.Client
	Schema gatewayapi.Schema
	// Fakes are the upstreams, canaries and rogue DNS specs use.
	Fakes control.Fakes
	// RunID names this run in namespace names and the RunLabel.
	RunID    string
	Timeouts Timeouts
	Env      Environment
	// Features gates specs by the implementation's supported features.
	Features verdict.FeatureSet
	// KeepResources leaves every namespace and object a spec created in
	// the cluster, labelled with the run id (`xbcheck clean` removes them).
	KeepResources bool
	// EvidenceDir, when set, receives evidence/<ShortName>.json per spec.
	EvidenceDir string

	// Prober sends the requests through Gateways; default one in this
	// process, on a dialer that passes the sandbox's safety check.
	Prober Prober
	// Config reaches the cluster's API server, for what Client cannot do:
	// the pod proxy to the control API of real pods (Env.PodImage).
	Config *rest.Config

	prober Prober
	clock  *workClock
	// pods makes real pods of Env.PodImage, when it is set; podsErr is why
	// it could not be made.
	pods    *incluster.EndpointPods
	podsErr error
}

// Prober sends one request through a Gateway, on a fresh connection, from
// where the implementation's clients are: this process (localProber), or a
// pod of the cluster (a probe.Client through the API server).
type Prober interface {
	Get(ctx context.Context, req probe.Request) (probe.Result, error)
}

// Environment is what the runner set up around the implementation.
type Environment struct {
	// GatewayClass is the class every spec's Gateway uses, and
	// ControllerName its controller, whose status entries specs read.
	GatewayClass   string
	ControllerName gatewayv1.GatewayController
	// DNSServer is where the implementation resolves, for messages.
	DNSServer string
	// Network says which forbidden addresses the run can watch.
	Network Network
	// GatewayAddress, when set, replaces the host read from a Gateway's
	// status.addresses (HOST or HOST:PORT).
	GatewayAddress string
	// ClusterDomain is the implementation's cluster DNS domain, when known.
	ClusterDomain string
	// SystemCA is a CA the implementation trusts as one of "the system
	// CAs" (the run gave it a trust store holding it), or nil when the
	// run cannot know the implementation's system trust store. It travels
	// to worker processes as PEM, apart from the rest.
	SystemCA *pki.Authority `json:"-"`
	// PodImage is xbcheck's own image, which the cluster's kubelets run
	// (its fakes run there, in a pod of it), or "". With it, the pods a
	// scenario selects (StartPod) are real pods of it, each serving a fake
	// upstream, Ready when the harness says; without it, on a control plane
	// with no kubelet, the harness plays them.
	PodImage string `json:",omitempty"`
}

// Network is the address plan of a run: where the forbidden destinations
// a spec watches are. Inside the sandbox it is the DESIGN.md plan; outside,
// loopback only (no metadata or pod address).
type Network struct {
	Sandboxed bool
	// NoSandbox says why the run is outside the sandbox, for skip reasons.
	NoSandbox string
	// Loopback is the implementation's own loopback (a rebinding target).
	Loopback netip.Addr
	// Metadata are the cloud metadata addresses; empty outside the sandbox.
	Metadata []netip.Addr
	// Pod is an in-cluster pod address; invalid outside the sandbox.
	Pod netip.Addr
	// Service is a ClusterIP of the cluster; invalid without fakes in a
	// cluster. Node is the implementation's node's address, where a
	// canary can listen only on a node in xbcheck's own sandbox.
	Service netip.Addr
	Node    netip.Addr
	// NoLoopback, when set, says why no canary can watch the
	// implementation's loopback (it runs in pods: their loopback is their
	// own); specs whose target lands there skip with it.
	NoLoopback string
	// LoopbackInPods says a canary on the implementation's loopback listens
	// inside the pods that serve the spec's Gateway (an ephemeral container
	// of xbcheck's image there): a spec names that Gateway with LoopbackOf
	// before it starts one.
	LoopbackInPods bool
	// NoIPv6, when set, says why the implementation cannot reach an IPv6
	// canary; specs whose target is one skip with it.
	NoIPv6 string
	// InternetV6 is an IPv6 address of the simulated internet an upstream
	// can listen on; invalid where there is none, and NoInternetV6 says why.
	InternetV6   netip.Addr
	NoInternetV6 string
}

// New fills the harness's defaults, its guarded HTTP client, and the clock
// that times the harness's own work in each spec.
func New(h Harness) *Harness {
	h.Timeouts = h.Timeouts.withDefaults()
	h.clock = &workClock{}
	if h.Client != nil {
		h.Client = timedClient{Client: h.Client, clock: h.clock}
	}
	if h.Fakes != nil {
		h.Fakes = timedFakes{Fakes: h.Fakes, clock: h.clock}
	}
	if h.Config != nil && h.Env.PodImage != "" {
		h.pods, h.podsErr = incluster.NewEndpointPods(h.Config, h.Env.PodImage, h.Timeouts.GatewayReady)
	}
	h.prober = h.Prober
	if h.prober == nil {
		// One request per connection: every probe makes the implementation
		// route anew.
		d := &net.Dialer{Control: guardDial}
		h.prober = localProber{&http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil, DialContext: d.DialContext}}}
	}
	return &h
}

// localProber probes from this process.
type localProber struct{ client *http.Client }

func (p localProber) Get(ctx context.Context, req probe.Request) (probe.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	hr, err := probe.HTTPRequest(ctx, req)
	if err != nil {
		return probe.Result{}, err
	}
	resp, err := p.client.Do(hr)
	if err != nil {
		return probe.Result{Error: err.Error()}, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, probe.MaxBody))
	if err != nil {
		return probe.Result{Error: err.Error()}, nil
	}
	return probe.Result{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// guardDial enforces the safety rule on every connection the harness
// makes: an address outside loopback only inside the sandbox.
func guardDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return verdict.HarnessErrorf("dial %s: %w", address, err)
	}
	return sandbox.Guard(ap.Addr().Unmap())
}

// Timeouts bound every wait of the suite. Zero values take the defaults;
// `--timeout NAME=DURATION` overrides one by its field name.
type Timeouts struct {
	// GatewayReady: a Gateway becomes Programmed with an address (default 60s;
	// raise it for cloud load balancers).
	GatewayReady time.Duration
	// Status: an implementation writes the expected status (default 30s).
	Status time.Duration
	// Traffic: requests through a Gateway start to work (default 30s).
	Traffic time.Duration
	// Never: how long "never happens" is watched for (default 5s).
	Never time.Duration
	// DNSRefresh: how long an implementation may go on using a DNS answer
	// after its TTL, through a minimum TTL of its resolver or a refresh on
	// a timer (Envoy's default is every 5s), before it asks again (default
	// 30s). Rebinding specs wait up to this long for the rebinding answer
	// to be asked for, and watch the canaries after it up to this long.
	DNSRefresh time.Duration
	// Request: one HTTP request through a Gateway (default 10s).
	Request time.Duration
	// Poll: the pause between two probes (default 250ms).
	Poll time.Duration
	// Cleanup: a spec's namespace is deleted (default 60s).
	Cleanup time.Duration
}

// DefaultTimeouts returns the documented defaults.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		GatewayReady: 60 * time.Second,
		Status:       30 * time.Second,
		Traffic:      30 * time.Second,
		Never:        5 * time.Second,
		DNSRefresh:   30 * time.Second,
		Request:      10 * time.Second,
		Poll:         250 * time.Millisecond,
		Cleanup:      60 * time.Second,
	}
}

// withDefaults fills every zero field from DefaultTimeouts.
func (t Timeouts) withDefaults() Timeouts {
	d := reflect.ValueOf(DefaultTimeouts())
	v := reflect.ValueOf(&t).Elem()
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			v.Field(i).Set(d.Field(i))
		}
	}
	return t
}

// SetTimeout sets one timeout from NAME=DURATION, NAME being a field of
// Timeouts in any case (e.g. "traffic=2m").
func (t *Timeouts) SetTimeout(spec string) error {
	name, value, ok := strings.Cut(spec, "=")
	d, err := time.ParseDuration(value)
	if !ok || err != nil || d <= 0 {
		return fmt.Errorf("--timeout %q: want NAME=DURATION, e.g. Traffic=2m", spec)
	}
	v := reflect.ValueOf(t).Elem()
	for i := range v.NumField() {
		if strings.EqualFold(v.Type().Field(i).Name, name) {
			v.Field(i).Set(reflect.ValueOf(d))
			return nil
		}
	}
	return fmt.Errorf("--timeout %q: unknown timeout %q; use one of %s", spec, name, strings.Join(TimeoutNames(), ", "))
}

// TimeoutNames lists the names SetTimeout accepts, in field order.
func TimeoutNames() []string {
	t := reflect.TypeFor[Timeouts]()
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = t.Field(i).Name
	}
	return names
}
