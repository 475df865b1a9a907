package apitext

// route is the HTTPRoute CRD's schema, of both releases.
const route = "HTTPRoute CRD (experimental channel) v1.6.3 and v1.7.0, schema"

// The bounds of the XBackend CRD's schema, quoted by the API server's
// messages for them.
const (
	CRDBounds = Sentence(crd + ": " + "the schema's bounds and formats on spec: port from 1 to 65535; each string at least 1 and at most its maxLength characters (hostnames 253); subjectAltNames at most 5 and caCertificateRefs at most 8 entries; names, kinds, groups, hostnames and URIs matching their patterns; enums only their values")
	// CRDSchema7Limits is v1.7.0's schema of the fields it added.
	CRDSchema7Limits = Sentence(crd7 + ": " + "the schema of the fields v1.7.0 added: port with at least one field; matchLabels required in endpointSelector, at most 64 entries, values of at most 63 characters matching the label value pattern, keys valid label keys; sessionPersistence cookie and header names of 1 to 256 token characters, a cookie path of at most 1024 characters, absoluteTimeout a duration such as 1h, type Cookie (the default) or Header, lifetimeType Permanent or Session")
	// CRDRouteBounds is the HTTPRoute CRD's schema of a backend reference.
	CRDRouteBounds = Sentence(route + ": " + "a backendRef's name of 1 to 253 characters (required), namespace of 1 to 63 characters matching the label pattern, weight from 0 to 1000000, port from 1 to 65535")
	// CRDRouteFilterRules are the HTTPRoute CRD's rules on a backendRef's
	// filters, by their messages.
	CRDRouteFilterRules = Sentence(route + ": " + "RequestHeaderModifier filter cannot be repeated; ResponseHeaderModifier filter cannot be repeated; RequestRedirect filter cannot be repeated; URLRewrite filter cannot be repeated; CORS filter cannot be repeated; May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both")
	// CRDSANRules are the rules on a subjectAltNames entry, by their
	// messages.
	CRDSANRules = Sentence(tlsVal + ": " + "SubjectAltName element must contain Hostname, if Type is set to Hostname; SubjectAltName element must not contain Hostname, if Type is not set to Hostname; SubjectAltName element must contain URI, if Type is set to URI; SubjectAltName element must not contain URI, if Type is not set to URI")
	// CRDSessionRules are v1.7.0's rules on sessionPersistence, by their
	// messages.
	CRDSessionRules = Sentence(crd7 + ": " + "AbsoluteTimeout must be specified when cookie lifetimeType is Permanent; header must be specified for Header type; cookie must be nil if type is not Cookie")
)
