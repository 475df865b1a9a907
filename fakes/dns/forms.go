package dns

import "net/netip"

// The IPv6 forms below embed an IPv4 address. A gateway that checks only IPv4
// answers against its egress rules can be led to loopback or metadata addresses
// through them, so the rogue server serves them in AAAA answers.
// Each returns the zero Addr when v4 is not an IPv4 address.

// IPv4Mapped returns ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2).
func IPv4Mapped(v4 netip.Addr) netip.Addr {
	return embed(v4, [16]byte{10: 0xff, 11: 0xff}, 12)
}

// NAT64 returns 64:ff9b::a.b.c.d, the well-known NAT64 prefix (RFC 6052).
func NAT64(v4 netip.Addr) netip.Addr {
	return embed(v4, [16]byte{0x00, 0x64, 0xff, 0x9b}, 12)
}

// SixToFour returns 2002:AABB:CCDD::, the 6to4 prefix of a.b.c.d (RFC 3056).
func SixToFour(v4 netip.Addr) netip.Addr {
	return embed(v4, [16]byte{0x20, 0x02}, 2)
}

func embed(v4 netip.Addr, prefix [16]byte, at int) netip.Addr {
	if !v4.Unmap().Is4() {
		return netip.Addr{}
	}
	b := v4.Unmap().As4()
	copy(prefix[at:], b[:])
	return netip.AddrFrom16(prefix)
}
