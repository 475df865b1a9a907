package backendtls

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// cleartextToTLS is how Go's TLS server (the fake upstream's) names a
// connection whose first bytes are not a TLS record: plaintext HTTP sent
// to an HTTPS upstream. The upstream logs it as a failed handshake with
// this reason.
const cleartextToTLS = "does not look like a TLS handshake"

// cleartextSent returns the connections on which the implementation sent
// plaintext to the TLS upstream up.
func cleartextSent(ctx context.Context, up *harness.Upstream) []upstream.Event {
	GinkgoHelper()
	var out []upstream.Event
	for _, e := range up.Events(ctx, upstream.KindHandshakeFailed) {
		if strings.Contains(e.Reason, cleartextToTLS) {
			out = append(out, e)
		}
	}
	return out
}

// tlsAttempts returns the connections on which the implementation sent up
// a TLS ClientHello, whether or not the handshake completed.
func tlsAttempts(ctx context.Context, up *harness.Upstream) []upstream.Event {
	GinkgoHelper()
	var out []upstream.Event
	for _, e := range up.Events(ctx, upstream.KindHandshake, upstream.KindHandshakeFailed) {
		if !strings.Contains(e.Reason, cleartextToTLS) {
			out = append(out, e)
		}
	}
	return out
}

// failsClosed asserts that requests through gateway to XBackend xbackend
// fail and nothing of up reaches the client: the TLS scenarios where the
// upstream's certificate or the XBackend's references must be refused.
//
// It first waits until the implementation has visibly acted on the
// XBackend, so that the "never" that follows is not just a data plane
// still being programmed: a probe gets a 5xx, and either up logged a
// connection from the implementation or the XBackend reports
// Accepted=False. An answer of up at any point fails at once. Then, for
// the Never window, every probe must get a 5xx without up's token, and
// up must have answered no request and seen no plaintext.
func failsClosed(ctx context.Context, s *harness.Spec, gateway, path string, up *harness.Upstream, xbackend string) {
	GinkgoHelper()
	By("waiting until the implementation has acted on the XBackend: a 5xx, and the upstream saw a connection or the XBackend is not Accepted")
	var last *harness.Response
	var lastErr error
	Eventually(func(g Gomega) {
		r, err := s.Get(ctx, gateway, path)
		last, lastErr = r, err
		g.Expect(err).NotTo(HaveOccurred())
		if harness.ServedBy(r, up.Token) {
			StopTrying(fmt.Sprintf("the answer of upstream %s reached the client (%v), but the implementation must refuse this upstream; "+
				"the upstream log in the evidence shows the handshake the implementation completed", up.Name(), r)).Now()
		}
		g.Expect(r.Status).To(BeNumerically(">=", http.StatusInternalServerError), "want a 5xx while the upstream is refused")
		g.Expect(len(up.Log(ctx)) > 0 || s.Refused(ctx, g, xbackend, "gw")).To(BeTrue(),
			"the upstream saw no connection and XBackend %s is not reported Accepted=False: the implementation has not acted on it yet", xbackend)
	}).WithContext(ctx).WithTimeout(s.Timeouts().Traffic).WithPolling(s.Timeouts().Poll).Should(Succeed(), func() string {
		return fmt.Sprintf("last response: %s; the upstream saw: %s", harness.Outcome(last, lastErr, up), summarizeLog(ctx, up))
	})

	By("checking that every request keeps failing with a 5xx and never carries the upstream's answer")
	Consistently(func(g Gomega) {
		r, err := s.Get(ctx, gateway, path)
		g.Expect(err).NotTo(HaveOccurred(), "want a 5xx response from the Gateway")
		g.Expect(harness.ServedBy(r, up.Token)).To(BeFalse(), "the answer of upstream %s reached the client: %v", up.Name(), r)
		g.Expect(r.Status).To(SatisfyAll(BeNumerically(">=", 500), BeNumerically("<", 600)), "want a 5xx, got %v", r)
	}).WithContext(ctx).WithTimeout(s.Timeouts().Never).WithPolling(s.Timeouts().Poll).Should(Succeed())

	By("checking that the upstream answered no request and saw no plaintext")
	Expect(up.Events(ctx, upstream.KindRequest)).To(BeEmpty(),
		"upstream %s answered requests from the implementation, which must have refused it", up.Name())
	Expect(cleartextSent(ctx, up)).To(BeEmpty(),
		"the implementation sent plaintext to the TLS upstream %s: it must fail closed, never fall back to cleartext", up.Name())
	s.Note("refused: %d connection events at upstream %s, none a request", len(up.Log(ctx)), up.Name())
}

// summarizeLog says what up saw, one item per distinct outcome with how
// many connections had it, in order of first appearance.
func summarizeLog(ctx context.Context, up *harness.Upstream) string {
	var order []string
	count := map[string]int{}
	accepted := 0
	events, err := up.ReadLog(ctx)
	if err != nil {
		return "cannot read the upstream's log: " + err.Error()
	}
	for _, e := range events {
		if e.Kind == upstream.KindAccept {
			accepted++
			continue
		}
		p := string(e.Kind)
		if strings.Contains(e.Reason, cleartextToTLS) {
			p += " (cleartext sent to TLS)"
		} else if e.Reason != "" {
			p += ": " + e.Reason
		}
		if count[p] == 0 {
			order = append(order, p)
		}
		count[p]++
	}
	if len(order) == 0 {
		return fmt.Sprintf("%d connection(s), nothing received on them", accepted)
	}
	parts := make([]string, len(order))
	for i, p := range order {
		parts[i] = fmt.Sprintf("%s (x%d)", p, count[p])
	}
	return fmt.Sprintf("%d connection(s): %s", accepted, strings.Join(parts, "; "))
}
