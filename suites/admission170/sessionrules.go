package admission170

import (
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// sessionRuleScenarios check v1.7.0's rules on sessionPersistence in both
// directions, and the protocols it added that no other spec sets.
func sessionRuleScenarios() []harness.Scenario {
	var scenarios []harness.Scenario
	for _, a := range []admitted{
		{"Admission170AdmitsPermanentCookieWithTimeout", "session-permanent.yaml", apitext.CRDSessionRules, []string{"spec", "sessionPersistence", "cookie", "lifetimeType"}, "Permanent"},
		{"Admission170AdmitsTCPProtocol", "protocol-tcp.yaml", apitext.CRDSchema7, []string{"spec", "protocol"}, "TCP"},
		{"Admission170AdmitsMCPProtocol", "protocol-mcp.yaml", apitext.CRDSchema7, []string{"spec", "protocol"}, "MCP"},
	} {
		scenarios = append(scenarios, admits(a))
	}
	for _, r := range []rejected{
		{"Admission170RejectsPermanentCookieWithoutTimeout", "session-permanent-without-timeout.yaml", apitext.CRDSessionRules, "spec.sessionPersistence", "AbsoluteTimeout must be specified when cookie lifetimeType is Permanent"},
		{"Admission170RejectsHeaderTypeWithoutHeader", "session-header-type-without-header.yaml", apitext.CRDSessionRules, "spec.sessionPersistence", "header must be specified for Header type"},
		{"Admission170RejectsCookieWithHeaderType", "session-cookie-with-header-type.yaml", apitext.CRDSessionRules, "spec.sessionPersistence", "cookie must be nil if type is not Cookie"},
	} {
		scenarios = append(scenarios, rejects(r, harness.V170))
	}
	return scenarios
}
