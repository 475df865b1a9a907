package suites

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// Catalog group C: TLS from the Gateway to the external host (tls.mode
// ServerOnly and ClientAndServer): which certificates must be trusted or
// refused, the SNI sent, the CA and client-certificate references, and
// failing closed.
var _ = Describe("TLS", func() {
	It("verifies the upstream with the CA of a ConfigMap and sends validation.hostname as SNI", Scenario{"TLSServerOnlyConfigMapCA", Must, FeatureTLS}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "TLSServerOnlyConfigMapCA")
		up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSValid})
		s.createCAConfigMap(ctx, "ca", s.ca())
		gw := s.serveXBackend(ctx, up, "tls/server-only.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": s.hostname})

		By("sending a request through the Gateway")
		r := s.eventuallyGet(ctx, gw, "/tls", fromUpstream(up))
		By("checking the upstream was reached over TLS with validation.hostname as SNI")
		Expect(r.Upstream.TLSVersion).NotTo(BeEmpty(), "the upstream saw cleartext on a ServerOnly XBackend")
		Expect(r.Upstream.SNI).To(Equal(s.hostname), "the SNI must be tls.validation.hostname")
	})

	It("sends validation.hostname as SNI when it differs from the externalHostname", Scenario{"TLSSNIFromValidationHostname", Must, FeatureTLS}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "TLSSNIFromValidationHostname")
		validation := "tls-name." + s.hostname
		By("serving, at the address the externalHostname resolves to, a certificate for " + validation + " only")
		up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSValid, Hostname: validation})
		s.createCAConfigMap(ctx, "ca", s.ca())
		gw := s.serveXBackend(ctx, up, "tls/server-only.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": validation})

		By("sending a request through the Gateway")
		r := s.eventuallyGet(ctx, gw, "/tls", fromUpstream(up))
		By("checking the SNI was validation.hostname, not the externalHostname")
		Expect(r.Upstream.SNI).To(Equal(validation), "tls.validation.hostname MUST be the SNI; the externalHostname is %s", s.hostname)
	})

	It("refuses a certificate for another name signed by the trusted CA", Scenario{"TLSRejectsWrongSAN", Must, FeatureTLS}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "TLSRejectsWrongSAN")
		By("serving a certificate for " + upstream.WrongSANName + " signed by the CA of the ConfigMap")
		up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSWrongSAN})
		s.createCAConfigMap(ctx, "ca", s.ca())
		gw := s.serveXBackend(ctx, up, "tls/server-only.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": s.hostname})
		s.failsClosed(ctx, gw, "/tls", up, "external")
	})

	DescribeTable("checks the certificate against subjectAltNames instead of validation.hostname",
		func(ctx SpecContext, shortName string, sanType gatewayv1.SubjectAltNameType, certName, certURI, san string, matches bool) {
			s := newSpec(ctx, shortName)
			cfg := upstream.Config{TLS: upstream.TLSValid, Hostname: s.hostname}
			if certName != "" {
				cfg.Hostname = certName + "." + s.hostname
			}
			if certURI != "" {
				cfg.URIs = []*url.URL{s.spiffe(certURI)}
			}
			vars := map[string]string{"SANType": string(sanType), "SANField": "hostname", "SANValue": san + "." + s.hostname}
			if sanType == gatewayv1.URISubjectAltNameType {
				vars["SANField"], vars["SANValue"] = "uri", s.spiffe(san).String()
			}
			By(fmt.Sprintf("serving a certificate for %s (URIs %v) against subjectAltNames %s %s", cfg.Hostname, cfg.URIs, sanType, vars["SANValue"]))
			up := s.startUpstream(ctx, cfg)
			s.createCAConfigMap(ctx, "ca", s.ca())
			gw := s.serveXBackend(ctx, up, "tls/san.yaml", vars)
			if !matches {
				s.failsClosed(ctx, gw, "/tls", up, "external")
				return
			}
			By("sending a request through the Gateway")
			r := s.eventuallyGet(ctx, gw, "/tls", fromUpstream(up))
			Expect(r.Upstream.SNI).To(Equal(s.hostname), "with subjectAltNames, tls.validation.hostname is still the SNI")
		},
		Entry("TLSSANHostnameMatches", Scenario{"TLSSANHostnameMatches", Must, FeatureTLS}.Labels(),
			"TLSSANHostnameMatches", gatewayv1.HostnameSubjectAltNameType, "san-only", "", "san-only", true),
		Entry("TLSSANHostnameMismatch", Scenario{"TLSSANHostnameMismatch", Must, FeatureTLS}.Labels(),
			"TLSSANHostnameMismatch", gatewayv1.HostnameSubjectAltNameType, "", "", "other-name", false),
		Entry("TLSSANURIMatches", Scenario{"TLSSANURIMatches", Must, FeatureTLS}.Labels(),
			"TLSSANURIMatches", gatewayv1.URISubjectAltNameType, "uri-only", "upstream", "upstream", true),
		Entry("TLSSANURIMismatch", Scenario{"TLSSANURIMismatch", Must, FeatureTLS}.Labels(),
			"TLSSANURIMismatch", gatewayv1.URISubjectAltNameType, "", "upstream", "other", false),
	)

	DescribeTable("refuses a certificate the trusted CA did not sign, or that has expired",
		func(ctx SpecContext, shortName string, mode upstream.TLSMode) {
			s := newSpec(ctx, shortName)
			By(fmt.Sprintf("serving a %s certificate for the validation hostname", mode))
			up := s.startUpstream(ctx, upstream.Config{TLS: mode})
			s.createCAConfigMap(ctx, "ca", s.ca())
			gw := s.serveXBackend(ctx, up, "tls/server-only.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": s.hostname})
			s.failsClosed(ctx, gw, "/tls", up, "external")
		},
		Entry("TLSRejectsUntrustedCA", Scenario{"TLSRejectsUntrustedCA", Must, FeatureTLS}.Labels(), "TLSRejectsUntrustedCA", upstream.TLSUntrustedCA),
		Entry("TLSRejectsExpiredCertificate", Scenario{"TLSRejectsExpiredCertificate", Must, FeatureTLS}.Labels(), "TLSRejectsExpiredCertificate", upstream.TLSExpired),
	)

	It("refuses a private-CA certificate when trusting the system CAs", Scenario{"TLSSystemRootsRejectPrivateCA", Must, FeatureTLS}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "TLSSystemRootsRejectPrivateCA")
		By("serving a certificate signed by the spec's private CA")
		up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSValid})
		gw := s.serveXBackend(ctx, up, "tls/system-roots.yaml", nil)
		s.failsClosed(ctx, gw, "/tls", up, "external")
	})

	It("still verifies the server certificate when ServerOnly has no validation block", Scenario{"TLSNoValidationVerifiesServer", Must, FeatureTLS}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "TLSNoValidationVerifiesServer")
		By("serving a certificate for the externalHostname signed by the spec's private CA")
		up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSValid})
		gw := s.serveXBackend(ctx, up, "tls/no-validation.yaml", nil)
		s.failsClosed(ctx, gw, "/tls", up, "external")
		if len(up.Log().Entries()) > 0 {
			By("checking the connections the upstream saw were TLS handshakes, not cleartext")
			Expect(tlsAttempts(up)).NotTo(BeEmpty(), "the implementation connected to the upstream without a TLS ClientHello; ServerOnly must speak TLS")
		}
	})

	DescribeTable("fails closed while the CA ConfigMap is missing or empty, and serves once it holds the CA",
		func(ctx SpecContext, shortName string, empty bool) {
			s := newSpec(ctx, shortName)
			up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSValid})
			if empty {
				By("creating ConfigMap ca with no " + pki.ConfigMapCAKey)
				Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: "ca"}})).To(Succeed())
			}
			gw := s.serveXBackend(ctx, up, "tls/server-only.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": s.hostname})

			By("checking the XBackend is not Accepted")
			s.eventuallyXBackendAccepted(ctx, "external", "gw", metav1.ConditionFalse)
			s.failsClosed(ctx, gw, "/tls", up, "external")

			By("putting the CA certificate in ConfigMap ca")
			if empty {
				s.setCAConfigMap(ctx, "ca", s.ca())
			} else {
				s.createCAConfigMap(ctx, "ca", s.ca())
			}
			By("checking traffic is restored and the XBackend Accepted")
			s.eventuallyGet(ctx, gw, "/tls", fromUpstream(up))
			s.eventuallyXBackendAccepted(ctx, "external", "gw", metav1.ConditionTrue)
		},
		Entry("TLSMissingCAConfigMap", Scenario{"TLSMissingCAConfigMap", Must, FeatureTLS}.Labels(), "TLSMissingCAConfigMap", false),
		Entry("TLSEmptyCAConfigMap", Scenario{"TLSEmptyCAConfigMap", Must, FeatureTLS}.Labels(), "TLSEmptyCAConfigMap", true),
	)

	It("picks up a CA rotated in the ConfigMap", Scenario{"TLSCARotation", Should, FeatureTLS}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "TLSCARotation")
		old := s.startUpstream(ctx, upstream.Config{Role: "old-ca", TLS: upstream.TLSValid})
		s.createCAConfigMap(ctx, "ca", s.ca())
		gw := s.serveXBackend(ctx, old, "tls/server-only.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": s.hostname})
		By("sending a request to the upstream of the old CA")
		s.eventuallyGet(ctx, gw, "/tls", fromUpstream(old))

		By("replacing the upstream, at the same address, with one whose certificate a new CA signed")
		newCA, err := pki.NewAuthority("xbcheck TLSCARotation new CA")
		Expect(err).NotTo(HaveOccurred())
		Expect(old.Close()).To(Succeed())
		rotated := s.startUpstream(ctx, upstream.Config{Role: "new-ca", Addr: old.Addr().String(), TLS: upstream.TLSValid, Authority: newCA})
		By("checking the new certificate is refused while the ConfigMap holds only the old CA")
		Eventually(func(g Gomega) {
			r, err := s.get(ctx, gw, "/tls")
			if err == nil && servedBy(r, rotated) {
				StopTrying(fmt.Sprintf("the upstream of the new CA answered (%v) before the ConfigMap trusted that CA: the CA in the ConfigMap is not what was checked", r)).Now()
			}
			g.Expect(eventsOf(rotated, upstream.KindHandshakeFailed)).NotTo(BeEmpty(), "the implementation has not tried the new upstream yet")
		}).WithContext(ctx).WithTimeout(config.Timeouts.Traffic).WithPolling(config.Timeouts.Poll).Should(Succeed())

		By("rotating the ConfigMap to the new CA")
		s.setCAConfigMap(ctx, "ca", newCA)
		By("checking traffic reaches the upstream of the new CA")
		s.eventuallyGet(ctx, gw, "/tls", fromUpstream(rotated))
	})

	It("trusts every caCertificateRefs entry, not only the first", Scenario{"TLSSecondCARefSigns", Must, FeatureTLS}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "TLSSecondCARefSigns")
		other, err := pki.NewAuthority("xbcheck TLSSecondCARefSigns unrelated CA")
		Expect(err).NotTo(HaveOccurred())
		up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSValid})
		By("referring first to a ConfigMap of an unrelated CA, then to the one of the CA that signed the upstream")
		s.createCAConfigMap(ctx, "first", other)
		s.createCAConfigMap(ctx, "second", s.ca())
		gw := s.serveXBackend(ctx, up, "tls/two-ca-refs.yaml", map[string]string{"FirstCA": "first", "SecondCA": "second"})
		By("sending a request through the Gateway")
		s.eventuallyGet(ctx, gw, "/tls", fromUpstream(up))
	})

	It("presents the client certificate of clientCertificateRef in ClientAndServer mode", Scenario{"TLSClientCertificatePresented", Must, FeatureMutualTLS}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "TLSClientCertificatePresented")
		clientCA, leaf := s.clientCertificate(ctx, "client-cert")
		up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSClientCertRequired, ClientCA: clientCA})
		s.createCAConfigMap(ctx, "ca", s.ca())
		gw := s.serveXBackend(ctx, up, "tls/client-and-server.yaml", map[string]string{"ClientSecret": "client-cert"})

		By("sending a request through the Gateway to an upstream that requires a client certificate")
		r := s.eventuallyGet(ctx, gw, "/mtls", fromUpstream(up))
		By("checking the upstream saw the certificate of the Secret")
		Expect(r.Upstream.ClientCertFingerprint).To(Equal(leaf.Fingerprint()),
			"the client certificate presented (subject %q) is not the one of Secret client-cert", r.Upstream.ClientCertSubject)
		Expect(r.Upstream.SNI).To(Equal(s.hostname), "the SNI must be tls.validation.hostname")
	})

	It("serves ClientAndServer with the client certificate or reports it not Accepted, and never sends plaintext", Scenario{"TLSClientAndServerServedOrRefused", Must, FeatureTLS}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "TLSClientAndServerServedOrRefused")
		clientCA, _ := s.clientCertificate(ctx, "client-cert")
		up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSClientCertRequired, ClientCA: clientCA})
		s.createCAConfigMap(ctx, "ca", s.ca())
		gw := s.serveXBackend(ctx, up, "tls/client-and-server.yaml", map[string]string{"ClientSecret": "client-cert"})
		controller := controllerName(ctx)

		By("waiting until the upstream answers over mutual TLS or the XBackend is reported not Accepted, with no plaintext meanwhile")
		var last *response
		Eventually(func(g Gomega) {
			r, err := s.get(ctx, gw, "/mtls")
			if sent := cleartextSent(up); len(sent) > 0 {
				StopTrying(fmt.Sprintf("the implementation sent plaintext to the upstream of a ClientAndServer XBackend (%d connections, first from %s): "+
					"without mutual TLS it must report Accepted=False and send nothing", len(sent), sent[0].Remote)).Now()
			}
			g.Expect(err).NotTo(HaveOccurred())
			last = r
			g.Expect(servedBy(r, up) || s.xbackendRefused(ctx, g, controller, "external", "gw")).To(BeTrue(),
				"the implementation neither reached the upstream with the client certificate nor reported the XBackend Accepted=False")
		}).WithContext(ctx).WithTimeout(config.Timeouts.Traffic).WithPolling(config.Timeouts.Poll).Should(Succeed(), func() string {
			return fmt.Sprintf("last response: %v; the upstream saw: %s; XBackend Accepted: %s", last, summarizeLog(up), s.acceptedSummary(ctx, "external", "gw"))
		})
		Expect(cleartextSent(up)).To(BeEmpty(), "the implementation sent plaintext to the upstream of a ClientAndServer XBackend")
	})

	DescribeTable("refuses a clientCertificateRef it cannot use",
		func(ctx SpecContext, shortName string, elsewhere bool) {
			s := newSpec(ctx, shortName)
			clientCA, leaf := s.clientCertificate(ctx, "client-cert")
			up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSClientCertRequired, ClientCA: clientCA})
			s.createCAConfigMap(ctx, "ca", s.ca())
			vars := map[string]string{"ClientSecret": "missing-client-cert"}
			manifest := "tls/client-and-server.yaml"
			if elsewhere {
				other := namespaceFor(ctx, shortName+"Secret")
				By("putting a valid client certificate Secret in namespace " + other + ", with no ReferenceGrant")
				Expect(k8sClient.Create(ctx, &corev1.Secret{
					ObjectMeta: metav1.ObjectMeta{Namespace: other, Name: "client-cert"},
					Type:       corev1.SecretTypeTLS,
					Data:       leaf.SecretData(),
				})).To(Succeed())
				vars = map[string]string{"ClientSecret": "client-cert", "SecretNamespace": other}
				manifest = "tls/client-cert-other-namespace.yaml"
			}
			gw := s.serveXBackend(ctx, up, manifest, vars)

			By("checking the XBackend is not Accepted")
			s.eventuallyXBackendAccepted(ctx, "external", "gw", metav1.ConditionFalse)
			s.failsClosed(ctx, gw, "/mtls", up, "external")
			By("checking no connection reached the upstream")
			Expect(up.Log().Entries()).To(BeEmpty(), "the implementation connected to the upstream of an XBackend it did not accept")
		},
		Entry("TLSClientCertSecretMissing", Scenario{"TLSClientCertSecretMissing", Must, FeatureMutualTLS}.Labels(), "TLSClientCertSecretMissing", false),
		Entry("TLSClientCertSecretOtherNamespace", Scenario{"TLSClientCertSecretOtherNamespace", Must, FeatureMutualTLS}.Labels(), "TLSClientCertSecretOtherNamespace", true),
	)

	It("records what tls mode None does with an upstream that speaks only HTTPS", Scenario{"TLSNoneToHTTPSUpstream", Observe, FeatureTLS}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "TLSNoneToHTTPSUpstream")
		up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSValid})
		gw := s.serveXBackend(ctx, up, "tls/mode-none.yaml", nil)

		// An OBSERVE spec measures: its waits may run out, never fail it.
		measure := NewGomega(func(string, ...int) {})
		By("probing until the upstream sees a connection, for at most the Traffic timeout")
		outcome := "no response"
		measure.Eventually(func(g Gomega) {
			r, err := s.get(ctx, gw, "/tls-none")
			outcome = describeOutcome(r, err)
			g.Expect(up.Log().Entries()).NotTo(BeEmpty())
		}).WithContext(ctx).WithTimeout(config.Timeouts.Traffic).WithPolling(config.Timeouts.Poll).Should(Succeed())
		By("letting the upstream log how the connection ended, and the implementation write status")
		measure.Eventually(func(g Gomega) {
			g.Expect(len(up.Log().Entries())).To(BeNumerically(">", len(eventsOf(up, upstream.KindAccept))), "a connection has an outcome")
		}).WithContext(ctx).WithTimeout(config.Timeouts.Request).WithPolling(config.Timeouts.Poll).Should(Succeed())
		measure.Eventually(func() string { return s.acceptedSummary(ctx, "external", "gw") }).WithContext(ctx).
			WithTimeout(config.Timeouts.Status).WithPolling(config.Timeouts.Poll).ShouldNot(HavePrefix("no "))
		s.observe("response", outcome)
		s.observe("upstream", summarizeLog(up))
		s.observe("xbackendAccepted", s.acceptedSummary(ctx, "external", "gw"))
	})
})

// serveXBackend makes the spec's hostname resolve to up, applies the
// spec's Gateway, the XBackend of manifest (with vars and up's port as
// {{.Port}}) and the route to it, and returns the Gateway's address.
func (s *spec) serveXBackend(ctx context.Context, up *upstream.Server, manifest string, vars map[string]string) string {
	port := strconv.Itoa(int(up.Addr().Port()))
	all := map[string]string{"Port": port}
	for k, v := range vars {
		all[k] = v
	}
	s.resolveTo(up, 5)
	s.apply(ctx, "common/gateway.yaml", nil)
	s.apply(ctx, manifest, all)
	s.apply(ctx, "tls/route.yaml", all)
	return s.gatewayAddress(ctx, "gw")
}

// spiffe is a URI SAN unique to the spec.
func (s *spec) spiffe(name string) *url.URL {
	return &url.URL{Scheme: "spiffe", Host: TestZone, Path: "/" + s.namespace + "/" + name}
}

// clientCertificate makes a client CA, a client certificate it signed and
// the kubernetes.io/tls Secret name holding it.
func (s *spec) clientCertificate(ctx context.Context, name string) (*pki.Authority, *pki.Leaf) {
	ca, err := pki.NewAuthority("xbcheck " + s.shortName + " client CA")
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	leaf, err := ca.Issue(pki.LeafOptions{CommonName: "xbcheck gateway " + s.shortName, Client: true})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	s.createTLSSecret(ctx, name, leaf)
	return ca, leaf
}

// describeOutcome is what a client of the Gateway got, in one line.
func describeOutcome(r *response, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return r.String()
}
