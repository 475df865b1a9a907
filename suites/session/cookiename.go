package session

import (
	"context"
	"net/http"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// cookieNameScenarios are the scenarios of session cookies the XBackend
// names none for.
func cookieNameScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Should.Scenario("SessionPersistenceCookieNameGenerated", verdict.FeatureSessionPersistence),
		Description: "generates a session cookie name when the XBackend names none, a different one for each of two XBackends, and the cookie keeps its session on one pod",
		Source:      apitext.CookieNameGenerated,
		Run:         cookieNameGenerated,
	}}
}

// cookieNameGenerated: two XBackends with unnamed session cookies, in
// front of the same pods, each start sessions with cookies of their own
// names, and the first's cookie keeps its requests on one pod.
func cookieNameGenerated(ctx context.Context, s *harness.T) {
	gw, _ := threePods(ctx, s, "cookie-unnamed.yaml")
	By("starting a session through each XBackend: / reaches sticky-a, /b sticky-b")
	first, pod := start(ctx, s, gw, anyCookies)
	second := startAt(ctx, s, gw, "/b")
	firstNames, secondNames := cookieNames(first), cookieNames(second)
	s.Note("sticky-a's session cookies: %v; sticky-b's: %v", firstNames, secondNames)
	for _, name := range firstNames {
		Expect(secondNames).NotTo(ContainElement(name),
			"both XBackends name their session cookie %q: a generated cookie name is not unique, so one XBackend's session cookie replaces the other's", name)
	}
	By("checking every request bringing sticky-a's cookies back reaches its pod")
	stays(ctx, s, gw, first, pod)
}

// anyCookies reads every cookie a response sets, as the Cookie header a
// client sends them back in: the spec does not know the generated name.
func anyCookies(r *harness.Response) http.Header {
	var pairs []string
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		pairs = append(pairs, (&http.Cookie{Name: c.Name, Value: c.Value}).String())
	}
	if len(pairs) == 0 {
		return nil
	}
	return http.Header{"Cookie": {strings.Join(pairs, "; ")}}
}

// startAt starts a session with a request to path and returns its cookies.
func startAt(ctx context.Context, s *harness.T, gw, path string) http.Header {
	GinkgoHelper()
	var token http.Header
	s.EventuallyGet(ctx, gw, path, func(g Gomega, r *harness.Response) {
		g.Expect(r.Status).To(Equal(http.StatusOK), "want 200 from a pod, got %v", r)
		token = anyCookies(r)
		g.Expect(token).NotTo(BeEmpty(), "the response to %s sets no cookie: no session cookie in %v", path, r.Header)
	})
	return token
}

// cookieNames are the names of the cookies of a Cookie header.
func cookieNames(h http.Header) []string {
	var names []string
	for _, c := range (&http.Request{Header: h}).Cookies() {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	return names
}
