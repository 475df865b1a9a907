package grpc

import (
	"context"
	"embed"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

//go:embed *.yaml
var manifests embed.FS

// v170 limits the group to the XBackend that has protocol GRPC.
var v170 = harness.Releases{Since: "v1.7.0", Why: "its XBackend CRD admits protocol GRPC, which v1.6.3's refuses"}

// Family is the GRPC group.
func Family() harness.Family {
	scenarios := []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("GRPCOverVerifiedTLS", verdict.FeatureGRPC),
		Description: "carries a GRPCRoute's call to the external host as HTTP/2 over TLS, h2 negotiated by ALPN and the validation hostname as SNI",
		Source:      apitext.ProtocolExtended,
		Run:         overTLS,
	}, {
		Scenario:    verdict.Must.Scenario("GRPCCleartextIsH2C", verdict.FeatureGRPC),
		Description: "carries a GRPCRoute's call to an external host without tls as HTTP/2 with prior knowledge (h2c)",
		Source:      apitext.GRPC,
		Run:         cleartext,
	}, {
		Scenario:    verdict.Must.Scenario("GRPCRejectsWrongSAN", verdict.FeatureGRPC, verdict.FailClosed),
		Description: "makes no gRPC call to a server whose certificate, signed by the trusted CA, is for another name",
		Source:      apitext.HostnameAuthenticates,
		Run:         rejectsWrongSAN,
	}}
	for i := range scenarios {
		scenarios[i].Releases = v170
	}
	scenarios = append(scenarios, hostnameScenarios()...)
	return harness.Family{Name: "GRPC", Manifests: manifests, Scenarios: scenarios}
}

// serve starts an upstream in mode speaking only protocol p, resolvable
// at the spec's hostname, the CA ConfigMap when it speaks TLS, the
// Gateway and manifest, and returns the upstream and the Gateway's address.
func serve(ctx context.Context, s *harness.T, mode upstream.TLSMode, p upstream.Protocol, manifest string) (*harness.Upstream, string) {
	GinkgoHelper()
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: mode, Protocols: []upstream.Protocol{p}})
	s.ResolveTo(ctx, up, 5)
	if mode != upstream.TLSNone {
		s.CreateCAConfigMap(ctx, "ca", s.CA())
	}
	s.ApplyGateway(ctx)
	s.Apply(ctx, manifest, map[string]string{"Port": up.Port()})
	return up, s.GatewayAddress(ctx, "gw")
}

// eventuallyCall calls through gw until the call is answered by up.
func eventuallyCall(ctx context.Context, s *harness.T, gw string, up *harness.Upstream) *upstream.Observation {
	GinkgoHelper()
	By("making a gRPC call through the Gateway")
	var obs *upstream.Observation
	var last error
	Eventually(func(g Gomega) {
		var err error
		obs, err = s.CallGRPC(ctx, gw)
		last = err
		g.Expect(err).NotTo(HaveOccurred(), "the gRPC call through the Gateway failed")
		g.Expect(obs.Token).To(Equal(up.Token), "the call reached another upstream (%s)", obs.Role)
	}).WithContext(ctx).WithTimeout(s.Timeouts().Traffic).WithPolling(s.Timeouts().Poll).Should(Succeed(), func() string {
		return fmt.Sprintf("last error: %v; XBackend Accepted: %s; upstream saw: %s", last, s.AcceptedSummary(ctx, "external", "gw"), seen(ctx, up))
	})
	s.Note("upstream saw %s, TLS %q, SNI %q, ALPN offered %q, negotiated %q, h2c %t, :authority %q, content-type %q",
		obs.Protocol, obs.TLSVersion, obs.SNI, obs.ALPNOffered, obs.ALPNNegotiated, obs.H2C, obs.Host, obs.Headers.Get("Content-Type"))
	Expect(obs.Path).To(Equal(upstream.GRPCMethod), "the call's method (its :path) must reach the backend unchanged")
	Expect(obs.Headers.Get("Content-Type")).To(HavePrefix(upstream.GRPCContentType), "a gRPC call must reach the backend as one")
	return obs
}

// seen summarises what up logged: the requests' protocols and the refusals.
func seen(ctx context.Context, up *harness.Upstream) string {
	events, err := up.ReadLog(ctx)
	if err != nil {
		return "(log unreadable: " + err.Error() + ")"
	}
	var out []string
	for _, e := range events {
		switch {
		case e.Kind == upstream.KindRequest:
			out = append(out, fmt.Sprintf("request over %s (ALPN %q)", e.Observation.Protocol, e.ALPNNegotiated))
		case e.Reason != "":
			out = append(out, string(e.Kind)+": "+e.Reason)
		}
	}
	if len(out) == 0 {
		return "nothing but accepts"
	}
	return fmt.Sprint(out)
}

func overTLS(ctx context.Context, s *harness.T) {
	up, gw := serve(ctx, s, upstream.TLSValid, upstream.HTTP2, "grpc-tls.yaml")
	obs := eventuallyCall(ctx, s, gw, up)
	By("checking the call went over TLS with the validation hostname as SNI")
	Expect(obs.TLSVersion).NotTo(BeEmpty(), "the upstream saw the call in cleartext on a ServerOnly XBackend")
	Expect(obs.SNI).To(Equal(s.Hostname), "the SNI must be tls.validation.hostname")
	By("checking h2 was offered and negotiated by ALPN, and the call spoken as HTTP/2")
	Expect(obs.ALPNOffered).To(ContainElement("h2"), "protocol GRPC is HTTP/2: h2 must be among the ALPN protocols offered; the upstream saw %q", obs.ALPNOffered)
	Expect(obs.ALPNNegotiated).To(Equal("h2"))
	Expect(obs.Protocol).To(Equal("HTTP/2.0"), "protocol GRPC, but the upstream was spoken %s to", obs.Protocol)
}

func cleartext(ctx context.Context, s *harness.T) {
	up, gw := serve(ctx, s, upstream.TLSNone, upstream.H2C, "grpc-cleartext.yaml")
	obs := eventuallyCall(ctx, s, gw, up)
	By("checking the upstream saw cleartext HTTP/2 opened with the prior-knowledge preface")
	Expect(obs.TLSVersion).To(BeEmpty(), "the XBackend has no tls, but the upstream saw TLS %s", obs.TLSVersion)
	Expect(obs.Protocol).To(Equal("HTTP/2.0"), "protocol GRPC is HTTP/2, but the upstream was spoken %s to", obs.Protocol)
	Expect(obs.H2C).To(BeTrue(), "HTTP/2 did not begin with the prior-knowledge preface")
}

func rejectsWrongSAN(ctx context.Context, s *harness.T) {
	up, gw := serve(ctx, s, upstream.TLSWrongSAN, upstream.HTTP2, "grpc-tls.yaml")
	By("checking the Gateway acts on the route: the XBackend is refused, or the handshake with the upstream fails")
	Eventually(func(g Gomega) {
		if obs, err := s.CallGRPC(ctx, gw); err == nil {
			StopTrying(fmt.Sprintf("a gRPC call reached a server whose certificate is for %s, not %s (upstream saw %+v)", upstream.WrongSANName, s.Hostname, obs)).Now()
		}
		if s.Refused(ctx, g, "external", "gw") {
			return
		}
		g.Expect(up.Events(ctx, upstream.KindHandshakeFailed)).NotTo(BeEmpty(), "no TLS handshake reached the upstream yet")
	}).WithContext(ctx).WithTimeout(s.Timeouts().Traffic).WithPolling(s.Timeouts().Poll).Should(Succeed())
	By("checking no call is answered and no request reaches the upstream")
	Consistently(func(g Gomega) {
		obs, err := s.CallGRPC(ctx, gw)
		g.Expect(err).To(HaveOccurred(), "a gRPC call was answered by a server whose certificate is for another name")
		g.Expect(obs).To(BeNil())
		g.Expect(up.Events(ctx, upstream.KindRequest)).To(BeEmpty(), "the upstream got a request over an unverified connection")
	}).WithContext(ctx).WithTimeout(s.Timeouts().Never).WithPolling(s.Timeouts().Poll).Should(Succeed())
}
