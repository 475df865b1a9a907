package backendtls

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

//go:embed *.yaml
var manifests embed.FS

// Family is catalog family C.
func Family() harness.Family {
	return harness.Family{Name: "TLS", Manifests: manifests, Scenarios: slices.Concat(
		serverOnlyScenarios(),
		caConfigMapScenarios(),
		trustScenarios(),
		transitionScenarios(),
		[]harness.Scenario{{
			Scenario:    verdict.Must.Scenario("TLSURLRewriteKeepsSNI", verdict.FeatureTLS),
			Description: "sends validation.hostname as SNI when a URLRewrite filter rewrites the Host header",
			Source:      apitext.SNI,
			Run:         urlRewriteKeepsSNI,
		}},
		mutualTLSScenarios(),
		[]harness.Scenario{{
			Scenario:    verdict.Observe.Scenario("TLSNoneToHTTPSUpstream", verdict.FeatureTLS),
			Description: "records what tls mode None does with an upstream that speaks only HTTPS",
			Source:      apitext.TLSShould,
			Run:         noneToHTTPS,
		}},
		validityScenarios(),
		chainScenarios(),
		caRefKindScenarios(),
	)}
}

// serverOnlyScenarios check tls.mode ServerOnly: the SNI, the names the
// certificate is checked against, and the certificates it must refuse.
func serverOnlyScenarios() []harness.Scenario {
	scenarios := []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("TLSServerOnlyConfigMapCA", verdict.FeatureTLS),
		Covers:      []dimension.Class{dimension.TLSValidChain},
		Description: "verifies the upstream with the CA of a ConfigMap and sends validation.hostname as SNI",
		Source:      apitext.SNI,
		Run:         serverOnlyConfigMapCA,
	}, {
		Scenario:    verdict.Must.Scenario("TLSSNIFromValidationHostname", verdict.FeatureTLS),
		Description: "sends validation.hostname as SNI when it differs from the externalHostname",
		Source:      apitext.SNI,
		Run:         sniFromValidationHostname,
	}, {
		Scenario:    verdict.Must.Scenario("TLSRejectsWrongSAN", verdict.FeatureTLS, verdict.FailClosed),
		Covers:      []dimension.Class{dimension.TLSWrongSAN},
		Description: "refuses a certificate for another name signed by the trusted CA",
		Source:      apitext.HostnameAuthenticates,
		Run:         rejectsWrongSAN,
	}}
	for _, c := range []sanCase{
		{"TLSSANHostnameMatches", gatewayv1.HostnameSubjectAltNameType, "san-only", "", "san-only", true},
		{"TLSSANHostnameMismatch", gatewayv1.HostnameSubjectAltNameType, "", "", "other-name", false},
		{"TLSSANURIMatches", gatewayv1.URISubjectAltNameType, "uri-only", "upstream", "upstream", true},
		{"TLSSANURIMismatch", gatewayv1.URISubjectAltNameType, "", "upstream", "other", false},
	} {
		sc := verdict.Must.Scenario(c.shortName, verdict.FeatureTLS)
		if !c.matches {
			sc = verdict.Must.Scenario(c.shortName, verdict.FeatureTLS, verdict.FailClosed)
		}
		source := apitext.SubjectAltNames
		if c.shortName == "TLSSANHostnameMismatch" {
			// The certificate is for validation.hostname: only the rule
			// that the hostname does not authenticate refuses it.
			source = apitext.HostnameNotWithSANs
		}
		scenarios = append(scenarios, harness.Scenario{
			Scenario:    sc,
			Description: fmt.Sprintf("checks the certificate against a subjectAltNames %s entry instead of validation.hostname", c.sanType),
			Source:      source,
			Run:         c.subjectAltNames,
		})
	}
	for _, c := range []refusedCertificate{{"TLSRejectsUntrustedCA", upstream.TLSUntrustedCA, dimension.TLSUntrustedCA}, {"TLSRejectsExpiredCertificate", upstream.TLSExpired, dimension.TLSExpired}} {
		scenarios = append(scenarios, harness.Scenario{
			Scenario:    verdict.Must.Scenario(c.shortName, verdict.FeatureTLS, verdict.FailClosed),
			Covers:      []dimension.Class{c.covers},
			Description: fmt.Sprintf("refuses a %s certificate", c.mode),
			Source:      apitext.ServerOnly,
			Run:         c.refused,
		})
	}
	return append(scenarios, harness.Scenario{
		Scenario:    verdict.Must.Scenario("TLSSystemRootsRejectPrivateCA", verdict.FeatureTLS, verdict.FailClosed),
		Description: "refuses a private-CA certificate when trusting the system CAs",
		Source:      apitext.WellKnownCAs,
		Run:         systemRootsRejectPrivateCA,
	}, harness.Scenario{
		Scenario:    verdict.Must.Scenario("TLSNoValidationVerifiesServer", verdict.FeatureTLS, verdict.FailClosed),
		Description: "still verifies the server certificate when ServerOnly has no validation block",
		Source:      apitext.ServerOnly,
		Releases:    harness.ServerOnlyWithoutValidation,
		Run:         noValidationVerifiesServer,
	})
}

// caConfigMapScenarios check the ConfigMap that holds the CA: missing,
// empty, created late, rotated, and a second one referred to.
func caConfigMapScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("TLSMissingCAConfigMap", verdict.FeatureTLS, verdict.FailClosed),
		Description: "fails closed while the CA ConfigMap is missing or empty",
		Source:      apitext.InvalidCARef,
		Run:         missingCAConfigMap,
	}, {
		Scenario:    verdict.Must.Scenario("TLSEmptyCAConfigMap", verdict.FeatureTLS, verdict.FailClosed),
		Description: "fails closed while the CA ConfigMap is missing or empty",
		Source:      apitext.InvalidCARef,
		Run:         emptyCAConfigMap,
	}, {
		Scenario:    verdict.Must.Scenario("TLSCAConfigMapCreatedServes", verdict.FeatureTLS),
		Description: "serves once the missing CA ConfigMap is created with the CA",
		Source:      apitext.SingleCARef,
		Run:         caConfigMapCreatedServes,
	}, {
		Scenario:    verdict.Should.Scenario("TLSCARotation", verdict.FeatureTLS),
		Covers:      []dimension.Class{dimension.TLSCARotation},
		Description: "picks up a CA rotated in the ConfigMap",
		Source:      apitext.SingleCARef,
		Run:         caRotation,
	}, {
		Scenario:    verdict.Observe.Scenario("TLSSecondCARefSigns", verdict.FeatureTLS),
		Description: "records whether a second caCertificateRefs entry is trusted",
		Source:      apitext.MultipleCARefs,
		Run:         secondCARefSigns,
	}}
}

// serverOnlyConfigMapCA: ServerOnly with the CA of a ConfigMap reaches the
// upstream over TLS, with validation.hostname as SNI.
func serverOnlyConfigMapCA(ctx context.Context, s *harness.T) {
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid})
	gw := serveServerOnly(ctx, s, up, s.CA(), s.Hostname)
	By("sending a request through the Gateway")
	r := s.EventuallyGet(ctx, gw, "/tls", harness.FromUpstream(up))
	By("checking the upstream was reached over TLS with validation.hostname as SNI")
	Expect(r.Upstream.TLSVersion).NotTo(BeEmpty(), "the upstream saw cleartext on a ServerOnly XBackend")
	Expect(r.Upstream.SNI).To(Equal(s.Hostname), "the SNI must be tls.validation.hostname")
}

// sniFromValidationHostname: the SNI is validation.hostname, not the
// externalHostname, when the two differ.
func sniFromValidationHostname(ctx context.Context, s *harness.T) {
	validation := "tls-name." + s.Hostname
	By("serving, at the address the externalHostname resolves to, a certificate for " + validation + " only")
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid, Hostname: validation})
	gw := serveServerOnly(ctx, s, up, s.CA(), validation)
	By("sending a request through the Gateway")
	r := s.EventuallyGet(ctx, gw, "/tls", harness.FromUpstream(up))
	By("checking the SNI was validation.hostname, not the externalHostname")
	Expect(r.Upstream.SNI).To(Equal(validation), "tls.validation.hostname MUST be the SNI; the externalHostname is %s", s.Hostname)
}

// rejectsWrongSAN: a certificate for another name, signed by the trusted
// CA, is refused.
func rejectsWrongSAN(ctx context.Context, s *harness.T) {
	By("serving a certificate for " + upstream.WrongSANName + " signed by the CA of the ConfigMap")
	refusesCertificate(ctx, s, harness.UpstreamConfig{TLS: upstream.TLSWrongSAN}, s.Hostname)
}

// refusedCertificate is a certificate for the validation hostname that
// fails verification otherwise (untrusted CA, expired).
type refusedCertificate struct {
	shortName string
	mode      upstream.TLSMode
	covers    dimension.Class
}

// refused: the certificate of mode c.mode is refused.
func (c refusedCertificate) refused(ctx context.Context, s *harness.T) {
	By(fmt.Sprintf("serving a %s certificate for the validation hostname", c.mode))
	refusesCertificate(ctx, s, harness.UpstreamConfig{TLS: c.mode}, s.Hostname)
}

// systemRootsRejectPrivateCA: trusting the system CAs does not trust the
// scenario's private CA.
func systemRootsRejectPrivateCA(ctx context.Context, s *harness.T) {
	By("serving a certificate signed by the spec's private CA")
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid})
	gw := serveXBackend(ctx, s, up, "system-roots.yaml", nil)
	failsClosed(ctx, s, gw, "/tls", up)
}

// noValidationVerifiesServer: ServerOnly without a validation block still
// verifies the server (releases before v1.7.0, whose CRD admits it).
func noValidationVerifiesServer(ctx context.Context, s *harness.T) {
	By("serving a certificate for the externalHostname signed by the spec's private CA")
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid})
	gw := serveXBackend(ctx, s, up, "no-validation.yaml", nil)
	failsClosed(ctx, s, gw, "/tls", up)
	if len(up.Log(ctx)) > 0 {
		By("checking the connections the upstream saw were TLS handshakes, not cleartext")
		Expect(tlsAttempts(ctx, up)).NotTo(BeEmpty(), "the implementation connected to the upstream without a TLS ClientHello; ServerOnly must speak TLS")
	}
}

// missingCAConfigMap: no request is served while the CA ConfigMap the
// XBackend names does not exist.
func missingCAConfigMap(ctx context.Context, s *harness.T) { caConfigMapAbsent(ctx, s, false, false) }

// emptyCAConfigMap: no request is served while the CA ConfigMap holds no
// certificate.
func emptyCAConfigMap(ctx context.Context, s *harness.T) { caConfigMapAbsent(ctx, s, true, false) }

// caConfigMapCreatedServes: requests are served once the missing CA
// ConfigMap is created.
func caConfigMapCreatedServes(ctx context.Context, s *harness.T) {
	caConfigMapAbsent(ctx, s, false, true)
}

// secondCARefSigns records whether the CA of a second caCertificateRefs
// entry is trusted.
func secondCARefSigns(ctx context.Context, s *harness.T) {
	other, err := pki.NewAuthority("xbcheck TLSSecondCARefSigns unrelated CA")
	Expect(err).NotTo(HaveOccurred())
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid})
	By("referring first to a ConfigMap of an unrelated CA, then to the one of the CA that signed the upstream")
	s.CreateCAConfigMap(ctx, "first", other)
	s.CreateCAConfigMap(ctx, "second", s.CA())
	gw := serveXBackend(ctx, s, up, "two-ca-refs.yaml", map[string]string{"FirstCA": "first", "SecondCA": "second"})
	By("sending requests through the Gateway until the upstream answers or the Traffic timeout passes")
	served, _, last := s.MeasureServed(ctx, gw, "/tls", up)
	outcome := "served: the CA of the second reference is trusted"
	if !served {
		outcome = "not served within the Traffic timeout: only the first reference is used, or more than one is refused (last: " + last + ")"
	}
	s.Observe("second CA reference", outcome)
}

// sanCase is one subjectAltNames variant: the certificate's name (a label
// under the spec's hostname, or the hostname itself when empty) and URI,
// the subjectAltNames entry, and whether they match.
type sanCase struct {
	shortName         string
	sanType           gatewayv1.SubjectAltNameType
	certName, certURI string
	san               string
	matches           bool
}

func (c sanCase) subjectAltNames(ctx context.Context, s *harness.T) {
	cfg := harness.UpstreamConfig{TLS: upstream.TLSValid, Hostname: s.Hostname}
	if c.certName != "" {
		cfg.Hostname = c.certName + "." + s.Hostname
	}
	if c.certURI != "" {
		cfg.URIs = []*url.URL{spiffe(s, c.certURI)}
	}
	vars := map[string]string{"SANType": string(c.sanType), "SANField": "hostname", "SANValue": c.san + "." + s.Hostname}
	if c.sanType == gatewayv1.URISubjectAltNameType {
		vars["SANField"], vars["SANValue"] = "uri", spiffe(s, c.san).String()
	}
	By(fmt.Sprintf("serving a certificate for %s (URIs %v) against subjectAltNames %s %s", cfg.Hostname, cfg.URIs, c.sanType, vars["SANValue"]))
	up := s.StartUpstream(ctx, cfg)
	s.CreateCAConfigMap(ctx, "ca", s.CA())
	gw := serveXBackend(ctx, s, up, "san.yaml", vars)
	if !c.matches {
		failsClosed(ctx, s, gw, "/tls", up)
		return
	}
	By("sending a request through the Gateway")
	r := s.EventuallyGet(ctx, gw, "/tls", harness.FromUpstream(up))
	Expect(r.Upstream.SNI).To(Equal(s.Hostname), "with subjectAltNames, tls.validation.hostname is still the SNI")
}

// caConfigMapAbsent refers to a CA ConfigMap that is missing (or empty):
// the implementation must fail closed; with heal, the ConfigMap is then
// filled with the CA and traffic must flow.
func caConfigMapAbsent(ctx context.Context, s *harness.T, empty, heal bool) {
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid})
	if empty {
		By("creating ConfigMap ca with no " + pki.ConfigMapCAKey)
		s.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: "ca"}})
	}
	gw := serveXBackend(ctx, s, up, "server-only.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": s.Hostname})

	failsClosed(ctx, s, gw, "/tls", up)
	if !heal {
		return
	}

	By("putting the CA certificate in ConfigMap ca")
	if empty {
		s.SetCAConfigMap(ctx, "ca", s.CA())
	} else {
		s.CreateCAConfigMap(ctx, "ca", s.CA())
	}
	By("checking traffic is restored and the XBackend Accepted")
	s.EventuallyGet(ctx, gw, "/tls", harness.FromUpstream(up))
	s.EventuallyAccepted(ctx, "external", "gw", metav1.ConditionTrue)
}

func caRotation(ctx context.Context, s *harness.T) {
	old := s.StartUpstream(ctx, harness.UpstreamConfig{Role: "old-ca", TLS: upstream.TLSValid})
	gw := serveServerOnly(ctx, s, old, s.CA(), s.Hostname)
	By("sending a request to the upstream of the old CA")
	s.EventuallyGet(ctx, gw, "/tls", harness.FromUpstream(old))

	By("replacing the upstream, at the same address, with one whose certificate a new CA signed")
	newCA, err := pki.NewAuthority("xbcheck TLSCARotation new CA")
	Expect(err).NotTo(HaveOccurred())
	old.Stop(ctx)
	rotated := s.StartUpstream(ctx, harness.UpstreamConfig{Role: "new-ca", Addr: old.Addr.String(), TLS: upstream.TLSValid, Authority: newCA})
	By("checking the new certificate is refused while the ConfigMap holds only the old CA")
	Eventually(func(g Gomega) {
		r, err := s.Get(ctx, gw, "/tls")
		if err == nil && harness.ServedBy(r, rotated.Token) {
			StopTrying(fmt.Sprintf("the upstream of the new CA answered (%v) before the ConfigMap trusted that CA: the CA in the ConfigMap is not what was checked", r)).Now()
		}
		g.Expect(rotated.Events(ctx, upstream.KindHandshakeFailed)).NotTo(BeEmpty(), "the implementation has not tried the new upstream yet")
	}).WithContext(ctx).WithTimeout(s.Timeouts().Traffic).WithPolling(s.Timeouts().Poll).Should(Succeed())

	By("rotating the ConfigMap to the new CA")
	s.SetCAConfigMap(ctx, "ca", newCA)
	By("checking traffic reaches the upstream of the new CA")
	s.EventuallyGet(ctx, gw, "/tls", harness.FromUpstream(rotated))
}

// routeAcceptsFilter waits for the Accepted condition of route on the
// spec's Gateway and skips the spec when the implementation refused the
// route (as it must for a filter it does not support).
func routeAcceptsFilter(ctx context.Context, s *harness.T, route string) {
	GinkgoHelper()
	var cond *metav1.Condition
	s.Measure(ctx, s.Timeouts().Status, func(g Gomega) {
		cond = s.RouteCondition(ctx, route, "gw", gatewayv1.RouteConditionAccepted)
		g.Expect(cond).NotTo(BeNil())
	})
	if cond != nil && cond.Status == metav1.ConditionFalse {
		Skip("the implementation does not accept the route's URLRewrite filter (" + cond.Reason + ": " + cond.Message + "); the HTTPRouteHostRewrite specs cover that")
	}
}

// urlRewriteKeepsSNI is the run function of TLSURLRewriteKeepsSNI: sends
// validation.hostname as SNI when a URLRewrite filter rewrites the Host
// header.
func urlRewriteKeepsSNI(ctx context.Context, s *harness.T) {
	rewrite := "rewritten." + s.Hostname
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid})
	s.CreateCAConfigMap(ctx, "ca", s.CA())
	s.ResolveTo(ctx, up, 5)
	s.ApplyGateway(ctx)
	vars := map[string]string{"Port": up.Port(), "CAConfigMap": "ca", "ValidationHostname": s.Hostname, "RewriteHost": rewrite}
	s.Apply(ctx, "server-only.yaml", vars)
	s.Apply(ctx, "route-rewrite.yaml", vars)
	gw := s.GatewayAddress(ctx, "gw")
	routeAcceptsFilter(ctx, s, "to-external")
	By("sending a request through the Gateway")
	r := s.EventuallyGet(ctx, gw, "/tls", harness.FromUpstream(up))
	By("checking the upstream saw the filter's Host and validation.hostname as SNI")
	Expect(harness.HostOnly(r.Upstream.Host)).To(Equal(rewrite), "the route's URLRewrite hostname is %q, the upstream saw Host %q", rewrite, r.Upstream.Host)
	Expect(r.Upstream.SNI).To(Equal(s.Hostname), "the SNI must stay tls.validation.hostname %q whatever Host is sent; the filter's hostname is %q", s.Hostname, rewrite)
}

func noneToHTTPS(ctx context.Context, s *harness.T) {
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: upstream.TLSValid})
	gw := serveXBackend(ctx, s, up, "mode-none.yaml", nil)

	By("probing until the upstream sees a connection, for at most the Traffic timeout")
	outcome := "no response"
	s.Measure(ctx, s.Timeouts().Traffic, func(g Gomega) {
		r, err := s.Get(ctx, gw, "/tls-none")
		outcome = harness.Outcome(r, err, up)
		g.Expect(up.Log(ctx)).NotTo(BeEmpty())
	})
	By("letting the upstream log how the connection ended, and the implementation write status")
	s.Measure(ctx, s.Timeouts().Request, func(g Gomega) {
		g.Expect(len(up.Log(ctx))).To(BeNumerically(">", len(up.Events(ctx, upstream.KindAccept))), "a connection has an outcome")
	})
	s.Measure(ctx, s.Timeouts().Status, func(g Gomega) {
		g.Expect(s.AcceptedSummary(ctx, "external", "gw")).NotTo(HavePrefix("no "))
	})
	s.Observe("response", outcome)
	s.Observe("upstream", summarizeLog(ctx, up))
	s.Observe("xbackendAccepted", s.AcceptedSummary(ctx, "external", "gw"))
}

// serveXBackend makes the spec's hostname resolve to up, applies the
// spec's Gateway, the XBackend of manifest (with vars and up's port as
// {{.Port}}) and the route to it, and returns the Gateway's address.
func serveXBackend(ctx context.Context, s *harness.T, up *harness.Upstream, manifest string, vars map[string]string) string {
	GinkgoHelper()
	all := map[string]string{"Port": up.Port()}
	for k, v := range vars {
		all[k] = v
	}
	s.ResolveTo(ctx, up, 5)
	s.ApplyGateway(ctx)
	s.Apply(ctx, manifest, all)
	s.Apply(ctx, "route.yaml", all)
	return s.GatewayAddress(ctx, "gw")
}

// serveServerOnly puts ca in ConfigMap ca and serves up through the
// ServerOnly XBackend of server-only.yaml, which trusts that ConfigMap and
// checks validation.hostname validation; it returns the Gateway's address.
func serveServerOnly(ctx context.Context, s *harness.T, up *harness.Upstream, ca *pki.Authority, validation string) string {
	GinkgoHelper()
	s.CreateCAConfigMap(ctx, "ca", ca)
	return serveXBackend(ctx, s, up, "server-only.yaml", map[string]string{"CAConfigMap": "ca", "ValidationHostname": validation})
}

// refusesCertificate starts the upstream of cfg at the spec's hostname,
// serves it as serveServerOnly does with the spec's CA and validation,
// and expects the implementation to fail closed: a certificate wrong in
// the one respect cfg gives it.
func refusesCertificate(ctx context.Context, s *harness.T, cfg harness.UpstreamConfig, validation string) {
	GinkgoHelper()
	up := s.StartUpstream(ctx, cfg)
	gw := serveServerOnly(ctx, s, up, s.CA(), validation)
	failsClosed(ctx, s, gw, "/tls", up)
}

// spiffe is a URI SAN unique to the spec.
func spiffe(s *harness.T, name string) *url.URL {
	return &url.URL{Scheme: "spiffe", Host: harness.TestZone, Path: "/" + s.Namespace + "/" + name}
}
