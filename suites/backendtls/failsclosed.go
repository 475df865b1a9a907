package backendtls

import (
	"context"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"

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

// failsClosed asserts that requests through gateway to XBackend external
// fail and nothing of up reaches the client: the TLS scenarios where the
// upstream's certificate or the XBackend's references must be refused.
//
// It first waits until the implementation has visibly refused (an HTTP 5xx
// from the Gateway, or the refusal reported in status; harness.AwaitRefusal),
// so that the "never" that follows is not just a data plane still being
// programmed. A TCP accept at up is no reaction. Then, for the Never
// window, every probe must get a 5xx without up's token. Throughout, up
// must answer no request and see no plaintext: either fails at once.
func failsClosed(ctx context.Context, s *harness.T, gateway, path string, up *harness.Upstream) {
	GinkgoHelper()
	refusal := upstreamRefusal(ctx, gateway, path, up)
	By("waiting until the implementation has refused: a 5xx from the Gateway, or the refusal reported in status")
	s.AwaitRefusal(ctx, refusal)
	By("checking that every request keeps failing with a 5xx, never carrying the upstream's answer, and that the upstream sees no request and no plaintext")
	s.ConsistentlyRefused(ctx, refusal)
	s.Note("refused: the upstream saw %s, none of it a request", summarizeLog(ctx, up))
}

// upstreamRefusal is the refusal of XBackend external and its route
// to-external on the spec's Gateway: up's token must never reach the
// client, and up must, from now on, answer no request and see no
// plaintext. What up logged before (a transition spec serves first) does
// not count.
func upstreamRefusal(ctx context.Context, gateway, path string, up *harness.Upstream) harness.Refusal {
	GinkgoHelper()
	before := len(up.Log(ctx))
	return harness.Refusal{
		Gateway: gateway, Path: path, XBackend: "external", Route: "to-external",
		Served: func(r *harness.Response) bool { return harness.ServedBy(r, up.Token) },
		Violation: func(ctx context.Context) string {
			for _, e := range up.LogSince(ctx, before) {
				switch {
				case e.Kind == upstream.KindRequest:
					return fmt.Sprintf("upstream %s answered a request from %s, but the implementation must refuse it; the upstream log in the evidence shows the handshake it completed", up.Name(), e.Remote)
				case e.Kind == upstream.KindHandshakeFailed && strings.Contains(e.Reason, cleartextToTLS):
					return fmt.Sprintf("the implementation sent plaintext to the TLS upstream %s (from %s): it must fail closed, never fall back to cleartext", up.Name(), e.Remote)
				}
			}
			return ""
		},
	}
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
