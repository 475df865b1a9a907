package suites

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/fixtures/manifest"
)

// RunLabel marks everything a run creates, so `xbcheck clean` finds it.
const RunLabel = "xbcheck.dev/run"

// Config is what a caller must give the suite before running it.
type Config struct {
	// Kubeconfig is the path of the cluster's kubeconfig file.
	Kubeconfig string
	// RunID names this run in namespace names and the RunLabel.
	RunID       string
	Timeouts    Timeouts
	Environment Environment
	// Features gates specs by the implementation's supported features.
	Features FeatureSet
	// KeepResources leaves every namespace and object a spec created in
	// the cluster, labelled with the run id (`xbcheck clean` removes them).
	KeepResources bool
	// EvidenceDir, when set, receives evidence/<ShortName>.json per spec.
	EvidenceDir string
	// Progress receives one line per finished spec; nil prints nothing.
	Progress io.Writer
	// OnReport receives the suite's report when it ends.
	OnReport func(Report)
}

// Timeouts bound every wait in the suite. Zero values take the defaults;
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
		Request:      10 * time.Second,
		Poll:         250 * time.Millisecond,
		Cleanup:      60 * time.Second,
	}
}

// withDefaults fills every zero field from DefaultTimeouts.
func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts()
	for _, f := range []struct{ v, d *time.Duration }{
		{&t.GatewayReady, &d.GatewayReady}, {&t.Status, &d.Status}, {&t.Traffic, &d.Traffic},
		{&t.Never, &d.Never}, {&t.Request, &d.Request}, {&t.Poll, &d.Poll}, {&t.Cleanup, &d.Cleanup},
	} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	return t
}

var (
	config    Config
	k8sClient client.Client
)

// Configure sets the suite's configuration; call it before RunSpecs.
func Configure(c Config) {
	c.Timeouts = c.Timeouts.withDefaults()
	config = c
}

var _ = BeforeSuite(func() {
	Expect(config.Kubeconfig).NotTo(BeEmpty(), "the suite was run without suites.Configure: no cluster to talk to")
	restConfig, err := clientcmd.BuildConfigFromFlags("", config.Kubeconfig)
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(restConfig, client.Options{Scheme: manifest.Scheme()})
	Expect(err).NotTo(HaveOccurred())
})

// namespaceFor creates the spec's own namespace and removes it when the
// spec ends.
func namespaceFor(ctx context.Context, shortName string) string {
	name := strings.ToLower(shortName)
	if max := 63 - len(config.RunID) - 1; len(name) > max {
		name = name[:max]
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   fmt.Sprintf("%s-%s", strings.TrimRight(name, "-"), config.RunID),
		Labels: map[string]string{RunLabel: config.RunID},
	}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed(), "create namespace %s for %s", ns.Name, shortName)
	deleteAtEnd(ns)
	return ns.Name
}

// deleteAtEnd deletes obj when the spec ends, unless the run keeps what it
// created for inspection (--cleanup-base-resources=false).
func deleteAtEnd(obj client.Object) {
	if config.KeepResources {
		return
	}
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, obj))).To(Succeed())
	}, NodeTimeout(config.Timeouts.Cleanup))
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
	var names []string
	for i := range v.NumField() {
		field := v.Type().Field(i).Name
		if strings.EqualFold(field, name) {
			v.Field(i).Set(reflect.ValueOf(d))
			return nil
		}
		names = append(names, field)
	}
	return fmt.Errorf("--timeout %q: unknown timeout %q; use one of %s", spec, name, strings.Join(names, ", "))
}
