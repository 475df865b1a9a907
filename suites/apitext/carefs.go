package apitext

// CARefKind is the rule on the group and kind of a caCertificateRefs
// entry, with the data-plane consequence of an invalid reference.
const CARefKind = Sentence(tlsVal + ": " +
	"The API object must be valid in the cluster; the Group and Kind must be registered in the cluster for this reference to be valid. ... " +
	"References to objects with invalid Group and Kind are not valid, and must be rejected by the implementation, with appropriate Conditions set on the containing object. ... " +
	"Connections using an invalid CACertificateRef MUST fail, and the client MUST receive an HTTP 5xx error response.")
