package dataplane

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/probe"
)

// Options says how to reach the cluster and what to add to its pods.
// Client, Gateways, APIServer, HTTP, Image and RunID are required.
type Options struct {
	// Client changes pods (their ephemeralcontainers subresource) and reads
	// Services, EndpointSlices and container logs; Gateways reads Gateways.
	Client   kubernetes.Interface
	Gateways client.Reader
	// APIServer is the API server's URL and HTTP its authenticated client,
	// for the pod proxy that reaches the canaries' control API.
	APIServer string
	HTTP      *http.Client
	// Image is xbcheck's own image, which the nodes have or pull.
	Image string
	// RunID names the ephemeral container (ContainerPrefix + RunID).
	RunID string
	// Selector, when set, names the data-plane pods instead of the
	// Gateway's address (--data-plane-selector).
	Selector *Selector
	// Timeout bounds each wait for a container or a canary; default 2
	// minutes.
	Timeout time.Duration
	// Progress receives a line per pod changed and one at Close; nil
	// discards them.
	Progress io.Writer
}

// Fakes is the run's fakes, with canaries on the implementation's loopback
// (CanarySpec.Gateway set, every address loopback) placed inside the pods
// that serve that Gateway; every other call goes to the run's fakes. Its
// methods are safe for concurrent use.
type Fakes struct {
	control.Fakes
	o    Options
	find finder

	// inject serialises changes to pods, so each gets its container once.
	inject sync.Mutex
	mu     sync.Mutex
	pods   map[types.UID]*podFakes
	placed map[string]placed // by the spec's canary name
	serial int
	stop   context.CancelFunc
}

var _ control.Fakes = (*Fakes)(nil)

// podFakes is the fakes of the ephemeral container of one pod.
type podFakes struct {
	pod    string // namespace/name
	remote *control.Remote
	prober *probe.Client
}

// placed is a canary of the spec, one in each pod of the data plane, all
// with one token.
type placed struct {
	info control.CanaryInfo
	in   []inPod
}

type inPod struct {
	fakes *podFakes
	name  string
}

// New wraps the run's fakes. Close ends the keep-alive of the containers
// it adds and says where they remain.
func New(o Options, fakes control.Fakes) (*Fakes, error) {
	if o.Client == nil || o.Gateways == nil || o.APIServer == "" || o.HTTP == nil || o.Image == "" || o.RunID == "" {
		return nil, errors.New("dataplane: Options.Client, Gateways, APIServer, HTTP, Image and RunID are required")
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	ctx, stop := context.WithCancel(context.Background())
	f := &Fakes{
		Fakes: fakes, o: o, find: finder{cs: o.Client, gateways: o.Gateways, selector: o.Selector},
		pods: map[types.UID]*podFakes{}, placed: map[string]placed{}, stop: stop,
	}
	go f.keepAlive(ctx)
	return f, nil
}

// keepAlive asks every container's control API for its summary well
// within IdleExit, so none ends while the run lasts, however long its
// other specs take.
func (f *Fakes) keepAlive(ctx context.Context) {
	tick := time.NewTicker(IdleExit / 5)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			for _, p := range f.allPods() {
				_, _ = p.remote.Summary(ctx)
			}
		}
	}
}

func (f *Fakes) allPods() []*podFakes {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*podFakes, 0, len(f.pods))
	for _, p := range f.pods {
		out = append(out, p)
	}
	return out
}

// Close stops the canaries still placed and the keep-alive, and says which
// pods keep the container, and for how long it runs.
func (f *Fakes) Close(ctx context.Context) error {
	f.mu.Lock()
	names := make([]string, 0, len(f.placed))
	for n := range f.placed {
		names = append(names, n)
	}
	f.mu.Unlock()
	var errs []error
	for _, n := range names {
		errs = append(errs, f.StopCanary(ctx, n))
	}
	f.stop()
	var pods []string
	for _, p := range f.allPods() {
		pods = append(pods, p.pod)
	}
	if len(pods) > 0 {
		slices.Sort(pods)
		fmt.Fprintf(f.o.Progress, "data plane: ephemeral container %s stays in pod %s until the pod is recreated (Kubernetes cannot remove one); its process exits %s after the run's last request\n",
			containerName(f.o.RunID), strings.Join(pods, ", "), IdleExit)
	}
	return errors.Join(errs...)
}

// StartCanary places a canary on the data plane's loopback when the spec
// names a Gateway, in every pod that serves it, and proves each holds its
// addresses: a request sent from inside the pod reaches it and gets its
// token. Anything else goes to the run's fakes.
func (f *Fakes) StartCanary(ctx context.Context, spec control.CanarySpec) (control.CanaryInfo, error) {
	if spec.Gateway == "" {
		return f.Fakes.StartCanary(ctx, spec)
	}
	gw, err := loopbackSpec(spec)
	if err != nil {
		return control.CanaryInfo{}, err
	}
	pods, err := f.podsOf(ctx, gw)
	if err != nil {
		return control.CanaryInfo{}, err
	}
	token := spec.Token
	if token == "" {
		token = rand.Text()
	}
	p := placed{info: control.CanaryInfo{Name: spec.Name, Token: token}}
	addrs := spec.Addrs
	var where []string
	for _, pf := range pods {
		name := f.nextName()
		info, err := pf.remote.StartCanary(ctx, control.CanarySpec{Name: name, Addrs: addrs, Token: token})
		if err == nil {
			p.in = append(p.in, inPod{fakes: pf, name: name})
			err = f.prove(ctx, pf, name, info)
		}
		if err != nil {
			return control.CanaryInfo{}, errors.Join(fmt.Errorf("canary %s on the loopback of pod %s (Gateway %s): %w", spec.Name, pf.pod, gw, err), stopAll(context.WithoutCancel(ctx), p.in))
		}
		if p.info.Addrs == nil {
			// The other pods listen where the first one does.
			p.info.Addrs, addrs = info.Addrs, nil
			for _, a := range info.Addrs {
				addrs = append(addrs, a.String())
			}
		}
		where = append(where, pf.pod)
	}
	p.info.Proven = "from inside pod " + strings.Join(where, ", ") + ", which serves Gateway " + gw.String()
	f.mu.Lock()
	f.placed[spec.Name] = p
	f.mu.Unlock()
	return p.info, nil
}

// loopbackSpec checks a canary asked on a data plane's loopback and
// returns its Gateway.
func loopbackSpec(spec control.CanarySpec) (types.NamespacedName, error) {
	ns, name, ok := strings.Cut(spec.Gateway, "/")
	if !ok || ns == "" || name == "" {
		return types.NamespacedName{}, &control.InvalidError{Field: "gateway", Reason: fmt.Sprintf("%q: write the Gateway as namespace/name", spec.Gateway)}
	}
	if len(spec.Addrs) == 0 {
		return types.NamespacedName{}, &control.InvalidError{Field: "addrs", Reason: "empty; list the host:port addresses the canary listens on"}
	}
	for i, s := range spec.Addrs {
		ap, err := netip.ParseAddrPort(s)
		if err != nil || !ap.Addr().Unmap().IsLoopback() {
			return types.NamespacedName{}, &control.InvalidError{Field: fmt.Sprintf("addrs[%d]", i), Reason: fmt.Sprintf("%q: a canary in a Gateway's data plane listens on its loopback only (127.0.0.0/8, ::1)", s)}
		}
	}
	return types.NamespacedName{Namespace: ns, Name: name}, nil
}

func (f *Fakes) nextName() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.serial++
	return fmt.Sprintf("loopback-%d", f.serial)
}

// prove sends a request to each address of the canary from inside the
// pod: the canary's token must come back, and its hit be recorded, which
// is then forgotten.
func (f *Fakes) prove(ctx context.Context, pf *podFakes, name string, info control.CanaryInfo) error {
	for _, a := range info.Addrs {
		res, err := pf.prober.Get(ctx, probe.Request{URL: "http://" + a.String() + "/xbcheck-reachable", Timeout: 10 * time.Second})
		if err != nil {
			return fmt.Errorf("probe %s from inside the pod: %w", a, err)
		}
		if got := res.Header.Get(canary.TokenHeader); got != info.Token {
			why := res.Error
			if why == "" {
				why = fmt.Sprintf("HTTP %d without the canary's token", res.Status)
			}
			return fmt.Errorf("a request to %s from inside the pod did not reach the canary (%s), so its silence would prove nothing", a, why)
		}
	}
	hits, err := pf.remote.CanaryHits(ctx, name)
	if err != nil {
		return err
	}
	if len(hits) < len(info.Addrs) {
		return fmt.Errorf("the canary answered from inside the pod but recorded %d of %d connections", len(hits), len(info.Addrs))
	}
	return pf.remote.ClearCanary(ctx, name)
}

// podsOf returns the fakes of every pod that serves the Gateway, adding
// the canary container to those that have none yet.
func (f *Fakes) podsOf(ctx context.Context, gw types.NamespacedName) ([]*podFakes, error) {
	f.inject.Lock()
	defer f.inject.Unlock()
	pods, err := f.find.pods(ctx, gw)
	if err != nil {
		return nil, err
	}
	var out []*podFakes
	for i := range pods {
		pod := &pods[i]
		f.mu.Lock()
		pf := f.pods[pod.UID]
		f.mu.Unlock()
		if pf == nil {
			if pf, err = f.start(ctx, pod.Namespace, pod.Name, gw); err != nil {
				return nil, err
			}
			f.mu.Lock()
			f.pods[pod.UID] = pf
			f.mu.Unlock()
		}
		out = append(out, pf)
	}
	return out, nil
}

// start adds the container to the pod (unless it has it), waits for its
// control API through the pod proxy, and says what it changed.
func (f *Fakes) start(ctx context.Context, namespace, name string, gw types.NamespacedName) (*podFakes, error) {
	pod, err := f.o.Client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("read data-plane pod %s/%s: %w", namespace, name, err)
	}
	cname := containerName(f.o.RunID)
	added, err := addContainer(ctx, f.o.Client, pod, cname, f.o.Image)
	if err != nil {
		return nil, err
	}
	port, err := awaitControl(ctx, f.o.Client, namespace, name, cname, f.o.Timeout)
	if err != nil {
		return nil, err
	}
	base := fmt.Sprintf("%s/api/v1/namespaces/%s/pods/http:%s:%s/proxy", strings.TrimSuffix(f.o.APIServer, "/"), namespace, name, port)
	pf := &podFakes{pod: namespace + "/" + name, remote: &control.Remote{URL: base, Client: f.o.HTTP}, prober: &probe.Client{URL: base + "/v1/probe", HTTP: f.o.HTTP}}
	if err := f.awaitProxy(ctx, pf); err != nil {
		return nil, err
	}
	if added {
		fmt.Fprintf(f.o.Progress, "data plane: added ephemeral container %s (image %s) to pod %s, which serves Gateway %s: canaries on the pod's loopback, its control API on %s:%s; it stays until the pod is recreated\n",
			cname, f.o.Image, pf.pod, gw, pod.Status.PodIP, port)
	}
	return pf, nil
}

// awaitProxy waits for the control API to answer through the pod proxy.
func (f *Fakes) awaitProxy(ctx context.Context, pf *podFakes) error {
	deadline := time.Now().Add(f.o.Timeout)
	for pause := 100 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		_, err := pf.remote.Summary(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the canary container of pod %s runs, but its control API does not answer through the API server's pod proxy within %s: %w", pf.pod, f.o.Timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

func (f *Fakes) lookup(name string) (placed, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.placed[name]
	return p, ok
}

// StopCanary stops the canary in every pod, or in the run's fakes.
func (f *Fakes) StopCanary(ctx context.Context, name string) error {
	f.mu.Lock()
	p, ok := f.placed[name]
	delete(f.placed, name)
	f.mu.Unlock()
	if !ok {
		return f.Fakes.StopCanary(ctx, name)
	}
	return stopAll(ctx, p.in)
}

func stopAll(ctx context.Context, in []inPod) error {
	var errs []error
	for _, c := range in {
		errs = append(errs, c.fakes.remote.StopCanary(ctx, c.name))
	}
	return errors.Join(errs...)
}

// CanaryHits returns the hits of the canary in every pod, oldest first,
// under the spec's name.
func (f *Fakes) CanaryHits(ctx context.Context, name string) ([]canary.Hit, error) {
	p, ok := f.lookup(name)
	if !ok {
		return f.Fakes.CanaryHits(ctx, name)
	}
	var all []canary.Hit
	for _, c := range p.in {
		hits, err := c.fakes.remote.CanaryHits(ctx, c.name)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			h.Canary = name + " (in pod " + c.fakes.pod + ")"
			all = append(all, h)
		}
	}
	slices.SortStableFunc(all, func(a, b canary.Hit) int { return a.Time.Compare(b.Time) })
	return all, nil
}

// ClearCanary forgets the canary's hits in every pod.
func (f *Fakes) ClearCanary(ctx context.Context, name string) error {
	p, ok := f.lookup(name)
	if !ok {
		return f.Fakes.ClearCanary(ctx, name)
	}
	var errs []error
	for _, c := range p.in {
		errs = append(errs, c.fakes.remote.ClearCanary(ctx, c.name))
	}
	return errors.Join(errs...)
}

// WaitCanary returns the first hit in any pod that match accepts.
func (f *Fakes) WaitCanary(ctx context.Context, name string, match func(canary.Hit) bool) (canary.Hit, error) {
	if _, ok := f.lookup(name); !ok {
		return f.Fakes.WaitCanary(ctx, name, match)
	}
	for pause := 10 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		hits, err := f.CanaryHits(ctx, name)
		if err != nil {
			return canary.Hit{}, err
		}
		for _, h := range hits {
			if match(h) {
				return h, nil
			}
		}
		select {
		case <-ctx.Done():
			return canary.Hit{}, ctx.Err()
		case <-time.After(pause):
		}
	}
}

// Summary is the run's fakes' summary with the data plane's canaries.
func (f *Fakes) Summary(ctx context.Context) (control.Summary, error) {
	sum, err := f.Fakes.Summary(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.placed {
		sum.Canaries = append(sum.Canaries, p.info)
	}
	return sum, err
}
