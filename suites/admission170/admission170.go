package admission170

import (
	"context"
	"embed"
	"errors"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/admission"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

//go:embed *.yaml
var manifests embed.FS

// admitted is a manifest the CRD admits, and a field of the first object
// that must read back as written.
type admitted struct {
	shortName, file string
	source          apitext.Sentence
	path            []string
	want            any
}

// rejected is a manifest the CRD refuses, at field with message.
type rejected struct {
	shortName, file string
	source          apitext.Sentence
	field, message  string
}

// Family is catalog family A for v1.7.0.
func Family() harness.Family {
	var scenarios []harness.Scenario
	for _, a := range []admitted{
		{"Admission170AdmitsEndpointSelector", "endpoint-selector.yaml", apitext.EndpointSelectorType, []string{"spec", "endpointSelector", "matchLabels", "tier"}, "web"},
		{"Admission170AdmitsSessionOnEndpointSelector", "session-with-selector.yaml", apitext.CRDSessionNeedsSelector, []string{"spec", "sessionPersistence", "cookie", "name"}, "session"},
		{"Admission170AdmitsGRPCProtocol", "grpc.yaml", apitext.CRDSchema7, []string{"spec", "protocol"}, "GRPC"},
		{"Admission170AdmitsWSSWithTLS", "wss-with-tls.yaml", apitext.CRDWSSNeedsTLS, []string{"spec", "protocol"}, "WSS"},
	} {
		scenarios = append(scenarios, admits(a))
	}
	for _, r := range []rejected{
		{"Admission170RejectsSelectorTypeWithoutSelector", "selector-missing.yaml", apitext.CRDEndpointSelector, "spec", "endpointSelector must be set when type is EndpointSelector and must be unset otherwise"},
		{"Admission170RejectsSelectorOnExternalHostname", "selector-on-external.yaml", apitext.CRDEndpointSelector, "spec", "endpointSelector must be set when type is EndpointSelector and must be unset otherwise"},
		{"Admission170RejectsEmptyMatchLabels", "empty-match-labels.yaml", apitext.CRDSchema7, "spec.endpointSelector.matchLabels", "should have at least 1 properties"},
		{"Admission170RejectsHTTP2WithoutTLS", "http2-without-tls.yaml", apitext.CRDHTTP2NeedsTLS, "spec", "tls must be enabled when protocol is HTTP2"},
		{"Admission170RejectsH2CWithTLS", "h2c-with-tls.yaml", apitext.H2CWithoutTLS, "spec", "tls must be disabled when protocol is H2C"},
		{"Admission170RejectsWSSWithoutTLS", "wss-without-tls.yaml", apitext.CRDWSSNeedsTLS, "spec", "tls must be enabled when protocol is WSS"},
		{"Admission170RejectsSessionOnExternalHostname", "session-on-external.yaml", apitext.CRDSessionNeedsSelector, "spec", "sessionPersistence can only be set when type is EndpointSelector"},
		{"Admission170RejectsServerOnlyWithoutValidation", "server-only-without-validation.yaml", apitext.CRDValidationIffTLS, "spec.tls", "validation must be set if and only if mode is either ClientAndServer or ServerOnly"},
		{"Admission170RejectsValidationWithModeNone", "none-with-validation.yaml", apitext.CRDValidationIffTLS, "spec.tls", "validation must be set if and only if mode is either ClientAndServer or ServerOnly"},
		{"Admission170RejectsBackendRefPort", "backendref-port.yaml", apitext.CRDBackendRefPort, "spec.rules[0].backendRefs[0]", "Must not have port for Backend reference"},
	} {
		scenarios = append(scenarios, rejects(r, harness.V170))
	}
	scenarios = append(scenarios, sessionRuleScenarios()...)
	scenarios = append(scenarios, limitScenarios()...)
	scenarios = append(scenarios, rejects(rejected{"AdmissionRejectsEndpointSelectorType", "endpoint-selector.yaml", apitext.CRDRules, "spec.type", "Unsupported value"},
		harness.Releases{Before: "v1.7.0", Why: "v1.7.0 added the EndpointSelector type"}))
	return harness.Family{Name: "Admission v1.7.0", Manifests: manifests, Scenarios: scenarios}
}

// admits declares one MUST spec: the API server admits the first object
// of a.file and stores a.path as written.
func admits(a admitted) harness.Scenario {
	return harness.Scenario{
		Scenario:    verdict.Must.Scenario(a.shortName, verdict.FeatureResourceBackend),
		Description: "admits what v1.7.0's CRD allows: " + a.file,
		Source:      a.source,
		Releases:    harness.V170,
		Run:         a.run,
	}
}

// run creates the object and reads a.path back as written.
func (a admitted) run(ctx context.Context, s *harness.T) {
	obj := s.Render(a.file, nil)[0]
	By("creating " + a.file)
	s.Create(ctx, obj)
	By("reading back " + fmt.Sprint(a.path))
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(obj.GroupVersionKind())
	Expect(s.Client().Get(ctx, client.ObjectKeyFromObject(obj), got)).To(Succeed())
	value, found, err := unstructured.NestedFieldNoCopy(got.Object, a.path...)
	Expect(err).NotTo(HaveOccurred())
	Expect(found).To(BeTrue(), "%v was not stored (pruned by a schema without it?)", a.path)
	Expect(value).To(Equal(a.want), "%v reads back as %v", a.path, value)
}

// rejects declares one MUST spec: the API server refuses the first object
// of r.file at r.field with r.message.
func rejects(r rejected, releases harness.Releases) harness.Scenario {
	return harness.Scenario{
		Scenario:    verdict.Must.Scenario(r.shortName, verdict.FeatureResourceBackend),
		Description: "rejects what the CRD forbids: " + r.file,
		Source:      r.source,
		Releases:    releases,
		Run:         r.run,
	}
}

// run creates the object and expects the API server's refusal at r.field
// with r.message.
func (r rejected) run(ctx context.Context, s *harness.T) {
	obj := s.Render(r.file, nil)[0]
	By("creating " + r.file)
	err := s.Client().Create(ctx, obj)
	Expect(err).To(HaveOccurred(), "the API server admitted %s, which the CRD must reject with %q", r.file, r.message)
	var status *apierrors.StatusError
	Expect(errors.As(err, &status) && apierrors.IsInvalid(err)).To(BeTrue(), "want a validation error (422 Invalid), got: %v", err)
	Expect(status).To(admission.HaveCause(r.field, r.message), "%s must be rejected at %s with %q", r.file, r.field, r.message)
}
