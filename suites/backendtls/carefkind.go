package backendtls

import (
	"context"

	. "github.com/onsi/ginkgo/v2"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// caRefKindScenarios check a caCertificateRefs entry whose group and kind no
// cluster registers, next to a ConfigMap of the same name that holds the
// CA which did sign the upstream: only the group and kind make the
// reference invalid.
func caRefKindScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("TLSRejectsCARefOfUnknownKind", verdict.FeatureTLS, verdict.FailClosed),
		Description: "fails closed when the only caCertificateRefs entry names an unregistered group and kind, though a ConfigMap of that name holds the right CA",
		Source:      apitext.CARefKind,
		Run: func(ctx context.Context, s *harness.T) {
			up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid})
			By("creating ConfigMap ca with the CA that signed the upstream, and referring to xbcheck.invalid/CABundle ca")
			s.CreateCAConfigMap(ctx, "ca", s.CA())
			gw := serveXBackend(ctx, s, up, "ca-ref-unknown-kind.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": s.Hostname})
			failsClosed(ctx, s, gw, "/tls", up, "external")
		},
	}}
}
