package apitext

// The bounds of the XBackend CRD's schema, quoted by the API server's
// messages for them.
const (
	CRDBounds = Sentence(crd + ": " + "the schema's bounds and formats on spec: port from 1 to 65535; each string at least 1 and at most its maxLength characters (hostnames 253); subjectAltNames at most 5 and caCertificateRefs at most 8 entries; names, kinds, groups, hostnames and URIs matching their patterns; enums only their values")
	// CRDSANRules are the rules on a subjectAltNames entry, by their
	// messages.
	CRDSANRules = Sentence(tlsVal + ": " + "SubjectAltName element must contain Hostname, if Type is set to Hostname; SubjectAltName element must not contain Hostname, if Type is not set to Hostname; SubjectAltName element must contain URI, if Type is set to URI; SubjectAltName element must not contain URI, if Type is not set to URI")
	// CRDSessionRules are v1.7.0's rules on sessionPersistence, by their
	// messages.
	CRDSessionRules = Sentence(crd7 + ": " + "AbsoluteTimeout must be specified when cookie lifetimeType is Permanent; header must be specified for Header type; cookie must be nil if type is not Cookie")
)
