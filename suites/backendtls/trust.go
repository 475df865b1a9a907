package backendtls

import (
	"context"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// trustScenarios check which CAs are trusted, in more than one configuration:
// with subjectAltNames as without, with several caCertificateRefs as with
// one, under the system roots (the run's system CA) as under a ConfigMap.
// Each negative serves a certificate that is right in every respect but
// the one it names, so the implementation can only pass by checking that.
func trustScenarios() []harness.Scenario {
	var scenarios []harness.Scenario
	for _, c := range []sanRefused{
		{"TLSSANRejectsUntrustedCA", "signed by a CA no reference names", upstream.TLSUntrustedCA},
		{"TLSSANRejectsExpiredCertificate", "expired, signed by the trusted CA while it was valid", upstream.TLSExpired},
	} {
		scenarios = append(scenarios, harness.Scenario{
			Scenario:    verdict.Must.Scenario(c.shortName, verdict.FeatureTLS, verdict.FailClosed),
			Description: "refuses a certificate matching subjectAltNames but " + c.what,
			Source:      apitext.ServerOnly,
			Run:         c.run,
		})
	}
	scenarios = append(scenarios, harness.Scenario{
		Scenario:    verdict.Must.Scenario("TLSRejectsCANamedLikeTrustedCA", verdict.FeatureTLS, verdict.FailClosed),
		Description: "refuses a certificate whose issuer is named like the trusted CA but signed with another key",
		Source:      apitext.CACertificateRefs,
		Run:         rejectsCANamedLikeTrustedCA,
	}, harness.Scenario{
		Scenario:    verdict.Must.Scenario("TLSRejectsWildcardTwoLabelsDeep", verdict.FeatureTLS, verdict.FailClosed),
		Covers:      []dimension.Class{dimension.TLSWildcardDeep},
		Description: "refuses a wildcard certificate for a name two labels below the wildcard",
		Source:      apitext.HostnameAuthenticates,
		Run:         rejectsWildcardTwoLabelsDeep,
	}, harness.Scenario{
		Scenario:    verdict.Must.Scenario("TLSTwoCARefsRejectUnrelatedCA", verdict.FeatureTLS, verdict.FailClosed),
		Description: "refuses, with two caCertificateRefs, a certificate signed by neither CA",
		Source:      apitext.CACertificateRefs,
		Run:         twoCARefsRejectUnrelatedCA,
	})
	scenarios = append(scenarios, systemCAScenarios()...)
	return scenarios
}

// systemCAScenarios use the run's system CA (harness Environment.SystemCA): a
// CA the implementation trusts as one of "the system CAs". They skip, with
// the reason, when the run cannot know the implementation's trust store.
func systemCAScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("TLSSystemRootsServedOrRefused", verdict.FeatureTLS),
		Description: "serves, under wellKnownCACertificates System, a certificate of a system CA for the hostname, or reports the XBackend not Accepted",
		Source:      apitext.WellKnownUnsupported,
		Run:         systemRootsServedOrRefused,
	}, {
		Scenario:    verdict.Must.Scenario("TLSSystemRootsRejectWrongName", verdict.FeatureTLS, verdict.FailClosed),
		Description: "refuses, under wellKnownCACertificates System, a certificate of a system CA for another name",
		Source:      apitext.HostnameAuthenticates,
		Run:         systemRootsRejectWrongName,
	}, {
		Scenario:    verdict.Must.Scenario("TLSConfigMapCARejectsSystemCA", verdict.FeatureTLS, verdict.FailClosed),
		Description: "refuses, when caCertificateRefs names a ConfigMap CA, a certificate a system CA signed",
		Source:      apitext.CACertificateRefs,
		Run:         configMapCARejectsSystemCA,
	}, {
		Scenario:    verdict.Must.Scenario("TLSTwoCARefsRejectSystemCA", verdict.FeatureTLS, verdict.FailClosed),
		Description: "refuses, with two caCertificateRefs, a certificate a system CA signed",
		Source:      apitext.CACertificateRefs,
		Run:         twoCARefsRejectSystemCA,
	}}
}

// systemCA is the run's system CA, or skips the spec with the reason.
func systemCA(s *harness.T) *pki.Authority {
	GinkgoHelper()
	ca := s.Env().SystemCA
	if ca == nil {
		Skip("the run did not start the implementation, so it cannot give it a system CA to trust; " +
			"run it with --implementation-cmd to test the system roots")
	}
	return ca
}

// rejectsCANamedLikeTrustedCA is the run function of
// TLSRejectsCANamedLikeTrustedCA: refuses a certificate whose issuer is
// named like the trusted CA but signed with another key.
func rejectsCANamedLikeTrustedCA(ctx context.Context, s *harness.T) {
	impostor, err := pki.NewAuthority(s.CA().Cert.Subject.CommonName)
	Expect(err).NotTo(HaveOccurred())
	By("serving a certificate for the hostname signed by a CA with the trusted CA's subject " + s.CA().Cert.Subject.String() + " and its own key")
	refusesCertificate(ctx, s, harness.UpstreamConfig{TLS: upstream.TLSValid, Authority: impostor}, s.Hostname)
}

// rejectsWildcardTwoLabelsDeep is the run function of
// TLSRejectsWildcardTwoLabelsDeep: refuses a wildcard certificate for a name
// two labels below the wildcard.
func rejectsWildcardTwoLabelsDeep(ctx context.Context, s *harness.T) {
	wildcard, name := "*."+s.Hostname, "deep.tls."+s.Hostname
	By(fmt.Sprintf("serving a certificate for %s from the trusted CA, checked against validation.hostname %s", wildcard, name))
	refusesCertificate(ctx, s, harness.UpstreamConfig{TLS: upstream.TLSValid, Hostname: wildcard}, name)
}

// twoCARefsRejectUnrelatedCA is the run function of
// TLSTwoCARefsRejectUnrelatedCA: refuses, with two caCertificateRefs, a
// certificate signed by neither CA.
func twoCARefsRejectUnrelatedCA(ctx context.Context, s *harness.T) {
	// Whether several refs are supported is the implementation's
	// choice (MultipleCARefs); trusting a CA none of them names is not.
	other, err := pki.NewAuthority("xbcheck " + s.ShortName + " second CA")
	Expect(err).NotTo(HaveOccurred())
	By("referring to two CA ConfigMaps and serving a certificate from a third CA")
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSUntrustedCA})
	s.CreateCAConfigMap(ctx, "first", s.CA())
	s.CreateCAConfigMap(ctx, "second", other)
	gw := serveXBackend(ctx, s, up, "two-ca-refs.yaml", map[string]string{"FirstCA": "first", "SecondCA": "second"})
	failsClosed(ctx, s, gw, "/tls", up)
}

// systemRootsServedOrRefused is the run function of
// TLSSystemRootsServedOrRefused: serves, under wellKnownCACertificates
// System, a certificate of a system CA for the hostname, or reports the
// XBackend not Accepted.
func systemRootsServedOrRefused(ctx context.Context, s *harness.T) {
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid, Authority: systemCA(s)})
	gw := serveXBackend(ctx, s, up, "system-roots.yaml", nil)
	refusal := upstreamRefusal(ctx, gw, "/tls", up)
	refusal.Violation = func(ctx context.Context) string {
		if sent := cleartextSent(ctx, up); len(sent) > 0 {
			return fmt.Sprintf("the implementation sent plaintext to the TLS upstream %s", up.Name())
		}
		return ""
	}
	By("waiting until the upstream, whose certificate a system CA signed, answers, or the XBackend is reported not Accepted")
	if s.ServedOrRefused(ctx, refusal, func(g Gomega, r *harness.Response) {
		g.Expect(r.Upstream).NotTo(BeNil(), "the answer carries the upstream's token but no observation: %v", r)
		g.Expect(r.Upstream.SNI).To(Equal(s.Hostname), "validation.hostname must be the SNI")
	}) {
		return
	}
	Expect(up.Events(ctx, upstream.KindRequest)).To(BeEmpty(), "XBackend external is reported not Accepted, but upstream %s answered requests", up.Name())
}

// systemRootsRejectWrongName is the run function of
// TLSSystemRootsRejectWrongName: refuses, under wellKnownCACertificates
// System, a certificate of a system CA for another name.
func systemRootsRejectWrongName(ctx context.Context, s *harness.T) {
	By("serving a certificate for " + upstream.WrongSANName + " signed by a system CA")
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSWrongSAN, Authority: systemCA(s)})
	gw := serveXBackend(ctx, s, up, "system-roots.yaml", nil)
	failsClosed(ctx, s, gw, "/tls", up)
}

// configMapCARejectsSystemCA is the run function of
// TLSConfigMapCARejectsSystemCA: refuses, when caCertificateRefs names a
// ConfigMap CA, a certificate a system CA signed.
func configMapCARejectsSystemCA(ctx context.Context, s *harness.T) {
	By("serving a certificate for the hostname signed by a system CA, while the XBackend trusts only the CA of ConfigMap ca")
	refusesCertificate(ctx, s, harness.UpstreamConfig{TLS: upstream.TLSValid, Authority: systemCA(s)}, s.Hostname)
}

// twoCARefsRejectSystemCA is the run function of TLSTwoCARefsRejectSystemCA:
// refuses, with two caCertificateRefs, a certificate a system CA signed.
func twoCARefsRejectSystemCA(ctx context.Context, s *harness.T) {
	other, err := pki.NewAuthority("xbcheck " + s.ShortName + " second CA")
	Expect(err).NotTo(HaveOccurred())
	By("referring to two CA ConfigMaps and serving a certificate for the hostname signed by a system CA")
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid, Authority: systemCA(s)})
	s.CreateCAConfigMap(ctx, "first", s.CA())
	s.CreateCAConfigMap(ctx, "second", other)
	gw := serveXBackend(ctx, s, up, "two-ca-refs.yaml", map[string]string{"FirstCA": "first", "SecondCA": "second"})
	failsClosed(ctx, s, gw, "/tls", up)
}

// sanRefused is a certificate matching the one subjectAltNames entry, of
// mode (what says how it is wrong otherwise).
type sanRefused struct {
	shortName, what string
	mode            upstream.TLSMode
}

// run serves the certificate through san.yaml and expects it refused.
func (c sanRefused) run(ctx context.Context, s *harness.T) {
	By(fmt.Sprintf("serving a %s certificate for %s, the one subjectAltNames entry", c.mode, s.Hostname))
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: c.mode})
	s.CreateCAConfigMap(ctx, "ca", s.CA())
	gw := serveXBackend(ctx, s, up, "san.yaml", map[string]string{"SANType": "Hostname", "SANField": "hostname", "SANValue": s.Hostname})
	failsClosed(ctx, s, gw, "/tls", up)
}

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
		Run:         intermediateChainServed,
	}, {
		Scenario:    verdict.Must.Scenario("TLSRejectsUntrustedIntermediate", verdict.FeatureTLS, verdict.FailClosed),
		Covers:      []dimension.Class{dimension.TLSIntermediate},
		Description: "refuses a leaf whose intermediate CA, sent by the upstream, chains to a root the ConfigMap does not hold",
		Source:      apitext.ServerOnly,
		Run:         rejectsUntrustedIntermediate,
	}}
}

// caRefKindScenarios check a caCertificateRefs entry whose group and kind no
// cluster registers, next to a ConfigMap of the same name that holds the
// CA which did sign the upstream: only the group and kind make the
// reference invalid.
func caRefKindScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("TLSRejectsCARefOfUnknownKind", verdict.FeatureTLS, verdict.FailClosed),
		Description: "fails closed when the only caCertificateRefs entry names an unregistered group and kind, though a ConfigMap of that name holds the right CA",
		Source:      apitext.CARefKind,
		Run:         rejectsCARefOfUnknownKind,
	}}
}

// intermediateChainServed is the run function of TLSIntermediateChainServed.
func intermediateChainServed(ctx context.Context, s *harness.T) {
	root, err := pki.NewRootAuthority("xbcheck TLSIntermediateChainServed root CA")
	harness.Check(err, "make a root CA")
	By("serving a leaf for the validation hostname signed by an intermediate of the root, and the intermediate")
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSIntermediate, Authority: root})
	gw := serveServerOnly(ctx, s, up, root, s.Hostname)
	By("sending a request through the Gateway")
	r := s.EventuallyGet(ctx, gw, "/tls-intermediate", harness.FromUpstream(up))
	Expect(r.Upstream.TLSVersion).NotTo(BeEmpty(), "the upstream saw cleartext on a ServerOnly XBackend")
}

// rejectsUntrustedIntermediate is the run function of
// TLSRejectsUntrustedIntermediate.
func rejectsUntrustedIntermediate(ctx context.Context, s *harness.T) {
	By("serving a leaf for the validation hostname signed by an intermediate of an unrelated root, and the intermediate")
	refusesCertificate(ctx, s, harness.UpstreamConfig{TLS: upstream.TLSUntrustedIntermediate}, s.Hostname)
}

// rejectsCARefOfUnknownKind is the run function of
// TLSRejectsCARefOfUnknownKind.
func rejectsCARefOfUnknownKind(ctx context.Context, s *harness.T) {
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid})
	By("creating ConfigMap ca with the CA that signed the upstream, and referring to xbcheck.invalid/CABundle ca")
	s.CreateCAConfigMap(ctx, "ca", s.CA())
	gw := serveXBackend(ctx, s, up, "ca-ref-unknown-kind.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": s.Hostname})
	failsClosed(ctx, s, gw, "/tls", up)
}
