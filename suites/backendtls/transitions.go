package backendtls

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// transitionScenarios take a served TLS XBackend to refused and back: the
// refusal must follow a change of what the XBackend refers to, not only
// its first configuration, and the old trust must not linger (a cached
// transport, a resumed TLS session).
//
// They are fail-closed: an implementation that never serves the XBackend
// has nothing to stop trusting, and the spec is skipped with that reason.
func transitionScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("TLSCAReplacedRefusesOldCA", verdict.FeatureTLS, verdict.FailClosed),
		Description: "refuses the upstream once its CA is replaced by another in the ConfigMap, and serves it again when the CA is put back",
		Source:      apitext.CACertificateRefs,
		Run:         caReplacedRefusesOldCA,
	}, {
		Scenario:    verdict.Must.Scenario("TLSCAConfigMapDeletedRefuses", verdict.FeatureTLS, verdict.FailClosed),
		Description: "refuses the upstream with a 5xx once the CA ConfigMap is deleted, and serves it again when it is recreated",
		Source:      apitext.InvalidCARef,
		Run:         caConfigMapDeletedRefuses,
	}}
}

// servedTLS serves the spec's hostname over TLS with the CA of ConfigMap
// ca, and waits until a request through the Gateway reaches the upstream;
// it skips the spec when none does within the Traffic timeout.
func servedTLS(ctx context.Context, s *harness.T) (*harness.Upstream, string) {
	GinkgoHelper()
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid})
	gw := serveServerOnly(ctx, s, up, s.CA(), s.Hostname)
	By("waiting until the XBackend is served over TLS")
	if served, _, last := s.MeasureServed(ctx, gw, "/tls", up); !served {
		Skip("the implementation never served this ServerOnly XBackend (last: " + last +
			"), so it has no trust to withdraw; the other TLS specs say why")
	}
	return up, gw
}

// refusedAfterChange waits until the implementation refuses the upstream
// after a change the spec made (until then it may still serve), then
// watches for the Never window: 5xx only, and no request or plaintext at
// the upstream from the reaction on.
func refusedAfterChange(ctx context.Context, s *harness.T, gw string, up *harness.Upstream) {
	GinkgoHelper()
	By("waiting until the implementation refuses the upstream it served until now")
	converging := upstreamRefusal(ctx, gw, "/tls", up)
	converging.Converging = true
	s.AwaitRefusal(ctx, converging)
	By("checking that every request keeps failing with a 5xx and the upstream sees no request and no plaintext")
	s.ConsistentlyRefused(ctx, upstreamRefusal(ctx, gw, "/tls", up))
}

// caReplacedRefusesOldCA is the run function of TLSCAReplacedRefusesOldCA:
// refuses the upstream once its CA is replaced by another in the ConfigMap,
// and serves it again when the CA is put back.
func caReplacedRefusesOldCA(ctx context.Context, s *harness.T) {
	up, gw := servedTLS(ctx, s)
	other, err := pki.NewAuthority("xbcheck " + s.ShortName + " replacement CA")
	Expect(err).NotTo(HaveOccurred())
	By("replacing the CA in ConfigMap ca by one that did not sign the upstream")
	s.SetCAConfigMap(ctx, "ca", other)
	refusedAfterChange(ctx, s, gw, up)
	By("putting the upstream's CA back in ConfigMap ca")
	s.SetCAConfigMap(ctx, "ca", s.CA())
	s.EventuallyGet(ctx, gw, "/tls", harness.FromUpstream(up))
}

// caConfigMapDeletedRefuses is the run function of
// TLSCAConfigMapDeletedRefuses: refuses the upstream with a 5xx once the CA
// ConfigMap is deleted, and serves it again when it is recreated.
func caConfigMapDeletedRefuses(ctx context.Context, s *harness.T) {
	up, gw := servedTLS(ctx, s)
	By("deleting ConfigMap ca")
	s.DeleteCAConfigMap(ctx, "ca")
	refusedAfterChange(ctx, s, gw, up)
	By("creating ConfigMap ca again with the upstream's CA")
	s.CreateCAConfigMap(ctx, "ca", s.CA())
	s.EventuallyGet(ctx, gw, "/tls", harness.FromUpstream(up))
}
