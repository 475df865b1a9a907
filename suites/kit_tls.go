package suites

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	xv1alpha1 "sigs.k8s.io/gateway-api/apisx/v1alpha1"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// cleartextToTLS is how Go's TLS server (the fake upstream's) names a
// connection whose first bytes are not a TLS record: plaintext HTTP sent
// to an HTTPS upstream. The upstream logs it as a failed handshake with
// this reason.
const cleartextToTLS = "does not look like a TLS handshake"

// eventsOf returns the events of up's log of the given kind.
func eventsOf(up *upstream.Server, kind upstream.EventKind) []upstream.Event {
	var out []upstream.Event
	for _, e := range up.Log().Entries() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// cleartextSent returns the connections on which the implementation sent
// plaintext to the TLS upstream up.
func cleartextSent(up *upstream.Server) []upstream.Event {
	var out []upstream.Event
	for _, e := range eventsOf(up, upstream.KindHandshakeFailed) {
		if strings.Contains(e.Reason, cleartextToTLS) {
			out = append(out, e)
		}
	}
	return out
}

// tlsAttempts returns the connections on which the implementation sent up
// a TLS ClientHello, whether or not the handshake completed.
func tlsAttempts(up *upstream.Server) []upstream.Event {
	out := eventsOf(up, upstream.KindHandshake)
	for _, e := range eventsOf(up, upstream.KindHandshakeFailed) {
		if !strings.Contains(e.Reason, cleartextToTLS) {
			out = append(out, e)
		}
	}
	return out
}

// servedBy reports whether r carries an answer of up: its token in the
// body, however the implementation relayed it.
func servedBy(r *response, up *upstream.Server) bool {
	return r != nil && (r.Upstream != nil && r.Upstream.Token == up.Token() || bytes.Contains(r.Body, []byte(up.Token())))
}

// xbackendRefused reports whether the implementation says, for the spec's
// Gateway gateway, that XBackend name is not Accepted at its current
// generation.
func (s *spec) xbackendRefused(ctx context.Context, g Gomega, controller gatewayv1.GatewayController, name, gateway string) bool {
	xb := s.xbackend(ctx, g, name)
	p := xbackendParent(xb, controller, s.namespace, gateway)
	if p == nil {
		return false
	}
	c := meta.FindStatusCondition(p.Conditions, "Accepted")
	return c != nil && c.Status == metav1.ConditionFalse && c.ObservedGeneration == xb.Generation
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
func (s *spec) failsClosed(ctx context.Context, gateway, path string, up *upstream.Server, xbackend string) {
	controller := controllerName(ctx)
	By("waiting until the implementation has acted on the XBackend: a 5xx, and the upstream saw a connection or the XBackend is not Accepted")
	var last *response
	EventuallyWithOffset(1, func(g Gomega) {
		r, err := s.get(ctx, gateway, path)
		g.Expect(err).NotTo(HaveOccurred())
		last = r
		if servedBy(r, up) {
			StopTrying(fmt.Sprintf("the answer of upstream %s reached the client (%v), but the implementation must refuse this upstream; "+
				"the upstream log in the evidence shows the handshake the implementation completed", up.Role(), r)).Now()
		}
		g.Expect(r.Status).To(BeNumerically(">=", http.StatusInternalServerError), "want a 5xx while the upstream is refused")
		g.Expect(len(up.Log().Entries()) > 0 || s.xbackendRefused(ctx, g, controller, xbackend, "gw")).To(BeTrue(),
			"the upstream saw no connection and XBackend %s is not reported Accepted=False: the implementation has not acted on it yet", xbackend)
	}).WithContext(ctx).WithTimeout(config.Timeouts.Traffic).WithPolling(config.Timeouts.Poll).Should(Succeed(), func() string {
		return fmt.Sprintf("last response: %v; the upstream saw: %s", last, summarizeLog(up))
	})

	By("checking that every request keeps failing with a 5xx and never carries the upstream's answer")
	ConsistentlyWithOffset(1, func(g Gomega) {
		r, err := s.get(ctx, gateway, path)
		g.Expect(err).NotTo(HaveOccurred(), "want a 5xx response from the Gateway")
		g.Expect(servedBy(r, up)).To(BeFalse(), "the answer of upstream %s reached the client: %v", up.Role(), r)
		g.Expect(r.Status).To(SatisfyAll(BeNumerically(">=", 500), BeNumerically("<", 600)), "want a 5xx, got %v", r)
	}).WithContext(ctx).WithTimeout(config.Timeouts.Never).WithPolling(config.Timeouts.Poll).Should(Succeed())

	By("checking that the upstream answered no request and saw no plaintext")
	ExpectWithOffset(1, eventsOf(up, upstream.KindRequest)).To(BeEmpty(),
		"upstream %s answered requests from the implementation, which must have refused it", up.Role())
	ExpectWithOffset(1, cleartextSent(up)).To(BeEmpty(),
		"the implementation sent plaintext to the TLS upstream %s: it must fail closed, never fall back to cleartext", up.Role())
	s.evidence.note("refused: %d connection events at upstream %s, none a request", len(up.Log().Entries()), up.Role())
}

// setCAConfigMap replaces ca.crt of the spec's ConfigMap name with the CA
// certificates of the authorities, in order: a CA rotation, or filling a
// ConfigMap that had none.
func (s *spec) setCAConfigMap(ctx context.Context, name string, authorities ...*pki.Authority) {
	var bundle []byte
	for _, a := range authorities {
		bundle = append(bundle, a.CertPEM...)
	}
	EventuallyWithOffset(1, func(g Gomega) {
		cm := &corev1.ConfigMap{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, cm)).To(Succeed())
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[pki.ConfigMapCAKey] = string(bundle)
		g.Expect(k8sClient.Update(ctx, cm)).To(Succeed())
	}).WithContext(ctx).WithTimeout(config.Timeouts.Status).WithPolling(config.Timeouts.Poll).Should(Succeed(), "update ConfigMap %s/%s", s.namespace, name)
	s.evidence.note("ConfigMap %s now holds %d CA certificate(s) in %s", name, len(authorities), pki.ConfigMapCAKey)
}

// summarizeLog says what up saw, one item per distinct outcome with how
// many connections had it, in order of first appearance.
func summarizeLog(up *upstream.Server) string {
	var order []string
	count := map[string]int{}
	accepted := 0
	for _, e := range up.Log().Entries() {
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

// acceptedSummary is the Accepted condition the implementation wrote on
// XBackend name for gateway, in one line.
func (s *spec) acceptedSummary(ctx context.Context, name, gateway string) string {
	xb := &xv1alpha1.XBackend{}
	if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, xb); err != nil {
		return "cannot read the XBackend: " + err.Error()
	}
	p := xbackendParent(xb, controllerName(ctx), s.namespace, gateway)
	if p == nil {
		return "no status entry"
	}
	c := meta.FindStatusCondition(p.Conditions, "Accepted")
	if c == nil {
		return "no Accepted condition"
	}
	return fmt.Sprintf("%s (%s: %s)", c.Status, c.Reason, c.Message)
}
