package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/probe"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

// GatewayAddress waits until the spec's Gateway name is Programmed and
// returns host:port of its first listener: the host from status.addresses,
// or the run's --gateway-address, which needs no published address.
func (s *T) GatewayAddress(ctx context.Context, name string) string {
	GinkgoHelper()
	override := s.h.Env.GatewayAddress
	var host string
	gw := &gatewayv1.Gateway{}
	Eventually(func(g Gomega) {
		g.Expect(s.h.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, gw)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(gw.Status.Conditions, string(gatewayv1.GatewayConditionProgrammed))).
			To(BeTrue(), "Gateway %s/%s is not Programmed; conditions: %s", s.Namespace, name, DescribeConditions(gw.Status.Conditions))
		if override != "" {
			return
		}
		g.Expect(gw.Status.Addresses).NotTo(BeEmpty(), "Gateway %s/%s has no status.addresses; give --gateway-address if the implementation publishes none", s.Namespace, name)
		host = gw.Status.Addresses[0].Value
	}).WithContext(ctx).WithTimeout(s.h.Timeouts.GatewayReady).WithPolling(s.h.Timeouts.Poll).Should(Succeed())
	port := strconv.Itoa(int(gw.Spec.Listeners[0].Port))
	if override != "" {
		if _, _, err := net.SplitHostPort(override); err == nil {
			return override
		}
		host = override
	}
	return net.JoinHostPort(host, port)
}

// Response is what a client of the Gateway got back.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Upstream is what the fake upstream saw, when the body came from one.
	Upstream *upstream.Observation
}

func (r *Response) String() string {
	if r == nil {
		return "no response"
	}
	return fmt.Sprintf("HTTP %d: %s", r.Status, Briefly(string(r.Body)))
}

// Get sends one request through the Gateway on a fresh connection, so every
// probe makes the implementation route anew: from this process, or from
// the cluster when the harness has a remote prober.
func (s *T) Get(ctx context.Context, gateway, path string) (*Response, error) {
	return s.GetWith(ctx, gateway, path, nil)
}

// GetWith is Get sending header too (a session's cookie or header). Its
// error is the request's, or a verdict.HarnessError when the prober itself
// could not send it.
func (s *T) GetWith(ctx context.Context, gateway, path string, header http.Header) (*Response, error) {
	res, err := s.h.prober.Get(ctx, probe.Request{URL: "http://" + gateway + path, Timeout: s.h.Timeouts.Request, Header: header})
	if err != nil {
		return nil, verdict.HarnessErrorf("probe %s%s: %w", gateway, path, err)
	}
	if res.Error != "" {
		return nil, errors.New(res.Error)
	}
	r := &Response{Status: res.Status, Header: res.Header, Body: res.Body}
	if res.Header.Get(upstream.TokenHeader) != "" {
		var o upstream.Observation
		if json.Unmarshal(res.Body, &o) == nil {
			r.Upstream = &o
		}
	}
	return r, nil
}

// EventuallyGet probes until a response satisfies match (e.g. a 200 from
// the upstream), as implementations converge at their own pace. When the
// last probe failed because the prober could not send it, the scenario
// fails with that harness error rather than against the implementation.
func (s *T) EventuallyGet(ctx context.Context, gateway, path string, match func(Gomega, *Response)) *Response {
	GinkgoHelper()
	return s.EventuallyGetWith(ctx, gateway, path, nil, match)
}

// EventuallyGetWith is EventuallyGet sending header with every probe (a
// header a rule matches, a Host a route's hostname matches).
func (s *T) EventuallyGetWith(ctx context.Context, gateway, path string, header http.Header, match func(Gomega, *Response)) *Response {
	GinkgoHelper()
	var last *Response
	var lastErr error
	var failure string
	g := NewGomega(func(message string, _ ...int) { failure = message })
	if g.Eventually(func(g Gomega) {
		r, err := s.GetWith(ctx, gateway, path, header)
		last, lastErr = r, err
		g.Expect(err).NotTo(HaveOccurred())
		match(g, r)
	}).WithContext(ctx).WithTimeout(s.h.Timeouts.Traffic).WithPolling(s.h.Timeouts.Poll).Should(Succeed(),
		func() string { return "last response: " + Outcome(last, lastErr) }) {
		return last
	}
	if verdict.IsHarnessError(lastErr) {
		Fault(lastErr)
	}
	Fail(failure)
	return nil
}

// MeasureServed probes path through gateway until up answers or the Traffic
// timeout passes, and never fails the scenario: an OBSERVE scenario records
// what it saw, another decides from it (to skip). It says whether up
// answered, with the last response and that probe's Outcome.
func (s *T) MeasureServed(ctx context.Context, gateway, path string, up *Upstream) (served bool, last *Response, outcome string) {
	var err error
	served = s.Measure(ctx, s.h.Timeouts.Traffic, func(g Gomega) {
		last, err = s.Get(ctx, gateway, path)
		g.Expect(err).NotTo(HaveOccurred())
		FromUpstream(up)(g, last)
	})
	return served, last, Outcome(last, err, up)
}

// FromUpstream matches a 200 whose body came from up.
func FromUpstream(up *Upstream) func(Gomega, *Response) {
	return func(g Gomega, r *Response) {
		g.Expect(r.Status).To(Equal(http.StatusOK), "want 200 from upstream %s, got %v", up.Name(), r)
		g.Expect(r.Upstream).To(Present("an upstream's answer"), "the 200 did not come from a fake upstream: %v", r)
		g.Expect(r.Upstream.Token).To(Equal(up.Token), "the 200 came from another upstream (%s)", r.Upstream.Role)
	}
}

// AnsweredWith matches a response with the given status code that no fake
// upstream produced (the Gateway answered itself).
func AnsweredWith(code int) func(Gomega, *Response) {
	return func(g Gomega, r *Response) {
		g.Expect(r.Status).To(Equal(code), "want HTTP %d from the Gateway itself, got %v", code, r)
		g.Expect(r.Upstream).To(Absent("upstream's answer"), "the request reached an upstream: %v", r)
	}
}

// ServedBy reports whether r carries an answer of up or c: a token in the
// body, however the implementation relayed it.
func ServedBy(r *Response, token string) bool {
	return r != nil && (r.Upstream != nil && r.Upstream.Token == token || bytes.Contains(r.Body, []byte(token)))
}

// ConsistentlyNotServed probes the Gateway for the Never window on fresh
// connections: no probe may succeed or carry a fake's body (an upstream's
// observation, a canary's token), and the canaries see no connection. A
// probe whose connection fails served nothing.
func (s *T) ConsistentlyNotServed(ctx context.Context, gateway, path string, canaries ...*Canary) {
	GinkgoHelper()
	var last *Response
	Consistently(func(g Gomega) {
		if r, err := s.Get(ctx, gateway, path); err == nil {
			last = r
			g.Expect(r.Status).To(BeNumerically(">=", http.StatusBadRequest), "a request was served: %v", r)
			g.Expect(r.Upstream).To(Absent("upstream's answer"), "a request reached an upstream: %v", r)
			for _, c := range canaries {
				g.Expect(ServedBy(r, c.Token)).To(BeFalse(), "canary %s's token reached the client", c.Label())
			}
		}
		for _, c := range canaries {
			g.Expect(c.Hits(ctx)).To(BeEmpty(), "the implementation connected to canary %s at %v", c.Label(), c.Addrs)
		}
	}).WithContext(ctx).WithTimeout(s.h.Timeouts.Never).WithPolling(s.h.Timeouts.Poll).
		Should(Succeed(), func() string { return fmt.Sprintf("last response: %v", last) })
}

// Outcome names what one probe through the Gateway got, in one line: the
// upstream it reached, or the status or error instead.
func Outcome(r *Response, err error, ups ...*Upstream) string {
	switch {
	case err != nil:
		return "error: " + Briefly(err.Error())
	case r == nil:
		return "no response"
	}
	if r.Upstream != nil {
		for _, up := range ups {
			if r.Upstream.Token == up.Token {
				return fmt.Sprintf("HTTP %d from upstream %s", r.Status, up.Name())
			}
		}
	}
	return r.String()
}

// HostOnly is a Host header, or any HOST:PORT, without its port.
func HostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// Briefly is the first line of s, cut at 160 characters.
func Briefly(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(line) > 160 {
		line = line[:160] + "..."
	}
	return line
}

// Tally counts identical outcomes, most frequent first.
func Tally(outcomes []string) string {
	counts := map[string]int{}
	for _, o := range outcomes {
		counts[o]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d× %s", counts[k], k)
	}
	return strings.Join(parts, "; ")
}

// StatusOK matches any 2xx.
func StatusOK(status int) bool { return status >= http.StatusOK && status < http.StatusMultipleChoices }
