package coverage

import (
	"strings"

	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
)

// Reasons why no spec can exercise a cell, each with the sentence or rule
// it rests on.
const (
	referentIsXBackend = "no scenario can: a reference to an XBackend has group gateway.networking.x-k8s.io and kind XBackend " +
		"(HTTPRoute API: \"Group is the group of the referent ... When unspecified or empty string, core API group is inferred.\" " +
		"\"Kind is the Kubernetes resource kind of the referent ... Defaults to \"Service\" when not specified.\"); " +
		"with any other group or kind, or none, the reference names no XBackend"
	serviceOnly = "no scenario can: the rule or sentence is about a reference to a Service (its port, its appProtocol), " +
		"and a reference to an XBackend is never one"
	noPortOnXBackendRef = "no scenario can: v1.7.0's HTTPRoute CRD refuses a port on a reference to an XBackend " +
		"(rule \"Must not have port for Backend reference\"), so no such port is ever admitted"
	externalHostnameRequired = "no scenario can: v1.6.3's only type, ExternalHostname, requires externalHostname " +
		"(rule \"externalHostname must be set when type is ExternalHostname and must be unset otherwise\")"
	noWSS          = "no scenario can: v1.6.3's protocol enum has no WSS (v1.7.0 added it: \"BackendProtocolWSS indicates WebSocket over TLS\")"
	portNumberOnly = "no scenario can: v1.7.0's spec.port has one field, number, and needs at least one (minProperties: 1)"
	portNameRule   = "no scenario can: v1.6.3's rule on spec.port.name, size(self) == 0 || format.dns1123Label().validate(self) == null, " +
		"refuses every name that is not empty, DNS labels too (validate returns an optional, never null), " +
		"as the API server's CEL evaluates it (k8s.io/apiextensions-apiserver v0.37.2); the description asks for DNS labels to pass"
	onePort163 = "no scenario can: v1.6.3's spec.port is one object (name and port), not a list, so a Backend has exactly one port " +
		"and no two of its names can ever meet (\"All ports in a Backend must have a unique name.\")"
	authBackendSpeaks = "no scenario can: \"The backend must speak the selected protocol (GRPC or HTTP) on the referenced port.\" " +
		"binds the authorization server the reference names, which the user runs, not the implementation: it asks nothing of a gateway, " +
		"so no verdict on a gateway can rest on it"
	ownCASets = "no scenario can: \"Implementations MAY define their own sets of CA certificates.\" Which sets an implementation defines, " +
		"under which prefixed names and with which CAs, is its own and unknown to a suite, so no request can be built to meet one; " +
		"what the API does fix, that such a name is prefixed, is the wellKnownCACertificates pattern's, and its refusal of a name " +
		"neither System nor prefixed is AdmissionRejectsWellKnownCAPattern's"
	policyConditions = "no scenario can: the sentence sets a condition of the BackendTLSPolicy (BackendTLSPolicyValidation, reused as XBackend tls.validation: " +
		"\"In all cases, the implementation MUST ensure the ResolvedRefs Condition on the BackendTLSPolicy is set to status: False\" ... " +
		"\"ensure the Accepted Condition on the BackendTLSPolicy is set to status: False, with a Reason NoValidCACertificate\"); " +
		"an XBackend's TLS involves no BackendTLSPolicy, and the XBackend's status defines, per ancestor, only " +
		"\"Accepted: the resource has been acknowledged and accepted by the controller\", no ResolvedRefs type and none of these reasons, " +
		"so no object carries the condition; the sentence's data-plane half, \"Connections using an invalid CACertificateRef MUST fail\", " +
		"is TLSMissingCAConfigMap's, TLSEmptyCAConfigMap's and TLSRejectsCARefOfUnknownKind's"
)

// policyCondition reports whether a sentence of caCertificateRefs sets a
// condition, or its reason, on the BackendTLSPolicy.
func policyCondition(sentence string) bool {
	for _, part := range []string{
		"BackendTLSPolicy",
		"In such cases, an implementation-specific Reason and Message must be set for the invalid reference.",
		"In this case, the Reason must be set to InvalidCACertificateRef",
		"In this case, the Reason must be set to InvalidKind",
	} {
		if strings.Contains(sentence, part) {
			return true
		}
	}
	return false
}

// NoneCan says, with the sentence, why no spec can exercise cell c of the
// release's map, or "" when a spec can.
func NoneCan(c Cell, release string) string {
	route := c.Group == GroupRouteField || c.Group == GroupRouteRule || c.Group == GroupSentence && strings.HasPrefix(c.ID, "spec.rules[]")
	switch {
	case route && (strings.Contains(c.ID, ".group ") || strings.Contains(c.ID, ".group:") ||
		strings.Contains(c.ID, ".kind ") || strings.Contains(c.ID, ".kind:")) && !strings.HasSuffix(c.ID, " present"):
		return referentIsXBackend
	case route && (strings.Contains(c.ID, "for Service reference\" fails") || strings.Contains(c.ID, "appProtocol") ||
		c.Group == GroupSentence && strings.Contains(c.Source, "the backend Service")):
		return serviceOnly
	case release == "v1.7.0" && c.Group == GroupRouteField && (strings.HasSuffix(c.ID, ".port present") || strings.Contains(c.ID, ".port = ")):
		return noPortOnXBackendRef
	case release == "v1.6.3" && c.ID == absent("spec.externalHostname"):
		return externalHostnameRequired
	case release == "v1.6.3" && c.Group == GroupBehaviour && strings.HasPrefix(c.ID, string(dimension.ProtoWSS)+":"):
		return noWSS
	case release == "v1.7.0" && c.ID == absent("spec.port.number"):
		return portNumberOnly
	case c.Group == GroupSentence && strings.HasPrefix(c.ID, "spec.tls.validation.caCertificateRefs: ") &&
		policyCondition(c.Source):
		return policyConditions
	case release == "v1.6.3" && c.Group == GroupSentence && c.Source == "All ports in a Backend must have a unique name.":
		return onePort163
	case c.Group == GroupSentence && strings.Contains(c.ID, ".externalAuth.backendRef: ") &&
		strings.HasPrefix(c.Source, "The backend must speak the selected protocol"):
		return authBackendSpeaks
	case c.Group == GroupSentence && c.Source == "Implementations MAY define their own sets of CA certificates.":
		return ownCASets
	case release == "v1.6.3" && (c.ID == present("spec.port.name") || strings.HasPrefix(c.ID, "spec.port.name: 63 characters") ||
		strings.HasPrefix(c.ID, "spec.port.name: rule") && strings.HasSuffix(c.ID, "holds")):
		return portNameRule
	}
	return ""
}
