package sandbox

import (
	"net/netip"
	"slices"
)

// The address plan of the sandbox. Inside it every one of these is on the
// sandbox's own `lo`; outside it none of them may be used (see [Guard]).
var (
	// Harness is where the harness, the API server and the gateway's own
	// admin endpoint listen (a rebinding target).
	Harness = netip.MustParseAddr("127.0.0.1")
	// DNS is the rogue DNS server; the sandbox's /etc/resolv.conf names it.
	DNS = netip.MustParseAddr("127.0.0.53")
	// GatewayPool holds the Gateways' data-plane addresses
	// (status.addresses), handed out in order from 192.0.2.10.
	GatewayPool = Range{First: netip.MustParseAddr("192.0.2.10"), Last: netip.MustParseAddr("192.0.2.250")}
	// Internet is the simulated internet: fake upstreams for *.xbcheck.test.
	// Every address in it is local inside the sandbox.
	Internet = netip.MustParsePrefix("203.0.113.0/24")
	// InternetV6 is the simulated internet's one IPv6 address (of the
	// documentation prefix 2001:db8::/32): an upstream only an AAAA record
	// names.
	InternetV6 = netip.MustParseAddr("2001:db8::113")
	// MetadataV4 and MetadataV6 are canaries playing a cloud metadata service.
	MetadataV4 = netip.MustParseAddr("169.254.169.254")
	MetadataV6 = netip.MustParseAddr("fd00:ec2::254")
	// PodCanary plays an in-cluster pod (the CVE-2021-25740 shape).
	PodCanary = netip.MustParseAddr("10.244.0.10")
	// RangeEdges are canaries at the first and last usable address of each
	// range a gateway must never dial (loopback's edges are on lo anyway),
	// so that a guardrail covering only the addresses examples show (a
	// /24 of 127, 169.254.169.254, 172.16/16) is seen: private (RFC 1918),
	// carrier-grade NAT, link-local and IPv6 unique local.
	RangeEdges = []netip.Addr{
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.255.255.254"),
		netip.MustParseAddr("172.16.0.1"), netip.MustParseAddr("172.31.255.254"),
		netip.MustParseAddr("192.168.0.1"), netip.MustParseAddr("192.168.255.254"),
		netip.MustParseAddr("100.64.0.1"), netip.MustParseAddr("100.127.255.254"),
		netip.MustParseAddr("169.254.0.1"), netip.MustParseAddr("169.254.255.254"),
		netip.MustParseAddr("fc00::1"), netip.MustParseAddr("fdff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
	}
	// Embedded are IPv6 forms that embed a forbidden IPv4 address (NAT64
	// 64:ff9b::/96 and 6to4 2002::/16 of 127.0.0.1 and 169.254.169.254),
	// so a canary can listen where a gateway that dials such an AAAA answer
	// would land. IPv4-mapped forms need none: they reach the IPv4 address.
	Embedded = []netip.Addr{
		netip.MustParseAddr("64:ff9b::7f00:1"),
		netip.MustParseAddr("2002:7f00:1::"),
		netip.MustParseAddr("64:ff9b::a9fe:a9fe"),
		netip.MustParseAddr("2002:a9fe:a9fe::"),
	}
)

// Range is an inclusive run of addresses.
type Range struct{ First, Last netip.Addr }

// Addrs lists the addresses of r in order.
func (r Range) Addrs() []netip.Addr {
	var out []netip.Addr
	for a := r.First; a.IsValid() && a.Compare(r.Last) <= 0; a = a.Next() {
		out = append(out, a)
	}
	return out
}

// loopbackPrefixes are the prefixes Setup adds to the sandbox's lo, besides
// the 127.0.0.1/8 and ::1 the kernel gives it. On a loopback device the
// kernel makes a whole prefix local, so Internet is one entry.
func loopbackPrefixes() []netip.Prefix {
	ps := []netip.Prefix{netip.PrefixFrom(DNS, 32)}
	for _, a := range GatewayPool.Addrs() {
		ps = append(ps, netip.PrefixFrom(a, 32))
	}
	ps = append(ps,
		netip.PrefixFrom(Internet.Addr().Next(), Internet.Bits()),
		netip.PrefixFrom(MetadataV4, 32),
		netip.PrefixFrom(MetadataV6, 128),
		netip.PrefixFrom(PodCanary, 32),
		netip.PrefixFrom(InternetV6, 128),
	)
	for _, a := range append(slices.Clone(Embedded), RangeEdges...) {
		ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
	}
	return ps
}
