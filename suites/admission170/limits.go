package admission170

import (
	"strings"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/admission"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// limitScenarios check the fields v1.7.0 added at their limits, from both
// sides: matchLabels, sessionPersistence and port.
func limitScenarios() []harness.Scenario {
	var scenarios []harness.Scenario
	for _, a := range []admitted{
		{"Admission170AdmitsSelectorAtMaxLabels", "limits-selector-max.yaml", apitext.CRDSchema7Limits, []string{"spec", "endpointSelector", "matchLabels", "l63"}, strings.Repeat("v", 63)},
		{"Admission170AdmitsSessionCookieAtMaxLength", "limits-session-max.yaml", apitext.CRDSchema7Limits, []string{"spec", "sessionPersistence", "cookie", "lifetimeType"}, "Session"},
		{"Admission170AdmitsSessionHeaderAtMaxLength", "limits-session-header-max.yaml", apitext.CRDSchema7Limits, []string{"spec", "sessionPersistence", "header", "name"}, strings.Repeat("h", 256)},
		{"Admission170DefaultsSessionTypeToCookie", "limits-session-default-type.yaml", apitext.CRDSchema7Limits, []string{"spec", "sessionPersistence", "type"}, "Cookie"},
	} {
		scenarios = append(scenarios, admits(a))
	}
	const (
		labels  = "spec.endpointSelector.matchLabels"
		session = "spec.sessionPersistence"
		fb      = verdict.FeatureResourceBackend
		src     = apitext.CRDSchema7Limits
	)
	return append(scenarios,
		admission.Refuses("Admission170RejectsSelectorPastLimits", "limits-selector-refused.yaml", fb, src, harness.V170,
			admission.At(labels, "must have at most 64 items"), admission.At(labels+".l00", "may not be more than 63"),
			admission.At(labels+".l01", "should match")),
		admission.Refuses("Admission170RejectsBadLabelKey", "limits-selector-bad-key.yaml", fb, src, harness.V170, admission.At(labels, "Label keys must be in the form")),
		admission.Refuses("Admission170RejectsEmptyCARefs", "limits-ca-refs-empty.yaml", fb, apitext.CACertificateRefs, harness.V170,
			admission.At("spec.tls.validation.caCertificateRefs", "should have at least 1 items")),
		admission.Refuses("Admission170RejectsSelectorWithoutLabels", "limits-selector-no-labels.yaml", fb, src, harness.V170, admission.At(labels, "Required value")),
		admission.Refuses("Admission170RejectsPortWithoutNumber", "limits-port-empty.yaml", fb, src, harness.V170, admission.At("spec.port", "should have at least 1 properties")),
		admission.Refuses("Admission170RejectsSessionNamesTooLong", "limits-session-too-long.yaml", fb, src, harness.V170,
			admission.At(session+".cookie.name", "may not be more than 256"), admission.At(session+".cookie.path", "may not be more than 1024")),
		admission.Refuses("Admission170RejectsSessionHeaderTooLong", "limits-session-header-too-long.yaml", fb, src, harness.V170, admission.At(session+".header.name", "may not be more than 256")),
		admission.Refuses("Admission170RejectsSessionPatterns", "limits-session-patterns.yaml", fb, src, harness.V170,
			admission.At(session+".absoluteTimeout", "should match"), admission.At(session+".cookie.lifetimeType", "Unsupported value"), admission.At(session+".cookie.name", "should match")),
		admission.Refuses("Admission170RejectsSessionHeaderPattern", "limits-session-header-pattern.yaml", fb, src, harness.V170, admission.At(session+".header.name", "should match")),
		admission.Refuses("Admission170RejectsSessionCookieNameEmpty", "limits-session-empty.yaml", fb, src, harness.V170, admission.At(session+".cookie.name", "should be at least 1 chars long")),
		admission.Refuses("Admission170RejectsSessionHeaderNameEmpty", "limits-session-header-empty.yaml", fb, src, harness.V170, admission.At(session+".header.name", "should be at least 1 chars long")),
		admission.Refuses("Admission170RejectsSessionHeaderWithoutName", "limits-session-header-no-name.yaml", fb, src, harness.V170, admission.At(session+".header.name", "Required value")),
		admission.Refuses("Admission170RejectsUnknownSessionType", "limits-session-type-unknown.yaml", fb, src, harness.V170, admission.At(session+".type", "Unsupported value")),
		admission.Refuses("Admission170RejectsCookieTypeWithoutCookie", "limits-session-cookie-missing.yaml", fb, apitext.CRDSessionRules, harness.V170,
			admission.At(session, "cookie must be specified for Cookie type"), admission.At(session, "header must be nil if type is not Header")),
	)
}
