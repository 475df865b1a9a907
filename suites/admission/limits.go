package admission

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// Cause is one reason a refusal must give: the field, and a part of the
// message.
type Cause struct{ Field, Message string }

// At is the cause at field whose message contains message.
func At(field, message string) Cause { return Cause{Field: field, Message: message} }

// Refuses declares a MUST spec: the API server refuses the first object of
// file, giving every one of causes (it reports each violation it finds).
func Refuses(shortName, file string, feature verdict.Feature, source apitext.Sentence, releases harness.Releases, causes ...Cause) harness.Scenario {
	return harness.Scenario{
		Scenario:    verdict.Must.Scenario(shortName, feature),
		Description: "rejects what the CRD forbids, for each reason: " + file,
		Source:      source,
		Releases:    releases,
		Run: func(ctx context.Context, s *harness.T) {
			status := rejection(s.Client().Create(ctx, firstObject(s, file)))
			for _, c := range causes {
				Expect(status).To(HaveCause(c.Field, c.Message), "%s must be rejected at %s with %q", file, c.Field, c.Message)
			}
		},
	}
}

// firstObject renders file and says the scenario creates its first
// object, which it returns.
func firstObject(s *harness.T, file string) *unstructured.Unstructured {
	GinkgoHelper()
	obj := s.Render(file, nil)[0]
	By("creating the object of " + file)
	return obj
}

// limitScenarios check every string, list and pattern of the CRD's tls block
// and hostname at its limits, from both sides, and the fields it requires.
func limitScenarios() []harness.Scenario {
	tooLong := func(field string, n string) Cause { return Cause{field, "may not be more than " + n} }
	empty := func(field string) Cause { return Cause{field, "should be at least 1 chars long"} }
	pattern := func(field string) Cause { return Cause{field, "should match"} }
	required := func(field string) Cause { return Cause{field, "Required value"} }
	const (
		ccr  = "spec.tls.clientCertificateRef."
		val  = "spec.tls.validation."
		ref0 = "spec.tls.validation.caCertificateRefs[0]."
		fe   = verdict.FeatureExternalHostname
	)
	all := harness.Releases{}
	scenarios := []harness.Scenario{
		admitsAtBound("AdmissionAdmitsTLSStringsAtMaxLength", "limits-tls-max.yaml", "every string of tls at its maximum length, eight caCertificateRefs, a URI subjectAltName"),
		admitsAtBound("AdmissionAdmitsWellKnownCAAtMaxLength", "limits-well-known-max.yaml", "a wellKnownCACertificates of 253 characters"),
		Refuses("AdmissionRejectsTLSStringsTooLong", "limits-tls-too-long.yaml", fe, apitext.CRDBounds, all,
			tooLong(ccr+"group", "253"), tooLong(ccr+"kind", "63"), tooLong(ccr+"name", "253"), tooLong(ccr+"namespace", "63"),
			tooLong(val+"hostname", "253"), tooLong(val+"subjectAltNames[0].uri", "253"), tooLong(val+"subjectAltNames[1].hostname", "253"),
			tooLong(ref0+"group", "253"), tooLong(ref0+"kind", "63"), tooLong(ref0+"name", "253"),
			Cause{val + "caCertificateRefs", "must have at most 8 items"}),
		Refuses("AdmissionRejectsWellKnownCATooLong", "limits-well-known-too-long.yaml", fe, apitext.CRDBounds, all, tooLong(val+"wellKnownCACertificates", "253")),
		Refuses("AdmissionRejectsTLSStringsEmpty", "limits-tls-empty.yaml", fe, apitext.CRDBounds, all,
			empty(ccr+"kind"), empty(ccr+"name"), empty(ccr+"namespace"), empty(val+"hostname"),
			empty(val+"subjectAltNames[0].uri"), empty(val+"subjectAltNames[1].hostname"), empty(ref0+"kind"), empty(ref0+"name")),
		Refuses("AdmissionRejectsWellKnownCAEmpty", "limits-well-known-empty.yaml", fe, apitext.CRDBounds, all, empty(val+"wellKnownCACertificates")),
		Refuses("AdmissionRejectsHostnameEmpty", "limits-hostname-empty.yaml", fe, apitext.CRDHostname, all, empty("spec.externalHostname.hostname")),
		Refuses("AdmissionRejectsTLSPatterns", "limits-tls-patterns.yaml", fe, apitext.CRDBounds, all,
			pattern(ccr+"group"), pattern(ccr+"kind"), pattern(ccr+"namespace"), pattern(val+"hostname"),
			pattern(val+"subjectAltNames[0].uri"), pattern(val+"subjectAltNames[1].hostname"), pattern(ref0+"group"), pattern(ref0+"kind")),
		Refuses("AdmissionRejectsWellKnownCAPattern", "limits-well-known-pattern.yaml", fe, apitext.CRDBounds, all, pattern(val+"wellKnownCACertificates")),
		Refuses("AdmissionRejectsHostnamePattern", "limits-hostname-pattern.yaml", fe, apitext.CRDHostname, all, pattern("spec.externalHostname.hostname")),
		Refuses("AdmissionRejectsClusterLocalSuffix", "limits-cluster-local.yaml", fe, apitext.CRDHostname, all,
			Cause{"spec.externalHostname.hostname", "must not be an IP address or end with .cluster.local"}),
		Refuses("AdmissionRejectsRequiredFieldsAbsent", "limits-required-absent.yaml", fe, apitext.CRDRules, all,
			required("spec.type"), required("spec.port"), required("spec.tls.mode"),
			required(ref0+"group"), required(ref0+"kind"), required(ref0+"name"), required(val+"subjectAltNames[0].type")),
		Refuses("AdmissionRejectsHostnameAndClientCertNameAbsent", "limits-hostname-required.yaml", fe, apitext.CRDRules, all,
			required("spec.externalHostname.hostname"), required(ccr+"name")),
		Refuses("AdmissionRejectsUnknownType", "limits-type-unknown.yaml", fe, apitext.CRDRules, all, Cause{"spec.type", "Unsupported value"}),
	}
	sanRules := []Cause{
		{val + "subjectAltNames[0]", "SubjectAltName element must contain Hostname, if Type is set to Hostname"},
		{val + "subjectAltNames[0]", "SubjectAltName element must not contain URI, if Type is not set to URI"},
		{val + "subjectAltNames[1]", "SubjectAltName element must not contain Hostname, if Type is not set to Hostname"},
		{val + "subjectAltNames[1]", "SubjectAltName element must contain URI, if Type is set to URI"},
	}
	scenarios = append(scenarios, Refuses("AdmissionRejectsSANTypeValueMismatch", "limits-san-rules.yaml", fe, apitext.CRDSANRules, all, sanRules...),
		Refuses("AdmissionRejectsUnknownSANType", "limits-san-type-unknown.yaml", fe, apitext.CRDBounds, all, Cause{val + "subjectAltNames[0].type", "Unsupported value"}))
	return scenarios
}
