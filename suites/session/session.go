package session

import (
	"context"
	"embed"
	"net/http"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

//go:embed *.yaml
var manifests embed.FS

// The cookie and header the manifests name.
const (
	cookieName = "xbcheck-session"
	headerName = "X-Xbcheck-Session"
)

// requests is how many requests of one session must all reach its pod:
// with three pods, a random pick would stay on one pod that long with
// probability (1/3)^11.
const requests = 12

// Family is the sessionPersistence group.
func Family() harness.Family {
	scenarios := []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("SessionPersistenceCookieKeepsPod", verdict.FeatureSessionPersistence),
		Description: "keeps every request bringing the session cookie back on the pod that served the first, and moves the session once that pod is no longer ready",
		Source:      apitext.SessionPersistence,
		Run:         cookieKeepsPod,
	}, {
		Scenario:    verdict.Must.Scenario("SessionPersistenceCookiePathDefault", verdict.FeatureSessionPersistence),
		Description: "sets the session cookie's Path to / when the XBackend names none",
		Source:      apitext.CookiePath,
		Run:         cookiePathDefault,
	}, {
		Scenario:    verdict.Must.Scenario("SessionPersistenceHeaderKeepsPod", verdict.FeatureSessionPersistence),
		Description: "keeps every request bringing the session header back on the pod that served the first",
		Source:      apitext.SessionHeader,
		Run:         headerKeepsPod,
	}}
	scenarios = append(scenarios, cookieNameScenarios()...)
	for i := range scenarios {
		scenarios[i].Releases = harness.V170
		scenarios[i].Pods = "its pods are objects whose status the harness writes, with a fake upstream at each pod's address"
	}
	return harness.Family{Name: "SessionPersistence", Manifests: manifests, Scenarios: scenarios}
}

// session reads the token a response starts a session with, as the
// header a client sends it back in; empty when the response has none.
type session func(r *harness.Response) http.Header

func cookieSession(r *harness.Response) http.Header {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == cookieName {
			return http.Header{"Cookie": {(&http.Cookie{Name: c.Name, Value: c.Value}).String()}}
		}
	}
	return nil
}

func headerSession(r *harness.Response) http.Header {
	if v := r.Header.Get(headerName); v != "" {
		return http.Header{headerName: {v}}
	}
	return nil
}

// threePods starts three ready pods app=web on one port, the Gateway and
// the manifest file for them.
func threePods(ctx context.Context, s *harness.T, file string) (string, []*harness.FakePod) {
	GinkgoHelper()
	labels := map[string]string{"app": "web"}
	up := harness.UpstreamConfig{TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1}}
	pods := []*harness.FakePod{s.StartPod(ctx, s.Namespace, "web-1", labels, true, 0, up)}
	port := int(pods[0].Upstream.Addr.Port())
	for _, name := range []string{"web-2", "web-3"} {
		pods = append(pods, s.StartPod(ctx, s.Namespace, name, labels, true, port, up))
	}
	s.ApplyGateway(ctx)
	s.Apply(ctx, file, map[string]string{"App": "web", "Port": strconv.Itoa(port)})
	return s.GatewayAddress(ctx, "gw"), pods
}

// start sends requests without a session until one is served by a pod
// and starts a session; it returns the session and the pod's token.
func start(ctx context.Context, s *harness.T, gw string, read session) (http.Header, string) {
	GinkgoHelper()
	var token http.Header
	r := s.EventuallyGet(ctx, gw, "/", func(g Gomega, r *harness.Response) {
		g.Expect(r.Status).To(Equal(http.StatusOK), "want 200 from a pod, got %v", r)
		g.Expect(r.Upstream).To(harness.Present("a pod's answer"), "the 200 came from no pod: %v", r)
		token = read(r)
		g.Expect(token).NotTo(BeEmpty(), "the response starts no session: no session cookie or header in %v", r.Header)
	})
	s.Note("session started on pod upstream %s with %v", r.Upstream.Role, token)
	return token, r.Upstream.Token
}

// cookieKeepsPod: a session cookie keeps its requests on one pod.
func cookieKeepsPod(ctx context.Context, s *harness.T) {
	keepsPod(ctx, s, "cookie.yaml", cookieSession)
}

// headerKeepsPod: a session header keeps its requests on one pod.
func headerKeepsPod(ctx context.Context, s *harness.T) {
	keepsPod(ctx, s, "header.yaml", headerSession)
}

// stays sends requests with the session and checks each reaches pod.
func stays(ctx context.Context, s *harness.T, gw string, token http.Header, pod string) {
	GinkgoHelper()
	for i := range requests {
		r, err := s.GetWith(ctx, gw, "/", token)
		Expect(err).NotTo(HaveOccurred(), "request %d of the session", i+1)
		Expect(r.Upstream).To(harness.Present("a pod's answer"), "request %d of the session: %v", i+1, r)
		Expect(r.Upstream.Token).To(Equal(pod), "request %d of the session reached pod upstream %s, not the session's", i+1, r.Upstream.Role)
	}
}

func keepsPod(ctx context.Context, s *harness.T, file string, read session) {
	gw, pods := threePods(ctx, s, file)
	By("starting a session")
	token, pod := start(ctx, s, gw, read)
	By("checking every request of the session reaches its pod")
	stays(ctx, s, gw, token, pod)
	By("making the session's pod not ready: the session's requests go to a ready pod")
	var gone *harness.FakePod
	for _, p := range pods {
		if p.Upstream.Token == pod {
			gone = p
		}
	}
	Expect(gone).NotTo(BeNil(), "the session's pod is none of the spec's")
	s.SetPodReady(ctx, gone, false)
	s.EventuallyGet(ctx, gw, "/", func(g Gomega, r *harness.Response) {
		g.Expect(r.Status).To(Equal(http.StatusOK), "want 200 from a ready pod, got %v", r)
		g.Expect(r.Upstream).To(harness.Present("a pod's answer"), "the 200 came from no pod: %v", r)
		g.Expect(r.Upstream.Token).NotTo(Equal(pod), "the session still reaches its pod, which is not ready")
	})
}

func cookiePathDefault(ctx context.Context, s *harness.T) {
	gw, _ := threePods(ctx, s, "cookie.yaml")
	var cookie *http.Cookie
	s.EventuallyGet(ctx, gw, "/deep/path", func(g Gomega, r *harness.Response) {
		g.Expect(r.Status).To(Equal(http.StatusOK), "want 200 from a pod, got %v", r)
		cookie = nil
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			if c.Name == cookieName {
				cookie = c
			}
		}
		g.Expect(cookie).To(harness.Present("the session cookie"), "no Set-Cookie %s in %v", cookieName, r.Header.Values("Set-Cookie"))
	})
	s.Note("session cookie: %s", cookie.String())
	Expect(cookie.Path).To(Equal("/"), "the session cookie's Path is %q (request path /deep/path), want /", cookie.Path)
}
