package harness

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/xbcheck/xbcheck/fixtures/manifest"
	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

// T is one running scenario, as a *testing.T is one running test: its own
// namespace (removed when it ends), its own hostname under the test zone,
// its own CA, the fakes it started, and the evidence it gathers. A run
// function names it s, for the scenario it runs.
type T struct {
	verdict.Scenario
	// Namespace is the spec's own; Hostname is <Namespace>.xbcheck.test.
	Namespace string
	Hostname  string

	h         *Harness
	manifests fs.FS
	// loopbackGateway is the Gateway of the spec whose implementation's
	// loopback its canaries watch (LoopbackOf).
	loopbackGateway string
	authority       *pki.Authority
	evidence        *evidenceLog
}

// begin starts a spec: its namespace, hostname and evidence, written when
// it ends.
func (h *Harness) begin(ctx context.Context, f Family, declared Scenario) *T {
	sc := declared.Scenario
	s := &T{Scenario: sc, h: h, manifests: f.Manifests, evidence: newEvidence(declared)}
	h.clock.reset()
	// Registered first, so it runs last: after every cleanup.
	DeferCleanup(func() {
		AddReportEntry(TimingEntry, ReportEntryVisibilityNever, int64(h.clock.reset()))
	})
	DeferCleanup(s.recordEvidence)
	s.Namespace = s.NewNamespace(ctx, sc.ShortName)
	s.Hostname = s.Namespace + "." + TestZone
	s.evidence.dnsName(s.Hostname)
	return s
}

// Harness is the harness the spec runs in.
func (s *T) Harness() *Harness { return s.h }

// Timeouts are the run's timeouts.
func (s *T) Timeouts() Timeouts { return s.h.Timeouts }

// Env is what the runner set up around the implementation.
func (s *T) Env() Environment { return s.h.Env }

// Client reaches the cluster.
func (s *T) Client() client.Client { return s.h.Client }

// NewNamespace creates a namespace named after name and the run, labelled
// with the run id, and deletes it when the spec ends.
func (s *T) NewNamespace(ctx context.Context, name string) string {
	GinkgoHelper()
	runID := s.h.RunID
	name = strings.ToLower(name)
	if max := 63 - len(runID) - 1; len(name) > max {
		name = name[:max]
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   fmt.Sprintf("%s-%s", strings.TrimRight(name, "-"), runID),
		Labels: map[string]string{RunLabel: runID},
	}}
	Expect(s.h.Client.Create(ctx, ns)).To(Succeed(), "create namespace %s for %s", ns.Name, s.ShortName)
	s.DeleteAtEnd(ns)
	return ns.Name
}

// DeleteAtEnd deletes obj when the spec ends, unless the run keeps what it
// created for inspection (--cleanup-base-resources=false).
func (s *T) DeleteAtEnd(obj client.Object) {
	if s.h.KeepResources {
		return
	}
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(s.h.Client.Delete(ctx, obj))).To(Succeed())
	}, NodeTimeout(s.h.Timeouts.Cleanup))
}

// Create creates obj and deletes it when the spec ends.
func (s *T) Create(ctx context.Context, obj client.Object) {
	GinkgoHelper()
	Expect(s.h.Client.Create(ctx, obj)).To(Succeed(), "create %T %s/%s", obj, obj.GetNamespace(), obj.GetName())
	s.DeleteAtEnd(obj)
}

// vars are the placeholders of a manifest: every template may use
// {{.Namespace}}, {{.Hostname}}, {{.GatewayClass}} and {{.ListenerPort}};
// extra adds (or replaces) others.
func (s *T) vars(extra map[string]string) map[string]string {
	v := map[string]string{
		"Namespace":    s.Namespace,
		"Hostname":     s.Hostname,
		"GatewayClass": s.h.Env.GatewayClass,
		"ListenerPort": strconv.Itoa(ListenerPort),
	}
	maps.Copy(v, extra)
	return v
}

// Render fills the family's manifest name with the spec's placeholders
// plus extra and writes it in the installed XBackend schema, without
// creating anything.
func (s *T) Render(name string, extra map[string]string) []*unstructured.Unstructured {
	GinkgoHelper()
	objs, err := manifest.Render(s.manifests, name, s.vars(extra))
	Check(err, "manifest %s", name)
	Check(s.h.Schema.Render(objs), "manifest %s", name)
	return objs
}

// Apply renders the family's manifest name and creates every object in it,
// each deleted when the spec ends.
func (s *T) Apply(ctx context.Context, name string, extra map[string]string) []*unstructured.Unstructured {
	GinkgoHelper()
	return s.apply(ctx, name, s.Render(name, extra))
}

// ApplyGateway creates the spec's own Gateway "gw": one HTTP listener on
// ListenerPort, routes from its namespace only.
func (s *T) ApplyGateway(ctx context.Context) {
	GinkgoHelper()
	objs, err := manifest.Render(common, "gateway.yaml", s.vars(nil))
	Check(err, "manifest gateway.yaml")
	s.apply(ctx, "gateway.yaml", objs)
}

func (s *T) apply(ctx context.Context, name string, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	GinkgoHelper()
	for _, o := range objs {
		if text, err := yaml.Marshal(o.Object); err == nil {
			s.evidence.manifest(string(text))
		}
		Expect(s.h.Client.Create(ctx, o)).To(Succeed(), "create %s %s from %s", o.GetKind(), o.GetName(), name)
		// Deleted one by one as well as with the namespace: an embedded
		// control plane has no namespace controller to cascade, and an
		// implementation should see its Gateways go.
		s.DeleteAtEnd(o)
	}
	return objs
}

// CA is the spec's own certificate authority, made on first use.
func (s *T) CA() *pki.Authority {
	GinkgoHelper()
	if s.authority == nil {
		a, err := pki.NewAuthority("xbcheck " + s.ShortName + " CA")
		Expect(err).NotTo(HaveOccurred())
		s.authority = a
	}
	return s.authority
}

// Note records a line of evidence, timed from the spec's start.
func (s *T) Note(format string, args ...any) { s.evidence.note(format, args...) }

// Observe records an OBSERVE measurement: it is printed with the spec and
// in the run's summary, and never fails anything.
func (s *T) Observe(name, value string) {
	s.evidence.measure(name, value)
	AddReportEntry(MeasurementEntry, ReportEntryVisibilityNever, name+": "+value)
}

// Measure polls f every Poll until it succeeds or within has passed, and
// says which. It never fails the spec: OBSERVE specs wait with it for a
// value that may never come.
func (s *T) Measure(ctx context.Context, within time.Duration, f func(g Gomega)) bool {
	g := NewGomega(func(string, ...int) {})
	return g.Eventually(f).WithContext(ctx).WithTimeout(within).WithPolling(s.h.Timeouts.Poll).Should(Succeed())
}

// Sample runs probe every Poll for d, for measurements over a window.
func (s *T) Sample(ctx context.Context, d time.Duration, probe func()) {
	g := NewGomega(func(string, ...int) {})
	g.Consistently(func(Gomega) { probe() }).WithContext(ctx).WithTimeout(d).WithPolling(s.h.Timeouts.Poll).Should(Succeed())
}
