package backendtls

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// validityTests check classes of the certificate chain the other TLS
// specs leave out: a validity period that has not begun, and a wildcard
// one label above the name.
func validityTests() []harness.Test {
	return []harness.Test{{
		Scenario:    failClosed("TLSRejectsNotYetValidCertificate", verdict.FeatureTLS),
		Covers:      []dimension.Class{dimension.TLSNotYetValid},
		Description: "refuses a certificate of the trusted CA whose validity begins tomorrow",
		Source:      apitext.ServerOnly,
		Run: func(ctx context.Context, s *harness.Spec) {
			By("serving a certificate for the validation hostname, valid from tomorrow, signed by the CA of the ConfigMap")
			up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSNotYetValid})
			s.CreateCAConfigMap(ctx, "ca", s.CA())
			gw := serveXBackend(ctx, s, up, "server-only.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": s.Hostname})
			failsClosed(ctx, s, gw, "/tls", up, "external")
		},
	}, {
		// RFC 6125 lets a client match a wildcard in the left-most label,
		// and the API does not say it must: recorded, not judged.
		Scenario:    scenario("TLSWildcardOneLabelServedOrRefused", verdict.Observe, verdict.FeatureTLS),
		Covers:      []dimension.Class{dimension.TLSWildcardOne},
		Description: "records whether a wildcard certificate one label above validation.hostname is accepted",
		Source:      apitext.Unspecified,
		Run: func(ctx context.Context, s *harness.Spec) {
			wildcard, name := "*."+s.Hostname, "one."+s.Hostname
			By("serving a certificate for " + wildcard + " from the trusted CA, checked against validation.hostname " + name)
			up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid, Hostname: wildcard})
			s.CreateCAConfigMap(ctx, "ca", s.CA())
			gw := serveXBackend(ctx, s, up, "server-only.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": name})
			outcome := "no response"
			served := s.Measure(ctx, s.Timeouts().Traffic, func(g Gomega) {
				r, err := s.Get(ctx, gw, "/tls-wildcard")
				outcome = harness.Outcome(r, err, up)
				g.Expect(err).NotTo(HaveOccurred())
				harness.FromUpstream(up)(g, r)
			})
			s.Observe("wildcardOneLabel", map[bool]string{true: "served: ", false: "not served within the Traffic timeout: "}[served]+outcome)
		},
	}}
}
