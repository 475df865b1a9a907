package endpointselector

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

//go:embed *.yaml
var manifests embed.FS

// fakePods is why these specs need pods behind fake upstreams.
const fakePods = "its pods serve fake upstreams whose readiness the harness sets"

// Family is the EndpointSelector group.
func Family() harness.Family {
	scenarios := []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("EndpointSelectorRoutesToReadyPods", verdict.FeatureResourceBackend),
		Description: "routes to every ready pod of the XBackend's namespace that carries all its matchLabels",
		Source:      apitext.EndpointSelectorType,
		Run:         routesToReadyPods,
	}, {
		Scenario:    verdict.Must.Scenario("EndpointSelectorFollowsPods", verdict.FeatureResourceBackend),
		Description: "follows pods as they are added and removed, with no endpoint object to manage",
		Source:      apitext.EndpointsStayUpToDate,
		Run:         followsPods,
	}, {
		Scenario:    verdict.Must.Scenario("EndpointSelectorExcludesNotReadyPods", verdict.FeatureResourceBackend),
		Description: "never routes to a selected pod that is not Ready, and follows readiness both ways",
		Source:      apitext.EndpointSelectorType,
		Run:         excludesNotReady,
	}, {
		Scenario:    verdict.Must.Scenario("EndpointSelectorRequiresEveryLabel", verdict.FeatureResourceBackend),
		Description: "never routes to a pod that carries only some of the matchLabels",
		Source:      apitext.MatchEveryLabel,
		Run:         requiresEveryLabel,
	}, {
		Scenario:    verdict.Must.Scenario("EndpointSelectorOtherNamespaceNeverSelected", verdict.FeatureResourceBackend, verdict.FailClosed),
		Description: "never routes to a pod of another namespace, whatever its labels",
		Source:      apitext.EndpointSelectorType,
		Run:         otherNamespace,
	}, {
		Scenario:    verdict.Should.Scenario("EndpointSelectorNoReadyPodAnswers503", verdict.FeatureResourceBackend),
		Description: "answers 503 while no selected pod is ready",
		Source:      apitext.NoReadyEndpoints,
		Run:         noReadyPod,
	}}
	scenarios = append(scenarios, serviceScenarios()...)
	for i := range scenarios {
		scenarios[i].Releases, scenarios[i].Pods = harness.V170, fakePods
	}
	return harness.Family{Name: "EndpointSelector", Manifests: manifests, Scenarios: scenarios}
}

// selected are the labels pods.yaml selects, for app.
func selected(app string) map[string]string { return map[string]string{"app": app, "tier": "web"} }

// backend is a spec's EndpointSelector XBackend "pods", its route on the
// spec's Gateway, and the port its pods listen on.
type backend struct {
	s    *harness.T
	app  string
	port int
	gw   string
}

// newBackend starts the first pod (ready as said, with labels; nil labels
// are the selected ones), whose upstream's port becomes the XBackend's,
// then applies the Gateway, the XBackend and the route.
func newBackend(ctx context.Context, s *harness.T, name string, labels map[string]string, ready bool) (*backend, *harness.FakePod) {
	GinkgoHelper()
	b := &backend{s: s, app: "web"}
	if labels == nil {
		labels = selected(b.app)
	}
	first := s.StartPod(ctx, s.Namespace, name, labels, ready, 0, plain())
	b.port = int(first.Upstream.Addr.Port())
	s.ApplyGateway(ctx)
	s.Apply(ctx, "pods.yaml", map[string]string{"App": b.app, "Port": strconv.Itoa(b.port)})
	b.gw = s.GatewayAddress(ctx, "gw")
	return b, first
}

// plain is a pod's upstream: cleartext HTTP/1.1.
func plain() harness.UpstreamConfig {
	return harness.UpstreamConfig{TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1}}
}

// pod starts another pod on the XBackend's port, in namespace.
func (b *backend) pod(ctx context.Context, namespace, name string, labels map[string]string, ready bool) *harness.FakePod {
	GinkgoHelper()
	return b.s.StartPod(ctx, namespace, name, labels, ready, b.port, plain())
}

// eventuallyServedByAll probes until every one of pods has answered a
// request through the Gateway.
func (b *backend) eventuallyServedByAll(ctx context.Context, pods ...*harness.FakePod) {
	GinkgoHelper()
	seen := map[string]bool{}
	b.s.EventuallyGet(ctx, b.gw, "/", func(g Gomega, r *harness.Response) {
		g.Expect(r.Status).To(Equal(http.StatusOK), "want 200 from a pod, got %v", r)
		g.Expect(r.Upstream).To(harness.Present("a pod's answer"), "the 200 came from no pod: %v", r)
		seen[r.Upstream.Token] = true
		for _, p := range pods {
			g.Expect(seen[p.Upstream.Token]).To(BeTrue(), "pod %s/%s has not answered yet (answered so far: %d pods)", p.Namespace, p.Name, len(seen))
		}
	})
}

// settled is how many requests in a row one pod must serve before a
// change of the selected pods counts as taken in: with two pods picked at
// random, a change not yet taken in passes with probability 2^-12.
const settled = 12

// eventuallyOnly probes until settled requests in a row are served by p:
// the implementation has taken in the change that left p the only one.
func (b *backend) eventuallyOnly(ctx context.Context, p *harness.FakePod) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		for range settled {
			r, err := b.s.Get(ctx, b.gw, "/")
			g.Expect(err).NotTo(HaveOccurred())
			harness.FromUpstream(p.Upstream)(g, r)
		}
	}).WithContext(ctx).WithTimeout(b.s.Timeouts().Traffic).WithPolling(b.s.Timeouts().Poll).Should(Succeed())
}

// consistentlyOnly probes for the Never window: every request is answered
// by one of pods, never by another pod, and the others see no connection.
func (b *backend) consistentlyOnly(ctx context.Context, pods []*harness.FakePod, never ...*harness.FakePod) {
	GinkgoHelper()
	allowed := map[string]bool{}
	for _, p := range pods {
		allowed[p.Upstream.Token] = true
	}
	// Connections the pods accepted before (when they were still
	// selected) are closed, so only new ones count.
	before := map[*harness.FakePod]int{}
	for _, p := range never {
		p.Upstream.Drop(ctx)
		before[p] = len(p.Upstream.Events(ctx, upstream.KindAccept))
	}
	Consistently(func(g Gomega) {
		r, err := b.s.Get(ctx, b.gw, "/")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(r.Status).To(Equal(http.StatusOK), "want 200 from a selected ready pod, got %v", r)
		g.Expect(r.Upstream).To(harness.Present("a pod's answer"), "the 200 came from no pod: %v", r)
		g.Expect(allowed[r.Upstream.Token]).To(BeTrue(), "the request reached pod upstream %s, which must not be selected", r.Upstream.Role)
		for _, p := range never {
			g.Expect(p.Upstream.Events(ctx, upstream.KindAccept)).To(HaveLen(before[p]), "pod %s/%s at %s accepted a connection", p.Namespace, p.Name, p.Addr())
		}
	}).WithContext(ctx).WithTimeout(b.s.Timeouts().Never).WithPolling(b.s.Timeouts().Poll).Should(Succeed())
}

func routesToReadyPods(ctx context.Context, s *harness.T) {
	b, first := newBackend(ctx, s, "web-1", nil, true)
	second := b.pod(ctx, s.Namespace, "web-2", selected(b.app), true)
	By("checking the XBackend is Accepted")
	s.EventuallyAccepted(ctx, "pods", "gw", metav1.ConditionTrue)
	By("checking both ready pods answer requests through the Gateway")
	b.eventuallyServedByAll(ctx, first, second)
}

func followsPods(ctx context.Context, s *harness.T) {
	b, first := newBackend(ctx, s, "web-1", nil, true)
	b.eventuallyServedByAll(ctx, first)
	By("adding a second selected pod: it gets traffic")
	second := b.pod(ctx, s.Namespace, "web-2", selected(b.app), true)
	b.eventuallyServedByAll(ctx, second)
	By("deleting the first pod: no request reaches it any more")
	s.DeletePod(ctx, first)
	b.eventuallyOnly(ctx, second)
	b.consistentlyOnly(ctx, []*harness.FakePod{second}, first)
}

func excludesNotReady(ctx context.Context, s *harness.T) {
	b, ready := newBackend(ctx, s, "ready", nil, true)
	starting := b.pod(ctx, s.Namespace, "starting", selected(b.app), false)
	b.eventuallyServedByAll(ctx, ready)
	By("checking the pod that is not Ready gets nothing")
	b.consistentlyOnly(ctx, []*harness.FakePod{ready}, starting)
	By("swapping readiness: traffic moves to the pod that became Ready")
	s.SetPodReady(ctx, starting, true)
	s.SetPodReady(ctx, ready, false)
	b.eventuallyOnly(ctx, starting)
	b.consistentlyOnly(ctx, []*harness.FakePod{starting}, ready)
}

func requiresEveryLabel(ctx context.Context, s *harness.T) {
	b, full := newBackend(ctx, s, "both-labels", nil, true)
	appOnly := b.pod(ctx, s.Namespace, "app-only", map[string]string{"app": b.app}, true)
	tierOnly := b.pod(ctx, s.Namespace, "tier-only", map[string]string{"tier": "web", "app": "other"}, true)
	b.eventuallyServedByAll(ctx, full)
	By("checking pods with only some of the labels get nothing")
	b.consistentlyOnly(ctx, []*harness.FakePod{full}, appOnly, tierOnly)
}

func otherNamespace(ctx context.Context, s *harness.T) {
	b, own := newBackend(ctx, s, "own", nil, true)
	other := s.NewNamespace(ctx, s.ShortName+"Other")
	foreign := b.pod(ctx, other, "same-labels", selected(b.app), true)
	b.eventuallyServedByAll(ctx, own)
	By(fmt.Sprintf("checking the pod of namespace %s, with the same labels, gets nothing", other))
	b.consistentlyOnly(ctx, []*harness.FakePod{own}, foreign)
	By("deleting the only selected pod of the XBackend's namespace: still nothing reaches the other namespace")
	s.DeletePod(ctx, own)
	s.EventuallyGet(ctx, b.gw, "/", func(g Gomega, r *harness.Response) {
		g.Expect(r.Status).To(BeNumerically(">=", http.StatusInternalServerError), "want the Gateway to refuse (no pod left), got %v", r)
	})
	s.ConsistentlyNotServed(ctx, b.gw, "/")
	Expect(foreign.Upstream.Log(ctx)).To(BeEmpty(), "the pod of namespace %s saw a connection", other)
}

func noReadyPod(ctx context.Context, s *harness.T) {
	b, starting := newBackend(ctx, s, "starting", nil, false)
	s.EventuallyAccepted(ctx, "pods", "gw", "")
	By("checking requests get 503 from the Gateway while no selected pod is ready")
	s.EventuallyGet(ctx, b.gw, "/", harness.AnsweredWith(http.StatusServiceUnavailable))
	s.ConsistentlyNotServed(ctx, b.gw, "/")
	Expect(starting.Upstream.Log(ctx)).To(BeEmpty(), "the pod that is not Ready saw a connection")
}
