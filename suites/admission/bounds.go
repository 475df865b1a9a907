package admission

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// boundScenarios check the edges of the CRD's bounds from both sides: the
// last value admitted, the first refused.
func boundScenarios() []harness.Scenario {
	scenarios := []harness.Scenario{
		admitsAtBound("AdmissionAdmitsPortMax", "port-max.yaml", "the largest port, 65535"),
		admitsAtBound("AdmissionAdmitsPortMin", "port-min.yaml", "the smallest port, 1"),
		admitsAtBound("AdmissionAdmitsHostnameMaxLength", "hostname-max-length.yaml", "a hostname of 253 characters"),
		admitsAtBound("AdmissionAdmitsFiveSubjectAltNames", "sans-max.yaml", "five subjectAltNames"),
	}
	for _, r := range []rejected{
		{"AdmissionRejectsPortAboveMax", "port-above-max.yaml", "", "should be less than or equal to 65535", harness.Releases{}},
		{"AdmissionRejectsUnknownProtocol", "protocol-unknown.yaml", "spec.protocol", "Unsupported value", harness.Releases{}},
		{"AdmissionRejectsUnknownTLSMode", "tls-mode-unknown.yaml", "spec.tls.mode", "Unsupported value", harness.Releases{}},
		{"AdmissionRejectsHostnameTooLong", "hostname-too-long.yaml", "spec.externalHostname.hostname", "Too long", harness.Releases{}},
		{"AdmissionRejectsSixSubjectAltNames", "sans-too-many.yaml", "spec.tls.validation.subjectAltNames", "Too many", harness.Releases{}},
	} {
		scenarios = append(scenarios, rejects("rejects a value past the CRD's bounds: "+r.input, r, apitext.CRDBounds, r.input, nil))
	}
	return scenarios
}

// admitsAtBound declares a MUST spec: the API server admits the XBackend
// of file, whose value sits on a bound of the CRD.
func admitsAtBound(shortName, file, what string) harness.Scenario {
	return harness.Scenario{
		Scenario:    verdict.Must.Scenario(shortName, verdict.FeatureExternalHostname),
		Description: "admits a value on the CRD's bounds: " + what,
		Source:      apitext.CRDBounds,
		Run: func(ctx context.Context, s *harness.T) {
			xb := s.Render(file, nil)[0]
			By("creating the XBackend of " + file)
			s.Create(ctx, xb)
			By("reading it back as written")
			got := &unstructured.Unstructured{}
			got.SetGroupVersionKind(xb.GroupVersionKind())
			Expect(s.Client().Get(ctx, client.ObjectKeyFromObject(xb), got)).To(Succeed())
			Expect(got.Object["spec"]).To(Equal(xb.Object["spec"]), "the API server changed the spec of %s", file)
		},
	}
}
