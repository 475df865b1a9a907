package harness

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Refusal describes a route to an XBackend the implementation must refuse,
// and what must never happen while it does.
type Refusal struct {
	// Gateway is host:port of the spec's Gateway, Path the path probed.
	Gateway, Path string
	// XBackend and Route name the spec's objects whose status may report
	// the refusal; GatewayName is the Gateway they report it for (default
	// "gw").
	XBackend, Route, GatewayName string
	// Served reports whether a response carries what must never reach the
	// client (e.g. an upstream's token); nil: any 2xx.
	Served func(*Response) bool
	// Violation, when set, is asked on every probe what the fakes saw that
	// must never happen (plaintext sent, a request answered); a non-empty
	// answer fails the spec at once.
	Violation func(ctx context.Context) string
	// Converging says the XBackend was served until a change the spec just
	// made: until the implementation reacts, a served probe or a violation
	// is the old configuration still in place, not yet a failure.
	// AwaitRefusal then fails only when no reaction comes in time.
	Converging bool
}

func (r Refusal) gateway() string {
	if r.GatewayName == "" {
		return "gw"
	}
	return r.GatewayName
}

func (r Refusal) served(resp *Response) bool {
	if r.Served != nil {
		return r.Served(resp)
	}
	return StatusOK(resp.Status)
}

// AwaitRefusal waits, up to the Traffic timeout, until the implementation
// has visibly refused: a probe was answered by the Gateway with an HTTP
// 5xx, or the implementation reports the XBackend not Accepted or the
// route not ResolvedRefs (each at the object's current generation) while
// the Gateway answers for the route (not a 404: no rule yet). A TCP
// accept at an upstream is no reaction: a data plane still being
// programmed, or one that connects and then gives up, has not refused
// anything. A served probe or a violation fails at once. It returns what
// the reaction was, for evidence.
func (s *T) AwaitRefusal(ctx context.Context, r Refusal) string {
	GinkgoHelper()
	var last *Response
	var lastErr error
	var how string
	Eventually(func(g Gomega) {
		resp, err := s.Get(ctx, r.Gateway, r.Path)
		last, lastErr = resp, err
		if err == nil && r.served(resp) {
			if r.Converging {
				g.Expect(r.served(resp)).To(BeFalse(), "still served after the change: %v", resp)
			}
			StopTrying(fmt.Sprintf("a request was served (%v), but the implementation must refuse this XBackend", resp)).Now()
		}
		if r.Violation != nil && !r.Converging {
			if v := r.Violation(ctx); v != "" {
				StopTrying(v).Now()
			}
		}
		if err == nil && resp.Status >= http.StatusInternalServerError && resp.Status < 600 {
			how = fmt.Sprintf("the Gateway answered %v", resp)
			return
		}
		// A refusal in status counts once the data plane answers for the
		// route: a 404 says it has no rule for the path yet, and a status
		// written before the data plane is programmed proves nothing about it.
		g.Expect(err == nil && resp.Status == http.StatusNotFound).To(BeFalse(), "the Gateway has no route for %s yet: %v", r.Path, resp)
		if r.XBackend != "" && s.Refused(ctx, g, r.XBackend, r.gateway()) {
			how = "XBackend " + r.XBackend + " reported not Accepted: " + s.AcceptedSummary(ctx, r.XBackend, r.gateway())
			return
		}
		if r.Route != "" {
			if c := s.RouteCondition(ctx, r.Route, r.gateway(), gatewayv1.RouteConditionResolvedRefs); c != nil && c.Status == metav1.ConditionFalse {
				how = fmt.Sprintf("HTTPRoute %s reported ResolvedRefs=False (%s: %s)", r.Route, c.Reason, c.Message)
				return
			}
		}
		g.Expect(false).To(BeTrue(), "no 5xx from the Gateway and no refusal in status yet")
	}).WithContext(ctx).WithTimeout(s.h.Timeouts.Traffic).WithPolling(s.h.Timeouts.Poll).Should(Succeed(),
		func() string { return "the implementation did not refuse; last response: " + fully(last, lastErr) })
	s.Note("refused: %s", how)
	return how
}

// ConsistentlyRefused watches for the Never window, from a reaction on:
// every probe must be answered by the Gateway with a 5xx that serves
// nothing, and the violation check must stay empty. A refusal reported in
// status does not end the watch: a data plane that goes on sending
// plaintext or serving meanwhile fails.
func (s *T) ConsistentlyRefused(ctx context.Context, r Refusal) {
	GinkgoHelper()
	var last *Response
	Consistently(func(g Gomega) {
		resp, err := s.Get(ctx, r.Gateway, r.Path)
		g.Expect(err).NotTo(HaveOccurred(), "want a 5xx response from the Gateway")
		last = resp
		g.Expect(r.served(resp)).To(BeFalse(), "a request was served: %v", resp)
		g.Expect(resp.Status).To(SatisfyAll(BeNumerically(">=", http.StatusInternalServerError), BeNumerically("<", 600)), "want a 5xx, got %v", resp)
		if r.Violation != nil {
			g.Expect(r.Violation(ctx)).To(BeEmpty())
		}
	}).WithContext(ctx).WithTimeout(s.h.Timeouts.Never).WithPolling(s.h.Timeouts.Poll).
		Should(Succeed(), func() string { return fmt.Sprintf("last response: %v", last) })
}

// ServedOrRefused waits, up to the Traffic timeout, until a probe is
// served as ok says, or the implementation reports XBackend r.XBackend not
// Accepted; a violation fails at once. It returns true when served. After
// a refusal in status it goes on watching for the Never window: no probe
// may be served and no violation may appear, so an implementation that
// reports the refusal but keeps sending is caught.
func (s *T) ServedOrRefused(ctx context.Context, r Refusal, ok func(Gomega, *Response)) bool {
	GinkgoHelper()
	var last *Response
	var lastErr error
	served := false
	Eventually(func(g Gomega) {
		resp, err := s.Get(ctx, r.Gateway, r.Path)
		last, lastErr = resp, err
		if r.Violation != nil {
			if v := r.Violation(ctx); v != "" {
				StopTrying(v).Now()
			}
		}
		if err == nil && r.served(resp) {
			ok(g, resp)
			served = true
			return
		}
		g.Expect(s.Refused(ctx, g, r.XBackend, r.gateway())).To(BeTrue(),
			"the implementation neither served the request nor reported XBackend %s Accepted=False", r.XBackend)
	}).WithContext(ctx).WithTimeout(s.h.Timeouts.Traffic).WithPolling(s.h.Timeouts.Poll).Should(Succeed(), func() string {
		return fmt.Sprintf("last response: %s; XBackend Accepted: %s", fully(last, lastErr), s.AcceptedSummary(ctx, r.XBackend, r.gateway()))
	})
	if served {
		s.Note("served: %v", last)
		return true
	}
	s.Note("refused in status: %s", s.AcceptedSummary(ctx, r.XBackend, r.gateway()))
	Consistently(func(g Gomega) {
		resp, err := s.Get(ctx, r.Gateway, r.Path)
		if err == nil {
			last = resp
			g.Expect(r.served(resp)).To(BeFalse(), "XBackend %s is reported not Accepted, but a request was served: %v", r.XBackend, resp)
		}
		if r.Violation != nil {
			g.Expect(r.Violation(ctx)).To(BeEmpty())
		}
	}).WithContext(ctx).WithTimeout(s.h.Timeouts.Never).WithPolling(s.h.Timeouts.Poll).
		Should(Succeed(), func() string { return fmt.Sprintf("last response: %v", last) })
	return false
}

// fully is a probe's outcome with the whole first line of the body (the
// Gateway's reason for a 5xx), up to 600 characters: Outcome cuts at 160.
func fully(r *Response, err error) string {
	if err != nil || r == nil || r.Upstream != nil {
		return Outcome(r, err)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(r.Body)), "\n")
	if len(line) > 600 {
		line = line[:600] + "..."
	}
	return fmt.Sprintf("HTTP %d: %s", r.Status, line)
}
