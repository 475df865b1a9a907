package admission

import (
	"fmt"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// filterLimitScenarios check the references to an XBackend inside filters at
// their limits, the number of a backendRef's filters, and the XBackend
// fields left: port name and number before v1.7.0, protocols TCP and MCP,
// a client certificate reference's defaults.
func filterLimitScenarios() []harness.Scenario {
	var refused []Cause
	for i, message := range []string{
		"may not be more than 253", "should be at least 1 chars long", "Required value",
		"may not be more than 63", "should match", "should be at least 1 chars long",
		"should be greater than or equal to 1", "should be less than or equal to 65535",
	} {
		field := []string{"name", "name", "name", "namespace", "namespace", "namespace", "port", "port"}[i]
		for _, place := range []string{"filters[0].requestMirror", "filters[1].externalAuth", "backendRefs[0].filters[0].requestMirror", "backendRefs[0].filters[1].externalAuth"} {
			refused = append(refused, At(fmt.Sprintf("spec.rules[%d].%s.backendRef.%s", i, place, field), message))
		}
	}
	fb, fe := verdict.FeatureResourceBackend, verdict.FeatureExternalHostname
	before170 := harness.Releases{Before: "v1.7.0", Why: "v1.7.0's port has a number only"}
	return []harness.Scenario{
		Refuses("AdmissionRejectsFilterRefsToXBackendPastLimits", "route-limits-filters-refused.yaml", fb, apitext.CRDRouteBounds, harness.Releases{}, refused...),
		admitsField("AdmissionAdmitsFilterRefPortBounds", "route-limits-filter-port-bounds.yaml", apitext.BackendPort, harness.BackendRefPortAllowed,
			[]string{"spec", "rules", "1", "backendRefs", "0", "filters", "1", "externalAuth", "backendRef", "port"}, int64(65535)),
		admitsField("AdmissionAdmitsSixteenBackendRefFilters", "route-limits-filters-max.yaml", apitext.CRDRouteBounds, harness.Releases{},
			[]string{"spec", "rules", "0", "backendRefs", "0", "filters", "15", "requestMirror", "backendRef", "name"}, "mirror-15"),
		Refuses("AdmissionRejectsSeventeenBackendRefFilters", "route-limits-filters-too-many.yaml", fb, apitext.CRDRouteBounds, harness.Releases{},
			At("spec.rules[0].backendRefs[0].filters", "must have at most 16 items")),
		Refuses("AdmissionRejectsRepeatedBackendRefFilters", "route-limits-filter-rules.yaml", fb, apitext.CRDRouteFilterRules, harness.Releases{},
			At("spec.rules[0].backendRefs[0].filters", "RequestHeaderModifier filter cannot be repeated"),
			At("spec.rules[0].backendRefs[1].filters", "ResponseHeaderModifier filter cannot be repeated"),
			At("spec.rules[0].backendRefs[2].filters", "RequestRedirect filter cannot be repeated"),
			At("spec.rules[0].backendRefs[3].filters", "URLRewrite filter cannot be repeated"),
			At("spec.rules[0].backendRefs[4].filters", "CORS filter cannot be repeated"),
			At("spec.rules[0].backendRefs[5].filters", "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both")),
		Refuses("AdmissionRejectsPortNameTooLong", "limits-port-name-refused.yaml", fe, apitext.CRDBounds, before170, At("spec.port.name", "may not be more than 63")),
		Refuses("AdmissionRejectsPortNameNotDNSLabel", "limits-port-name-label.yaml", fe, apitext.CRDBounds, before170, At("spec.port.name", "Name must be a valid DNS label")),
		Refuses("AdmissionRejectsPortWithoutNumber", "limits-port-without-number.yaml", fe, apitext.CRDRules, before170, At("spec.port.port", "Required value")),
		admitsField("AdmissionAdmitsTCPProtocol", "limits-protocol-tcp.yaml", apitext.CRDBounds, harness.Releases{}, []string{"spec", "protocol"}, "TCP"),
		admitsField("AdmissionAdmitsMCPProtocol", "limits-protocol-mcp.yaml", apitext.CRDBounds, harness.Releases{}, []string{"spec", "protocol"}, "MCP"),
		admitsField("Admission170AdmitsFilterRefsWithoutNamespaceOrPort", "route-filter-refs.yaml", apitext.CRDBackendRefPort, harness.V170,
			[]string{"spec", "rules", "0", "filters", "1", "externalAuth", "backendRef", "name"}, "auth"),
		admitsField("AdmissionDefaultsClientCertificateKind", "limits-client-cert-defaults.yaml", apitext.ClientCertificateRef, harness.Releases{},
			[]string{"spec", "tls", "clientCertificateRef", "kind"}, "Secret"),
	}
}
