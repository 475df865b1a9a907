package backendtls

import (
	"context"

	. "github.com/onsi/ginkgo/v2"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// validityScenarios check classes of the certificate chain the other TLS
// specs leave out: a validity period that has not begun, a wildcard one
// label above the name, a certificate naming only an address, and one
// naming the host only in its subject CN.
func validityScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("TLSRejectsNotYetValidCertificate", verdict.FeatureTLS, verdict.FailClosed),
		Covers:      []dimension.Class{dimension.TLSNotYetValid},
		Description: "refuses a certificate of the trusted CA whose validity begins tomorrow",
		Source:      apitext.ServerOnly,
		Run:         rejectsNotYetValidCertificate,
	}, {
		// RFC 6125 lets a client match a wildcard in the left-most label,
		// and the API does not say it must: recorded, not judged.
		Scenario:    verdict.Observe.Scenario("TLSWildcardOneLabelServedOrRefused", verdict.FeatureTLS),
		Covers:      []dimension.Class{dimension.TLSWildcardOne},
		Description: "records whether a wildcard certificate one label above validation.hostname is accepted",
		Source:      apitext.Unspecified,
		Run:         wildcardOneLabelServedOrRefused,
	}, {
		Scenario:    verdict.Must.Scenario("TLSRejectsIPAddressOnlyCertificate", verdict.FeatureTLS, verdict.FailClosed),
		Covers:      []dimension.Class{dimension.TLSIPSANOnly},
		Description: "refuses a certificate of the trusted CA that names only the upstream's address, not validation.hostname",
		Source:      apitext.HostnameAuthenticates,
		Run:         rejectsIPAddressOnlyCertificate,
	}, {
		// RFC 6125 allowed a client to fall back to the subject CN when a
		// certificate has no SAN; RFC 9525 no longer does, and the API does
		// not say: recorded, not judged.
		Scenario:    verdict.Observe.Scenario("TLSCommonNameOnlyServedOrRefused", verdict.FeatureTLS),
		Covers:      []dimension.Class{dimension.TLSCNOnly},
		Description: "records whether a certificate naming validation.hostname only in its subject CN is accepted",
		Source:      apitext.Unspecified,
		Run:         commonNameOnlyServedOrRefused,
	}}
}

// rejectsNotYetValidCertificate is the run function of
// TLSRejectsNotYetValidCertificate: refuses a certificate of the trusted CA
// whose validity begins tomorrow.
func rejectsNotYetValidCertificate(ctx context.Context, s *harness.T) {
	By("serving a certificate for the validation hostname, valid from tomorrow, signed by the CA of the ConfigMap")
	refusesCertificate(ctx, s, harness.UpstreamConfig{TLS: upstream.TLSNotYetValid}, s.Hostname)
}

// wildcardOneLabelServedOrRefused is the run function of
// TLSWildcardOneLabelServedOrRefused: records whether a wildcard certificate
// one label above validation.hostname is accepted.
func wildcardOneLabelServedOrRefused(ctx context.Context, s *harness.T) {
	wildcard, name := "*."+s.Hostname, "one."+s.Hostname
	By("serving a certificate for " + wildcard + " from the trusted CA, checked against validation.hostname " + name)
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid, Hostname: wildcard})
	observeServed(ctx, s, "wildcardOneLabel", serveServerOnly(ctx, s, up, s.CA(), name), "/tls-wildcard", up)
}

// rejectsIPAddressOnlyCertificate is the run function of
// TLSRejectsIPAddressOnlyCertificate: refuses a certificate of the trusted
// CA that names only the upstream's address, not validation.hostname.
func rejectsIPAddressOnlyCertificate(ctx context.Context, s *harness.T) {
	By("taking an address of the simulated internet for the upstream")
	placeholder := s.StartUpstream(ctx, harness.UpstreamConfig{Role: "address"})
	addr := placeholder.Host()
	By("serving there a certificate of the trusted CA whose only name is the IP address " + addr)
	refusesCertificate(ctx, s, harness.UpstreamConfig{TLS: upstream.TLSValid, Hostname: addr, Addr: addr + ":0"}, s.Hostname)
}

// commonNameOnlyServedOrRefused is the run function of
// TLSCommonNameOnlyServedOrRefused: records whether a certificate naming
// validation.hostname only in its subject CN is accepted.
func commonNameOnlyServedOrRefused(ctx context.Context, s *harness.T) {
	By("serving a certificate of the trusted CA with the hostname in its CN and no subjectAltName")
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSCommonNameOnly})
	observeServed(ctx, s, "commonNameOnly", serveServerOnly(ctx, s, up, s.CA(), s.Hostname), "/tls-cn", up)
}

// observeServed records, as measurement name, whether a request to path
// through gateway reached up within the Traffic timeout, and the last
// probe's outcome.
func observeServed(ctx context.Context, s *harness.T, name, gateway, path string, up *harness.Upstream) {
	served, _, outcome := s.MeasureServed(ctx, gateway, path, up)
	s.Observe(name, map[bool]string{true: "served: ", false: "not served within the Traffic timeout: "}[served]+outcome)
}
