package faults

// Faults of address families and generated names; [All] describes each one.
const (
	IPv4Only             Fault = "ipv4-only"
	SessionCookieUnnamed Fault = "session-cookie-unnamed"
)
