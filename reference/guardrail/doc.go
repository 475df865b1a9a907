// Package guardrail decides whether the reference gateway may dial an IP address.
//
// The decision is one pure function over [netip.Addr], in the manner of an
// egress proxy: the data plane resolves a name, then asks [Check] (or
// [Policy.Check]) about every address it is about to dial, and again about the
// address the socket actually connects to. Names are never checked, only
// addresses, so a DNS answer cannot talk its way past the guardrail.
//
//	if err := guardrail.Check(addr); err != nil {
//		return err // e.g. "169.254.169.254 is link-local (169.254.0.0/16)"
//	}
//
// Denied: loopback, unspecified, 0.0.0.0/8, link-local (including the cloud
// metadata addresses 169.254.169.254 and fd00:ec2::254), RFC 1918, CGNAT,
// IPv6 ULA and site-local, multicast, broadcast, the reserved IPv4 ranges
// 192.0.0.0/24, 198.18.0.0/15 and 240.0.0.0/4, and every IPv6 form that embeds
// a denied IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo).
//
// The IPv4 documentation ranges (TEST-NET 192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24) are allowed on purpose: the sandbox uses them as the
// simulated internet and as the Gateway's own address.
//
// [Policy] adds an explicit allow list consulted first; the harness uses it in
// loopback-only mode, where the simulated internet lives on 127.0.1.0/24 and
// only that exact prefix, never the rest of 127.0.0.0/8, may be dialled.
// Its Deny replaces Check for mutation testing only, with the classifiers
// real gateways got wrong (reference/faults).
package guardrail
