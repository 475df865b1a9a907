package suites

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// RunLabel marks everything a run creates, so `xbcheck clean` finds it.
const RunLabel = "xbcheck.dev/run"

// Config is what a caller must give the suite before running it.
type Config struct {
	// Kubeconfig is the path of the cluster's kubeconfig file.
	Kubeconfig string
	// RunID names this run in namespace names and the RunLabel.
	RunID    string
	Timeouts Timeouts
	// Progress receives one line per finished spec; nil prints nothing.
	Progress io.Writer
	// OnReport receives the suite's report when it ends.
	OnReport func(Report)
}

// Timeouts bound every wait in the suite. Zero values take the defaults.
type Timeouts struct {
	// Cleanup bounds the deletion of a spec's namespace.
	Cleanup time.Duration
	// Request bounds one API request.
	Request time.Duration
}

// DefaultTimeouts returns the documented defaults.
func DefaultTimeouts() Timeouts {
	return Timeouts{Cleanup: 60 * time.Second, Request: 10 * time.Second}
}

var (
	config    Config
	k8sClient client.Client
)

// Configure sets the suite's configuration; call it before RunSpecs.
func Configure(c Config) {
	d := DefaultTimeouts()
	if c.Timeouts.Cleanup == 0 {
		c.Timeouts.Cleanup = d.Cleanup
	}
	if c.Timeouts.Request == 0 {
		c.Timeouts.Request = d.Request
	}
	config = c
}

var _ = BeforeSuite(func() {
	Expect(config.Kubeconfig).NotTo(BeEmpty(), "the suite was run without suites.Configure: no cluster to talk to")
	restConfig, err := clientcmd.BuildConfigFromFlags("", config.Kubeconfig)
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(restConfig, client.Options{})
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
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, ns))).To(Succeed())
	}, NodeTimeout(config.Timeouts.Cleanup))
	return ns.Name
}
