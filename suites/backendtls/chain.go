package backendtls

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// chainScenarios check chains of three certificates: the upstream sends its
// leaf and the intermediate CA that signed it, and the ConfigMap holds
// the root.
func chainScenarios() []harness.Scenario {
	return []harness.Scenario{{
		// "Server certificate verification" is RFC 5280 path validation
		// from the trusted CA, which builds through the intermediates the
		// server sends after its leaf (RFC 8446 section 4.4.2,
		// certificate_list); the API does not say how a path is built, so
		// a refusal is reported, not failed.
		Scenario:    verdict.Should.Scenario("TLSIntermediateChainServed", verdict.FeatureTLS),
		Covers:      []dimension.Class{dimension.TLSIntermediate},
		Description: "serves an upstream whose leaf is signed by an intermediate CA it sends, the ConfigMap holding the root",
		Source:      apitext.ServerOnly,
		Run: func(ctx context.Context, s *harness.T) {
			root, err := pki.NewRootAuthority("xbcheck TLSIntermediateChainServed root CA")
			harness.Check(err, "make a root CA")
			By("serving a leaf for the validation hostname signed by an intermediate of the root, and the intermediate")
			up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSIntermediate, Authority: root})
			s.CreateCAConfigMap(ctx, "ca", root)
			gw := serveXBackend(ctx, s, up, "server-only.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": s.Hostname})
			By("sending a request through the Gateway")
			r := s.EventuallyGet(ctx, gw, "/tls-intermediate", harness.FromUpstream(up))
			Expect(r.Upstream.TLSVersion).NotTo(BeEmpty(), "the upstream saw cleartext on a ServerOnly XBackend")
		},
	}, {
		Scenario:    verdict.Must.Scenario("TLSRejectsUntrustedIntermediate", verdict.FeatureTLS, verdict.FailClosed),
		Covers:      []dimension.Class{dimension.TLSIntermediate},
		Description: "refuses a leaf whose intermediate CA, sent by the upstream, chains to a root the ConfigMap does not hold",
		Source:      apitext.ServerOnly,
		Run: func(ctx context.Context, s *harness.T) {
			By("serving a leaf for the validation hostname signed by an intermediate of an unrelated root, and the intermediate")
			up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSUntrustedIntermediate})
			s.CreateCAConfigMap(ctx, "ca", s.CA())
			gw := serveXBackend(ctx, s, up, "server-only.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": s.Hostname})
			failsClosed(ctx, s, gw, "/tls", up, "external")
		},
	}}
}
