package suites

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// protocolCase is one value of the XBackend protocol field: the manifest
// that sets it, the upstream it is sent to, and what that upstream must
// have seen.
type protocolCase struct {
	manifest string
	upstream upstream.Config
	check    func(o *upstream.Observation)
}

// tls reports whether the upstream speaks TLS, with a certificate from the
// spec's CA that the manifest trusts through the ConfigMap upstream-ca.
func (c protocolCase) tls() bool { return c.upstream.TLS != "" && c.upstream.TLS != upstream.TLSNone }

// Catalog group D: the protocol an implementation speaks to the upstream.
var _ = Describe("Protocol", func() {
	DescribeTable("speaks the protocol the XBackend names",
		func(ctx SpecContext, shortName string, c protocolCase) {
			s := newSpec(ctx, shortName)
			up := s.startUpstream(ctx, c.upstream)
			s.resolveTo(up, 5)
			port := strconv.Itoa(int(up.Addr().Port()))
			if c.tls() {
				s.createCAConfigMap(ctx, "upstream-ca", s.ca())
			}
			s.apply(ctx, "common/gateway.yaml", nil)
			s.apply(ctx, c.manifest, map[string]string{"Port": port})

			By("sending a request through the Gateway to the upstream")
			r := s.eventuallyGet(ctx, s.gatewayAddress(ctx, "gw"), "/protocol", fromUpstream(up))
			s.evidence.note("upstream saw %s, TLS %q, ALPN offered %q, negotiated %q, h2c %t",
				r.Upstream.Protocol, r.Upstream.TLSVersion, r.Upstream.ALPNOffered, r.Upstream.ALPNNegotiated, r.Upstream.H2C)
			c.check(r.Upstream)
		},
		protocolEntry("ProtocolHTTP2OverTLS", Must, "HTTP2: h2 offered by ALPN, HTTP/2 spoken over TLS", protocolCase{
			manifest: "protocol/http2-tls.yaml",
			upstream: upstream.Config{TLS: upstream.TLSValid, Protocols: []upstream.Protocol{upstream.HTTP1, upstream.HTTP2}},
			check: func(o *upstream.Observation) {
				By("checking the ClientHello offered h2, as GEP-4894 asks of the protocol set")
				Expect(o.ALPNOffered).To(ContainElement("h2"), "protocol HTTP2 must be among the ALPN protocols offered; the upstream saw %q", o.ALPNOffered)
				By("checking the upstream negotiated h2 and was spoken HTTP/2 to")
				Expect(o.TLSVersion).NotTo(BeEmpty(), "the upstream saw no TLS on a ServerOnly XBackend")
				Expect(o.ALPNNegotiated).To(Equal("h2"), "the upstream (which speaks h2 and http/1.1) negotiated %q", o.ALPNNegotiated)
				Expect(o.Protocol).To(Equal("HTTP/2.0"), "protocol HTTP2, but the upstream was spoken %s to", o.Protocol)
			},
		}),
		protocolEntry("ProtocolHTTP11OverTLS", Must, "HTTP11: HTTP/1.1 spoken, h2 not offered", protocolCase{
			manifest: "protocol/http11-tls.yaml",
			upstream: upstream.Config{TLS: upstream.TLSValid, Protocols: []upstream.Protocol{upstream.HTTP1, upstream.HTTP2}},
			check: func(o *upstream.Observation) {
				By("checking the upstream, which prefers h2, was spoken HTTP/1.1 to")
				Expect(o.Protocol).To(Equal("HTTP/1.1"), "protocol HTTP11, but the upstream was spoken %s to (ALPN offered %q, negotiated %q)",
					o.Protocol, o.ALPNOffered, o.ALPNNegotiated)
				By("checking the ClientHello offered http/1.1 or nothing, never h2")
				Expect(o.ALPNOffered).NotTo(ContainElement("h2"), "protocol HTTP11, but ALPN offered %q: an upstream preferring h2 gets HTTP/2", o.ALPNOffered)
				Expect(o.TLSVersion).NotTo(BeEmpty(), "the upstream saw no TLS on a ServerOnly XBackend")
			},
		}),
		protocolEntry("ProtocolH2C", Must, "H2C: the HTTP/2 prior-knowledge preface in cleartext", protocolCase{
			manifest: "protocol/h2c.yaml",
			upstream: upstream.Config{TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1, upstream.H2C}},
			check: func(o *upstream.Observation) {
				By("checking the upstream saw cleartext HTTP/2 opened with the prior-knowledge preface")
				Expect(o.TLSVersion).To(BeEmpty(), "protocol H2C is cleartext, but the upstream saw TLS %s", o.TLSVersion)
				Expect(o.Protocol).To(Equal("HTTP/2.0"), "protocol H2C, but the upstream (which speaks h2c and HTTP/1.1) was spoken %s to", o.Protocol)
				Expect(o.H2C).To(BeTrue(), "HTTP/2 did not begin with the prior-knowledge preface")
			},
		}),
		protocolEntry("ProtocolHTTPNegotiatedOverTLS", Must, "HTTP over TLS: a version negotiated and accepted", protocolCase{
			manifest: "protocol/http-tls.yaml",
			upstream: upstream.Config{TLS: upstream.TLSValid, Protocols: []upstream.Protocol{upstream.HTTP1, upstream.HTTP2}},
			check: func(o *upstream.Observation) {
				By("checking the upstream was spoken HTTP/1.1 or HTTP/2 over TLS, as negotiated")
				Expect(o.TLSVersion).NotTo(BeEmpty(), "the upstream saw no TLS on a ServerOnly XBackend")
				Expect(o.Protocol).To(BeElementOf("HTTP/1.1", "HTTP/2.0"))
				if want := map[string]string{"h2": "HTTP/2.0", "http/1.1": "HTTP/1.1"}[o.ALPNNegotiated]; want != "" {
					Expect(o.Protocol).To(Equal(want), "ALPN negotiated %q, but the upstream was spoken %s to", o.ALPNNegotiated, o.Protocol)
				}
			},
		}),
		protocolEntry("ProtocolHTTPCleartext", Must, "HTTP in cleartext: an HTTP/1.1-only upstream accepts it", protocolCase{
			manifest: "protocol/http-cleartext.yaml",
			upstream: upstream.Config{TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1}},
			check: func(o *upstream.Observation) {
				By("checking the HTTP/1.1-only upstream was spoken cleartext HTTP/1.1 to")
				Expect(o.TLSVersion).To(BeEmpty(), "the upstream saw TLS %s on an XBackend without tls", o.TLSVersion)
				Expect(o.Protocol).To(Equal("HTTP/1.1"))
			},
		}),
		protocolEntry("ProtocolUnsetFollowsRoute", Must, "no protocol: HTTP/1.1 as the HTTPRoute, in cleartext", protocolCase{
			manifest: "protocol/unset.yaml",
			upstream: upstream.Config{TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1, upstream.H2C}},
			check: func(o *upstream.Observation) {
				By("checking the upstream was spoken what the route carries: cleartext HTTP/1.1")
				Expect(o.TLSVersion).To(BeEmpty(), "the upstream saw TLS %s on an XBackend without tls", o.TLSVersion)
				Expect(o.Protocol).To(Equal("HTTP/1.1"), "no protocol is set and the route is HTTP/1.1, but the upstream was spoken %s to (h2c %t)", o.Protocol, o.H2C)
			},
		}),
	)

	It("records whether H2C with tls ServerOnly is refused or handled", Scenario{"ProtocolH2CWithTLS", Observe, FeatureProtocol}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "ProtocolH2CWithTLS")
		up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSValid, Protocols: []upstream.Protocol{upstream.HTTP1, upstream.HTTP2}})
		s.resolveTo(up, 5)
		s.createCAConfigMap(ctx, "upstream-ca", s.ca())
		s.apply(ctx, "common/gateway.yaml", nil)
		s.apply(ctx, "protocol/h2c-with-tls.yaml", map[string]string{"Port": strconv.Itoa(int(up.Addr().Port()))})

		By("waiting for the implementation to decide on the XBackend")
		cond := s.eventuallyXBackendDecided(ctx, "external", "gw")
		gw := s.gatewayAddress(ctx, "gw")
		var r *response
		var err error
		verdict := "refused"
		if cond.Status == metav1.ConditionTrue {
			verdict = "handled"
			By("sending requests through the Gateway until the upstream answers or the Traffic timeout passes")
			pollUntil(ctx, config.Timeouts.Traffic, func() bool {
				r, err = s.get(ctx, gw, "/h2c-with-tls")
				return err == nil && r.Upstream != nil && r.Upstream.Token == up.Token()
			})
		} else {
			By("sending one request through the Gateway to see what a refused XBackend gives")
			r, err = s.get(ctx, gw, "/h2c-with-tls")
		}
		traffic := outcome(r, err, up)
		if err == nil && r.Upstream != nil {
			traffic += fmt.Sprintf(" (%s, TLS %q, ALPN negotiated %q, h2c %t)", r.Upstream.Protocol, r.Upstream.TLSVersion, r.Upstream.ALPNNegotiated, r.Upstream.H2C)
		}
		if refused := upstreamRefusals(up); refused != "" {
			traffic += "; upstream refused: " + refused
		}
		s.observe("H2C with tls ServerOnly", fmt.Sprintf("%s: Accepted=%s reason %s; requests: %s", verdict, cond.Status, cond.Reason, traffic))
	})
})

// protocolEntry declares one protocol variant of FeatureProtocol.
func protocolEntry(shortName string, level Level, description string, c protocolCase) TableEntry {
	return Entry(description, Scenario{shortName, level, FeatureProtocol}.Labels(), shortName, c)
}

// eventuallyXBackendDecided waits until the implementation has written an
// Accepted condition, True or False, for the XBackend's current generation
// and the spec's Gateway gateway, and returns it.
func (s *spec) eventuallyXBackendDecided(ctx context.Context, name, gateway string) metav1.Condition {
	controller := controllerName(ctx)
	var cond metav1.Condition
	EventuallyWithOffset(1, func(g Gomega) {
		xb := s.xbackend(ctx, g, name)
		p := xbackendParent(xb, controller, s.namespace, gateway)
		g.Expect(p).NotTo(BeNil(), "XBackend %s/%s has no status.parents entry from %s for Gateway %s", s.namespace, name, controller, gateway)
		c := meta.FindStatusCondition(p.Conditions, string(gatewayv1.PolicyConditionAccepted))
		g.Expect(c).NotTo(BeNil(), "the parent entry has no Accepted condition")
		g.Expect(c.ObservedGeneration).To(Equal(xb.Generation), "Accepted was computed for generation %d, the XBackend is at %d", c.ObservedGeneration, xb.Generation)
		cond = *c
	}).WithContext(ctx).WithTimeout(config.Timeouts.Status).WithPolling(config.Timeouts.Poll).Should(Succeed())
	s.evidence.note("XBackend %s Accepted=%s reason %s: %s", name, cond.Status, cond.Reason, cond.Message)
	return cond
}

// upstreamRefusals summarises the connections an upstream refused (failed
// handshakes, protocols it does not speak), with their reasons.
func upstreamRefusals(up *upstream.Server) string {
	var reasons []string
	for _, e := range up.Log().Entries() {
		if e.Kind == upstream.KindHandshakeFailed || e.Kind == upstream.KindRejected {
			reasons = append(reasons, string(e.Kind)+": "+e.Reason)
		}
	}
	slices.Sort(reasons)
	reasons = slices.Compact(reasons)
	return strings.Join(reasons, "; ")
}
