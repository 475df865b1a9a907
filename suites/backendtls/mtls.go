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

// mutualTLSScenarios are tls.mode ClientAndServer: the client certificate of
// clientCertificateRef presented, or the XBackend refused.
func mutualTLSScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("TLSClientCertificatePresented", verdict.FeatureMutualTLS),
		Covers:      []dimension.Class{dimension.TLSClientCert},
		Description: "presents the client certificate of clientCertificateRef in ClientAndServer mode",
		Source:      apitext.ClientCertificateRef,
		Run:         clientCertificatePresented,
	}, {
		Scenario:    verdict.Must.Scenario("TLSClientAndServerServedOrRefused", verdict.FeatureMutualTLS, verdict.FailClosed),
		Description: "serves ClientAndServer with the client certificate or reports it not Accepted, and never sends plaintext",
		Source:      apitext.ClientAndServer,
		Run:         servedOrRefused,
	}, {
		Scenario:    verdict.Must.Scenario("TLSClientAndServerRejectsUntrustedServer", verdict.FeatureMutualTLS, verdict.FailClosed),
		Description: "verifies the server in ClientAndServer mode: refuses an upstream whose certificate no referenced CA signed",
		Source:      apitext.ServerOnly,
		Run:         clientAndServerRejectsUntrustedServer,
	}, {
		Scenario:    verdict.Must.Scenario("TLSClientCertSecretMissing", verdict.FeatureMutualTLS, verdict.FailClosed),
		Description: "refuses a clientCertificateRef it cannot use",
		Source:      apitext.ClientCertificateRef,
		Run:         clientCertSecretMissing,
	}, {
		Scenario:    verdict.Must.Scenario("TLSClientCertSecretOtherNamespace", verdict.FeatureMutualTLS, verdict.FailClosed),
		Description: "refuses a clientCertificateRef it cannot use",
		Source:      apitext.ClientCertificateRef,
		Run:         clientCertSecretOtherNamespace,
	}}
}

// serveClientAndServer puts the spec's client certificate in Secret
// client-cert and its CA in ConfigMap ca, starts an upstream that requires
// that certificate (its own signed by server, default the spec's CA), and
// serves it through the ClientAndServer XBackend of
// client-and-server.yaml. It returns the upstream, the Gateway's address
// and the client certificate.
func serveClientAndServer(ctx context.Context, s *harness.T, server *pki.Authority) (*harness.Upstream, string, *pki.Leaf) {
	GinkgoHelper()
	clientCA, leaf := s.ClientCertificate()
	s.CreateTLSSecret(ctx, s.Namespace, "client-cert", leaf)
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSClientCertRequired, ClientCA: clientCA, Authority: server})
	s.CreateCAConfigMap(ctx, "ca", s.CA())
	return up, serveXBackend(ctx, s, up, "client-and-server.yaml", map[string]string{"ClientSecret": "client-cert"}), leaf
}

func servedOrRefused(ctx context.Context, s *harness.T) {
	up, gw, leaf := serveClientAndServer(ctx, s, nil)

	refusal := upstreamRefusal(ctx, gw, "/mtls", up)
	// Served with the client certificate is what ClientAndServer asks; a
	// request the upstream answers is no violation then.
	refusal.Violation = func(ctx context.Context) string {
		if sent := cleartextSent(ctx, up); len(sent) > 0 {
			return fmt.Sprintf("the implementation sent plaintext to the upstream of a ClientAndServer XBackend (%d connections, first from %s): "+
				"without mutual TLS it must report Accepted=False and send nothing", len(sent), sent[0].Remote)
		}
		return ""
	}
	By("waiting until the upstream answers over mutual TLS or the XBackend is reported not Accepted, with no plaintext meanwhile")
	if s.ServedOrRefused(ctx, refusal, func(g Gomega, r *harness.Response) {
		g.Expect(r.Upstream).NotTo(BeNil(), "the answer carries the upstream's token but no observation: %v", r)
		g.Expect(r.Upstream.ClientCertFingerprint).To(Equal(leaf.Fingerprint()), "the upstream was reached without the client certificate of the Secret")
	}) {
		Expect(cleartextSent(ctx, up)).To(BeEmpty(), "the implementation sent plaintext to the upstream of a ClientAndServer XBackend")
		return
	}
	By("checking, after the refusal, that the upstream answered no request")
	Expect(up.Events(ctx, upstream.KindRequest)).To(BeEmpty(), "XBackend external is reported not Accepted, but upstream %s answered requests", up.Name())
}

// clientCertSecretMissing: the Secret of the clientCertificateRef does
// not exist.
func clientCertSecretMissing(ctx context.Context, s *harness.T) { unusableClientCert(ctx, s, false) }

// clientCertSecretOtherNamespace: the Secret of the clientCertificateRef is
// in another namespace.
func clientCertSecretOtherNamespace(ctx context.Context, s *harness.T) {
	unusableClientCert(ctx, s, true)
}

func unusableClientCert(ctx context.Context, s *harness.T, elsewhere bool) {
	clientCA, leaf := s.ClientCertificate()
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSClientCertRequired, ClientCA: clientCA})
	s.CreateCAConfigMap(ctx, "ca", s.CA())
	vars := map[string]string{"ClientSecret": "missing-client-cert"}
	manifest := "client-and-server.yaml"
	if elsewhere {
		other := s.NewNamespace(ctx, s.ShortName+"Secret")
		By("putting a valid client certificate Secret in namespace " + other + ", with no ReferenceGrant")
		s.CreateTLSSecret(ctx, other, "client-cert", leaf)
		vars = map[string]string{"ClientSecret": "client-cert", "SecretNamespace": other}
		manifest = "client-cert-other-namespace.yaml"
	}
	gw := serveXBackend(ctx, s, up, manifest, vars)

	failsClosed(ctx, s, gw, "/mtls", up)
}

// clientCertificatePresented is the run function of
// TLSClientCertificatePresented: presents the client certificate of
// clientCertificateRef in ClientAndServer mode.
func clientCertificatePresented(ctx context.Context, s *harness.T) {
	up, gw, leaf := serveClientAndServer(ctx, s, nil)

	By("sending a request through the Gateway to an upstream that requires a client certificate")
	r := s.EventuallyGet(ctx, gw, "/mtls", harness.FromUpstream(up))
	By("checking the upstream saw the certificate of the Secret")
	Expect(r.Upstream.ClientCertFingerprint).To(Equal(leaf.Fingerprint()),
		"the client certificate presented (subject %q) is not the one of Secret client-cert", r.Upstream.ClientCertSubject)
	Expect(r.Upstream.SNI).To(Equal(s.Hostname), "the SNI must be tls.validation.hostname")
}

// clientAndServerRejectsUntrustedServer is the run function of
// TLSClientAndServerRejectsUntrustedServer: verifies the server in
// ClientAndServer mode: refuses an upstream whose certificate no referenced
// CA signed.
func clientAndServerRejectsUntrustedServer(ctx context.Context, s *harness.T) {
	rogue, err := pki.NewAuthority("xbcheck " + s.ShortName + " untrusted server CA")
	Expect(err).NotTo(HaveOccurred())
	By("serving, to clients with the Secret's certificate, a server certificate for the hostname from a CA the XBackend does not name")
	up, gw, _ := serveClientAndServer(ctx, s, rogue)
	failsClosed(ctx, s, gw, "/mtls", up)
}
