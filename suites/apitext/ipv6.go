package apitext

// AAAARecord is how DNS names a host reachable over IPv6 only: an
// externalHostname whose only records are AAAA records.
const AAAARecord = Sentence("RFC 3596 (DNS Extensions to Support IP Version 6), section 2.1: " +
	"The AAAA resource record type is a record specific to the Internet class that stores a single IPv6 address.")
