package admission

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

//go:embed *.yaml
var manifests embed.FS

// Family is catalog family A.
func Family() harness.Family {
	scenarios := []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("AdmissionValidExternalHostname", verdict.FeatureExternalHostname),
		Description: "admits a valid ExternalHostname XBackend",
		Source:      apitext.CRDRules,
		Run:         validExternalHostname,
	}}
	hostnameRejections := []rejected{
		{"AdmissionRejectsClusterLocalHostname", "kubernetes.default.svc.cluster.local", "spec.externalHostname.hostname", "must not be an IP address or end with .cluster.local", harness.Releases{}},
		{"AdmissionRejectsIPv6Loopback", "::1", "spec.externalHostname.hostname", "should match", harness.Releases{}},
		{"AdmissionRejectsUpperCaseHostname", "Api.Example.COM", "spec.externalHostname.hostname", "should match", harness.Releases{}},
		{"AdmissionRejectsTrailingDot", "api.example.com.", "spec.externalHostname.hostname", "should match", harness.Releases{}},
		{"AdmissionRejectsWildcardHostname", "*.example.com", "spec.externalHostname.hostname", "should match", harness.Releases{}},
	}
	specRejections := []rejected{
		{"AdmissionRejectsGRPCProtocol", "grpc-protocol.yaml", "spec.protocol", "Unsupported value", harness.GRPCRefused},
		{"AdmissionRejectsClientAndServerWithoutClientCert", "mtls-without-client-cert.yaml", "spec.tls", "clientCertificateRef must be set if and only if mode is ClientAndServer", harness.Releases{}},
		{"AdmissionRejectsClientCertWithoutClientAndServer", "client-cert-without-mtls.yaml", "spec.tls", "clientCertificateRef must be set if and only if mode is ClientAndServer", harness.Releases{}},
		{"AdmissionRejectsValidationWithoutHostname", "validation-without-hostname.yaml", "spec.tls.validation.hostname", "Required value", harness.Releases{}},
		{"AdmissionRejectsBothCASources", "both-ca-sources.yaml", "spec.tls.validation", "must not contain both CACertificateRefs and WellKnownCACertificates|exactly one of the fields in [caCertificateRefs wellKnownCACertificates] must be set", harness.Releases{}},
		{"AdmissionRejectsNoCASource", "no-ca-source.yaml", "spec.tls.validation", "must specify either CACertificateRefs or WellKnownCACertificates|exactly one of the fields in [caCertificateRefs wellKnownCACertificates] must be set", harness.Releases{}},
		{"AdmissionRejectsPortZero", "port-zero.yaml", "", "should be greater than or equal to 1", harness.Releases{}},
		{"AdmissionRejectsTypeWithoutExternalHostname", "type-without-hostname.yaml", "spec", "externalHostname must be set when type is ExternalHostname", harness.Releases{}},
	}
	for _, r := range hostnameRejections {
		scenarios = append(scenarios, rejects("rejects the externalHostname "+r.input+", which the CRD forbids", r, apitext.CRDHostname, "hostname.yaml", map[string]string{"Hostname": r.input}))
	}
	for _, r := range specRejections {
		scenarios = append(scenarios, rejects("rejects a spec the CRD's rules forbid: "+r.input, r, apitext.CRDRules, r.input, nil))
	}
	scenarios = append(scenarios, targetScenarios()...)
	scenarios = append(scenarios, literalFormScenarios()...)
	scenarios = append(scenarios, boundScenarios()...)
	scenarios = append(scenarios, limitScenarios()...)
	scenarios = append(scenarios, routeLimitScenarios()...)
	scenarios = append(scenarios, filterLimitScenarios()...)
	return harness.Family{Name: "Admission", Manifests: manifests, Scenarios: scenarios}
}

// rejected is one input the CRD must refuse, at field with message (or,
// where releases word it differently, v1.6.3's|v1.7.0's message). A field
// of "" is the port number, whose path depends on the schema. releases,
// when set, limits the rule to the releases that have it.
type rejected struct {
	shortName, input, field, message string
	releases                         harness.Releases
}

// rejects declares one MUST-level admission variant: the API server
// refuses the XBackend of file at r.field with r.message.
func rejects(description string, r rejected, source apitext.Sentence, file string, vars map[string]string) harness.Scenario {
	return harness.Scenario{
		Scenario:    verdict.Must.Scenario(r.shortName, verdict.FeatureExternalHostname),
		Description: description,
		Source:      source,
		Releases:    r.releases,
		Run:         refused{r, file, vars}.run,
	}
}

// refused is an input the CRD must refuse and the manifest (file, filled
// with vars) that carries it.
type refused struct {
	r    rejected
	file string
	vars map[string]string
}

// run creates the XBackend and expects the API server's refusal at the
// field with the message of the rule.
func (f refused) run(ctx context.Context, s *harness.T) {
	r, file, vars := f.r, f.file, f.vars
	field := r.field
	if field == "" {
		field = s.Harness().Schema.PortField()
	}
	message := r.message
	if before, after, two := strings.Cut(message, "|"); two {
		message = before
		if s.Harness().Schema.AtLeast("v1.7.0") {
			message = after
		}
	}
	xb := s.Render(file, vars)[0]
	By(fmt.Sprintf("creating the XBackend of %s %v", file, vars))
	Expect(rejection(s.Client().Create(ctx, xb))).To(HaveCause(field, message),
		"%s %v must be rejected at %s with %q", file, vars, field, message)
}

// rejection returns the API server's validation error, failing the spec if
// the object was admitted or refused for another reason.
func rejection(err error) *apierrors.StatusError {
	GinkgoHelper()
	Expect(err).To(HaveOccurred(), "the API server admitted an object the CRD must reject")
	var status *apierrors.StatusError
	Expect(errors.As(err, &status) && apierrors.IsInvalid(err)).To(BeTrue(), "want a validation error (422 Invalid), got: %v", err)
	return status
}

// HaveCause matches a validation error with a cause on field whose message
// contains message.
func HaveCause(field, message string) OmegaMatcher {
	return WithTransform(func(err *apierrors.StatusError) []string {
		var causes []string
		if err.ErrStatus.Details != nil {
			for _, c := range err.ErrStatus.Details.Causes {
				causes = append(causes, c.Field+": "+c.Message)
			}
		}
		return causes
	}, ContainElement(SatisfyAll(HavePrefix(field+": "), ContainSubstring(message))))
}

// validExternalHostname is the run function of
// AdmissionValidExternalHostname: admits a valid ExternalHostname XBackend.
func validExternalHostname(ctx context.Context, s *harness.T) {
	xb := s.Render("valid.yaml", nil)[0]
	By("creating the XBackend")
	s.Create(ctx, xb)
	By("reading back the hostname that was stored")
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(gatewayapi.XBackend)
	Expect(s.Client().Get(ctx, client.ObjectKeyFromObject(xb), got)).To(Succeed())
	host, _, _ := unstructured.NestedString(got.Object, "spec", "externalHostname", "hostname")
	Expect(host).To(Equal(s.Hostname))
}
