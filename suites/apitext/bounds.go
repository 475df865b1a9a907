package apitext

// The bounds of the XBackend CRD's schema, quoted by the API server's
// messages for them.
const (
	CRDBounds = Sentence(crd + ": " + "port at most 65535; hostname at most 253 characters; subjectAltNames at most 5 entries; protocol and tls.mode only the values of their enums")
	// CRDSessionRules are v1.7.0's rules on sessionPersistence, by their
	// messages.
	CRDSessionRules = Sentence(crd7 + ": " + "AbsoluteTimeout must be specified when cookie lifetimeType is Permanent; header must be specified for Header type; cookie must be nil if type is not Cookie")
)
