package suites

import (
	"errors"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/fixtures/manifest"
)

// Catalog group A: what the API server itself admits and rejects. These
// specs need no implementation, only the CRDs.
var _ = Describe("Admission", func() {
	It("admits a valid ExternalHostname XBackend", Scenario{"AdmissionValidExternalHostname", Must, FeatureExternalHostname}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "AdmissionValidExternalHostname")
		objs := s.render("admission/valid.yaml", nil)
		By("creating the XBackend")
		Expect(k8sClient.Create(ctx, objs[0])).To(Succeed())
		By("reading back the hostname that was stored")
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(manifest.XBackend)
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(objs[0]), got)).To(Succeed())
		host, _, _ := unstructured.NestedString(got.Object, "spec", "externalHostname", "hostname")
		Expect(host).To(Equal(s.hostname))
	})

	DescribeTable("rejects an externalHostname the CRD forbids",
		func(ctx SpecContext, shortName, hostname, field, message string) {
			s := newSpec(ctx, shortName)
			objs := s.render("admission/hostname.yaml", map[string]string{"Hostname": hostname})
			By(fmt.Sprintf("creating an XBackend with hostname %q", hostname))
			Expect(rejection(k8sClient.Create(ctx, objs[0]))).To(HaveCause(field, message),
				"hostname %q must be rejected at %s with %q", hostname, field, message)
		},
		admissionEntry("AdmissionRejectsClusterLocalHostname", "kubernetes.default.svc.cluster.local",
			"spec.externalHostname.hostname", "must not be an IP address or end with .cluster.local"),
		admissionEntry("AdmissionRejectsIPv6Loopback", "::1", "spec.externalHostname.hostname", "should match"),
		admissionEntry("AdmissionRejectsUpperCaseHostname", "Api.Example.COM", "spec.externalHostname.hostname", "should match"),
		admissionEntry("AdmissionRejectsTrailingDot", "api.example.com.", "spec.externalHostname.hostname", "should match"),
		admissionEntry("AdmissionRejectsWildcardHostname", "*.example.com", "spec.externalHostname.hostname", "should match"),
	)

	DescribeTable("rejects a spec the CRD's rules forbid",
		func(ctx SpecContext, shortName, file, field, message string) {
			s := newSpec(ctx, shortName)
			objs := s.render("admission/"+file, nil)
			By("creating the XBackend of " + file)
			Expect(rejection(k8sClient.Create(ctx, objs[0]))).To(HaveCause(field, message),
				"%s must be rejected at %s with %q", file, field, message)
		},
		admissionEntry("AdmissionRejectsGRPCProtocol", "grpc-protocol.yaml", "spec.protocol", "Unsupported value"),
		admissionEntry("AdmissionRejectsClientAndServerWithoutClientCert", "mtls-without-client-cert.yaml",
			"spec.tls", "clientCertificateRef must be set if and only if mode is ClientAndServer"),
		admissionEntry("AdmissionRejectsClientCertWithoutClientAndServer", "client-cert-without-mtls.yaml",
			"spec.tls", "clientCertificateRef must be set if and only if mode is ClientAndServer"),
		admissionEntry("AdmissionRejectsValidationWithoutHostname", "validation-without-hostname.yaml",
			"spec.tls.validation.hostname", "Required value"),
		admissionEntry("AdmissionRejectsBothCASources", "both-ca-sources.yaml",
			"spec.tls.validation", "must not contain both CACertificateRefs and WellKnownCACertificates"),
		admissionEntry("AdmissionRejectsNoCASource", "no-ca-source.yaml",
			"spec.tls.validation", "must specify either CACertificateRefs or WellKnownCACertificates"),
		admissionEntry("AdmissionRejectsPortZero", "port-zero.yaml", "spec.port.port", "should be greater than or equal to 1"),
		admissionEntry("AdmissionRejectsTypeWithoutExternalHostname", "type-without-hostname.yaml",
			"spec", "externalHostname must be set when type is ExternalHostname"),
	)
})

// admissionEntry declares one MUST-level admission variant.
func admissionEntry(shortName, input, field, message string) TableEntry {
	return Entry(shortName, Scenario{shortName, Must, FeatureExternalHostname}.Labels(), shortName, input, field, message)
}

// rejection returns the API server's validation error, failing the spec if
// the object was admitted or refused for another reason.
func rejection(err error) *apierrors.StatusError {
	ExpectWithOffset(1, err).To(HaveOccurred(), "the API server admitted an object the CRD must reject")
	var status *apierrors.StatusError
	ExpectWithOffset(1, errors.As(err, &status) && apierrors.IsInvalid(err)).To(BeTrue(), "want a validation error (422 Invalid), got: %v", err)
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
