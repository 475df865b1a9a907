package protocol

import (
	"context"
	"embed"
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

//go:embed *.yaml
var manifests embed.FS

// protocolCase is one value of the XBackend protocol field: the manifest
// that sets it, the upstream it is sent to, and what that upstream must
// have seen.
type protocolCase struct {
	shortName, description string
	source                 apitext.Sentence
	manifest               string
	upstream               harness.UpstreamConfig
	check                  func(o *upstream.Observation)
	covers                 []dimension.Class
}

// tls reports whether the upstream speaks TLS, with a certificate from the
// spec's CA that the manifest trusts through the ConfigMap upstream-ca.
func (c protocolCase) tls() bool { return c.upstream.TLS != "" && c.upstream.TLS != upstream.TLSNone }

// Family is catalog family D.
func Family() harness.Family {
	var scenarios []harness.Scenario
	for _, c := range cases() {
		scenarios = append(scenarios, harness.Scenario{
			Scenario:    verdict.Must.Scenario(c.shortName, verdict.FeatureResourceBackend),
			Description: "speaks the protocol the XBackend names: " + c.description,
			Source:      c.source,
			Run:         c.speaks,
			Covers:      c.covers,
		})
	}
	scenarios = append(scenarios, harness.Scenario{
		Scenario:    verdict.Observe.Scenario("ProtocolH2CWithTLS", verdict.FeatureResourceBackend),
		Description: "records whether H2C with tls ServerOnly is refused or handled",
		Source:      apitext.H2CWithoutTLS,
		Releases:    harness.H2CWithTLSAdmitted,
		Run:         h2cWithTLS,
	})
	return harness.Family{Name: "Protocol", Manifests: manifests, Scenarios: scenarios}
}

func (c protocolCase) speaks(ctx context.Context, s *harness.T) {
	up := s.StartUpstream(ctx, c.upstream)
	s.ResolveTo(ctx, up, 5)
	if c.tls() {
		s.CreateCAConfigMap(ctx, "upstream-ca", s.CA())
	}
	s.ApplyGateway(ctx)
	s.Apply(ctx, c.manifest, map[string]string{"Port": up.Port()})

	By("sending a request through the Gateway to the upstream")
	r := s.EventuallyGet(ctx, s.GatewayAddress(ctx, "gw"), "/protocol", harness.FromUpstream(up))
	s.Note("upstream saw %s, TLS %q, ALPN offered %q, negotiated %q, h2c %t",
		r.Upstream.Protocol, r.Upstream.TLSVersion, r.Upstream.ALPNOffered, r.Upstream.ALPNNegotiated, r.Upstream.H2C)
	c.check(r.Upstream)
}

func cases() []protocolCase {
	tlsBoth := harness.UpstreamConfig{TLS: upstream.TLSValid, Protocols: []upstream.Protocol{upstream.HTTP1, upstream.HTTP2}}
	return []protocolCase{{
		shortName: "ProtocolHTTP2OverTLS", description: "HTTP2: h2 offered by ALPN, HTTP/2 spoken over TLS", source: apitext.ProtocolNegotiation,
		covers:   []dimension.Class{dimension.ProtoH2ALPN},
		manifest: "http2-tls.yaml", upstream: tlsBoth,
		check: func(o *upstream.Observation) {
			By("checking the ClientHello offered h2, as GEP-4894 asks of the protocol set")
			Expect(o.ALPNOffered).To(ContainElement("h2"), "protocol HTTP2 must be among the ALPN protocols offered; the upstream saw %q", o.ALPNOffered)
			By("checking the upstream negotiated h2 and was spoken HTTP/2 to")
			Expect(o.TLSVersion).NotTo(BeEmpty(), "the upstream saw no TLS on a ServerOnly XBackend")
			Expect(o.ALPNNegotiated).To(Equal("h2"), "the upstream (which speaks h2 and http/1.1) negotiated %q", o.ALPNNegotiated)
			Expect(o.Protocol).To(Equal("HTTP/2.0"), "protocol HTTP2, but the upstream was spoken %s to", o.Protocol)
		},
	}, {
		shortName: "ProtocolHTTP11OverTLS", description: "HTTP11: HTTP/1.1 spoken, h2 not offered", source: apitext.ProtocolCore,
		covers:   []dimension.Class{dimension.ProtoHTTP11TLS},
		manifest: "http11-tls.yaml", upstream: tlsBoth,
		check: func(o *upstream.Observation) {
			By("checking the upstream, which prefers h2, was spoken HTTP/1.1 to")
			Expect(o.Protocol).To(Equal("HTTP/1.1"), "protocol HTTP11, but the upstream was spoken %s to (ALPN offered %q, negotiated %q)",
				o.Protocol, o.ALPNOffered, o.ALPNNegotiated)
			By("checking the ClientHello offered http/1.1 or nothing, never h2")
			Expect(o.ALPNOffered).NotTo(ContainElement("h2"), "protocol HTTP11, but ALPN offered %q: an upstream preferring h2 gets HTTP/2", o.ALPNOffered)
			Expect(o.TLSVersion).NotTo(BeEmpty(), "the upstream saw no TLS on a ServerOnly XBackend")
		},
	}, {
		shortName: "ProtocolH2C", description: "H2C: the HTTP/2 prior-knowledge preface in cleartext", source: apitext.ProtocolCore,
		covers:   []dimension.Class{dimension.ProtoH2C},
		manifest: "h2c.yaml", upstream: harness.UpstreamConfig{TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1, upstream.H2C}},
		check: func(o *upstream.Observation) {
			By("checking the upstream saw cleartext HTTP/2 opened with the prior-knowledge preface")
			Expect(o.TLSVersion).To(BeEmpty(), "protocol H2C is cleartext, but the upstream saw TLS %s", o.TLSVersion)
			Expect(o.Protocol).To(Equal("HTTP/2.0"), "protocol H2C, but the upstream (which speaks h2c and HTTP/1.1) was spoken %s to", o.Protocol)
			Expect(o.H2C).To(BeTrue(), "HTTP/2 did not begin with the prior-knowledge preface")
		},
	}, {
		shortName: "ProtocolHTTPNegotiatedOverTLS", description: "HTTP over TLS: a version negotiated and accepted", source: apitext.ProtocolCore,
		manifest: "http-tls.yaml", upstream: tlsBoth,
		check: func(o *upstream.Observation) {
			By("checking the upstream was spoken HTTP/1.1 or HTTP/2 over TLS, as negotiated")
			Expect(o.TLSVersion).NotTo(BeEmpty(), "the upstream saw no TLS on a ServerOnly XBackend")
			Expect(o.Protocol).To(BeElementOf("HTTP/1.1", "HTTP/2.0"))
			if want := map[string]string{"h2": "HTTP/2.0", "http/1.1": "HTTP/1.1"}[o.ALPNNegotiated]; want != "" {
				Expect(o.Protocol).To(Equal(want), "ALPN negotiated %q, but the upstream was spoken %s to", o.ALPNNegotiated, o.Protocol)
			}
		},
	}, {
		shortName: "ProtocolHTTPOverTLSToHTTP11Server", description: "HTTP over TLS: an HTTP/1.1-only server, which refuses an ALPN list without http/1.1, is spoken HTTP/1.1 to",
		covers:   []dimension.Class{dimension.ProtoHTTP11Only},
		source:   apitext.ProtocolCore,
		manifest: "http-tls.yaml", upstream: harness.UpstreamConfig{TLS: upstream.TLSValid, Protocols: []upstream.Protocol{upstream.HTTP1}},
		check: func(o *upstream.Observation) {
			By("checking the HTTP/1.1-only upstream was spoken HTTP/1.1 over TLS")
			Expect(o.TLSVersion).NotTo(BeEmpty(), "the upstream saw no TLS on a ServerOnly XBackend")
			Expect(o.Protocol).To(Equal("HTTP/1.1"), "the upstream speaks HTTP/1.1 only, but was spoken %s to (ALPN offered %q)", o.Protocol, o.ALPNOffered)
		},
	}, {
		shortName: "ProtocolHTTPCleartext", description: "HTTP in cleartext: an HTTP/1.1-only upstream accepts it", source: apitext.ProtocolCore,
		covers:   []dimension.Class{dimension.ProtoCleartext},
		manifest: "http-cleartext.yaml", upstream: harness.UpstreamConfig{TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1}},
		check: func(o *upstream.Observation) {
			By("checking the HTTP/1.1-only upstream was spoken cleartext HTTP/1.1 to")
			Expect(o.TLSVersion).To(BeEmpty(), "the upstream saw TLS %s on an XBackend without tls", o.TLSVersion)
			Expect(o.Protocol).To(Equal("HTTP/1.1"))
		},
	}, {
		shortName: "ProtocolUnsetFollowsRoute", description: "no protocol: HTTP/1.1 as the HTTPRoute, in cleartext", source: apitext.ProtocolCore,
		covers:   []dimension.Class{dimension.ProtoUnset},
		manifest: "unset.yaml", upstream: harness.UpstreamConfig{TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1, upstream.H2C}},
		check: func(o *upstream.Observation) {
			By("checking the upstream was spoken what the route carries: cleartext HTTP/1.1")
			Expect(o.TLSVersion).To(BeEmpty(), "the upstream saw TLS %s on an XBackend without tls", o.TLSVersion)
			Expect(o.Protocol).To(Equal("HTTP/1.1"), "no protocol is set and the route is HTTP/1.1, but the upstream was spoken %s to (h2c %t)", o.Protocol, o.H2C)
		},
	}}
}

func h2cWithTLS(ctx context.Context, s *harness.T) {
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid, Protocols: []upstream.Protocol{upstream.HTTP1, upstream.HTTP2}})
	s.ResolveTo(ctx, up, 5)
	s.CreateCAConfigMap(ctx, "upstream-ca", s.CA())
	s.ApplyGateway(ctx)
	s.Apply(ctx, "h2c-with-tls.yaml", map[string]string{"Port": up.Port()})

	By("waiting for the implementation to decide on the XBackend")
	cond := s.EventuallyAccepted(ctx, "external", "gw", "")
	gw := s.GatewayAddress(ctx, "gw")
	var r *harness.Response
	var err error
	decision := "refused"
	if cond.Status == metav1.ConditionTrue {
		decision = "handled"
		By("sending requests through the Gateway until the upstream answers or the Traffic timeout passes")
		s.Measure(ctx, s.Timeouts().Traffic, func(g Gomega) {
			r, err = s.Get(ctx, gw, "/h2c-with-tls")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(r.Upstream).NotTo(BeNil())
			g.Expect(r.Upstream.Token).To(Equal(up.Token))
		})
	} else {
		By("sending one request through the Gateway to see what a refused XBackend gives")
		r, err = s.Get(ctx, gw, "/h2c-with-tls")
	}
	traffic := harness.Outcome(r, err, up)
	if err == nil && r.Upstream != nil {
		traffic += fmt.Sprintf(" (%s, TLS %q, ALPN negotiated %q, h2c %t)", r.Upstream.Protocol, r.Upstream.TLSVersion, r.Upstream.ALPNNegotiated, r.Upstream.H2C)
	}
	if refused := refusals(up.Events(ctx, upstream.KindHandshakeFailed, upstream.KindRejected)); refused != "" {
		traffic += "; upstream refused: " + refused
	}
	s.Observe("H2C with tls ServerOnly", fmt.Sprintf("%s: Accepted=%s reason %s; requests: %s", decision, cond.Status, cond.Reason, traffic))
}

// refusals summarises the connections an upstream refused, with their
// reasons.
func refusals(events []upstream.Event) string {
	var reasons []string
	for _, e := range events {
		reasons = append(reasons, string(e.Kind)+": "+e.Reason)
	}
	slices.Sort(reasons)
	return strings.Join(slices.Compact(reasons), "; ")
}
