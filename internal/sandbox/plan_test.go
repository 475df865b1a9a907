package sandbox

import (
	"net/netip"
	"testing"
)

func TestGatewayPool(t *testing.T) {
	addrs := GatewayPool.Addrs()
	if len(addrs) != 241 || addrs[0] != netip.MustParseAddr("192.0.2.10") || addrs[240] != netip.MustParseAddr("192.0.2.250") {
		t.Errorf("GatewayPool.Addrs() = %v, want 192.0.2.10 to 192.0.2.250", addrs)
	}
	if got := (Range{First: netip.MustParseAddr("10.0.0.2"), Last: netip.MustParseAddr("10.0.0.1")}).Addrs(); len(got) != 0 {
		t.Errorf("an empty Range lists %v", got)
	}
}

func TestLoopbackPrefixesCoverThePlan(t *testing.T) {
	covered := func(a netip.Addr) bool {
		for _, p := range loopbackPrefixes() {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	plan := append([]netip.Addr{DNS, MetadataV4, MetadataV6, PodCanary, InternetV6, Internet.Addr(), netip.MustParseAddr("203.0.113.255")}, GatewayPool.Addrs()...)
	plan = append(append(plan, Embedded...), RangeEdges...)
	for _, a := range plan {
		if !covered(a) {
			t.Errorf("%s is in the plan but not on the sandbox's lo", a)
		}
	}
}
