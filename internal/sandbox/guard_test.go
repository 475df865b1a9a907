package sandbox

import (
	"net/netip"
	"strings"
	"testing"
)

// These run in the test process, which is not in a sandbox.
func TestGuardOutsideTheSandbox(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "127.0.0.53", "127.255.255.254", "::1", "::ffff:127.0.0.1"} {
		if err := Guard(netip.MustParseAddr(s)); err != nil {
			t.Errorf("Guard(%s) = %v, want loopback allowed", s, err)
		}
	}
	refused := append([]netip.Addr{MetadataV4, MetadataV6, PodCanary, Internet.Addr().Next(), netip.MustParseAddr("0.0.0.0"),
		netip.MustParseAddr("::"), netip.MustParseAddr("::ffff:169.254.169.254"), netip.MustParseAddr("128.0.0.1")},
		GatewayPool.Addrs()...)
	for _, a := range refused {
		err := Guard(a)
		if err == nil || !strings.HasPrefix(err.Error(), "refusing to use "+a.String()+" outside the xbcheck sandbox: ") {
			t.Errorf("Guard(%s) = %v, want a refusal", a, err)
		}
	}
	if err := Guard(netip.Addr{}); err == nil {
		t.Error("Guard(zero Addr) = nil, want an error")
	}
}
