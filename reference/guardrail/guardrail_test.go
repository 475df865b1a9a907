package guardrail

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// Each row is an address and the denied range its error must name ("" = allowed).
// For every range: first and last address inside, and the neighbours just outside.
var checkTable = []struct {
	addr   string
	range_ string
}{
	// 0.0.0.0/8, with 0.0.0.0 named as unspecified
	{"0.0.0.0", "0.0.0.0/32"},
	{"0.0.0.1", "0.0.0.0/8"},
	{"0.255.255.255", "0.0.0.0/8"},
	{"1.0.0.0", ""},
	// RFC 1918
	{"9.255.255.255", ""},
	{"10.0.0.0", "10.0.0.0/8"},
	{"10.244.0.10", "10.0.0.0/8"},
	{"10.255.255.255", "10.0.0.0/8"},
	{"11.0.0.0", ""},
	{"172.15.255.255", ""},
	{"172.16.0.0", "172.16.0.0/12"},
	{"172.31.255.255", "172.16.0.0/12"},
	{"172.32.0.0", ""},
	{"192.167.255.255", ""},
	{"192.168.0.0", "192.168.0.0/16"},
	{"192.168.255.255", "192.168.0.0/16"},
	{"192.169.0.0", ""},
	// CGNAT
	{"100.63.255.255", ""},
	{"100.64.0.0", "100.64.0.0/10"},
	{"100.127.255.255", "100.64.0.0/10"},
	{"100.128.0.0", ""},
	// loopback
	{"126.255.255.255", ""},
	{"127.0.0.0", "127.0.0.0/8"},
	{"127.0.0.1", "127.0.0.0/8"},
	{"127.0.1.1", "127.0.0.0/8"},
	{"127.255.255.255", "127.0.0.0/8"},
	{"128.0.0.0", ""},
	// link-local and the metadata address
	{"169.253.255.255", ""},
	{"169.254.0.0", "169.254.0.0/16"},
	{"169.254.169.254", "169.254.0.0/16"},
	{"169.254.255.255", "169.254.0.0/16"},
	{"169.255.0.0", ""},
	// IETF protocol assignments, but not TEST-NET-1 next to it
	{"191.255.255.255", ""},
	{"192.0.0.0", "192.0.0.0/24"},
	{"192.0.0.255", "192.0.0.0/24"},
	{"192.0.1.0", ""},
	// TEST-NET ranges are the sandbox's simulated internet and Gateway address
	{"192.0.2.0", ""},
	{"192.0.2.10", ""},
	{"192.0.2.255", ""},
	{"198.51.100.1", ""},
	{"203.0.113.0", ""},
	{"203.0.113.255", ""},
	// benchmarking
	{"198.17.255.255", ""},
	{"198.18.0.0", "198.18.0.0/15"},
	{"198.19.255.255", "198.18.0.0/15"},
	{"198.20.0.0", ""},
	// multicast, reserved, broadcast
	{"223.255.255.255", ""},
	{"224.0.0.0", "224.0.0.0/4"},
	{"239.255.255.255", "224.0.0.0/4"},
	{"240.0.0.0", "240.0.0.0/4"},
	{"255.255.255.254", "240.0.0.0/4"},
	{"255.255.255.255", "255.255.255.255/32"},
	// public IPv4
	{"8.8.8.8", ""},

	// IPv6 unspecified and loopback; ::2 is IPv4-compatible 0.0.0.2
	{"::", "::/128"},
	{"::1", "::1/128"},
	{"::2", "0.0.0.0/8"},
	// link-local
	{"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
	{"fe80::", "fe80::/10"},
	{"fe80::1%eth0", "fe80::/10"},
	{"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::/10"},
	// site-local
	{"fec0::", "fec0::/10"},
	{"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::/10"},
	// ULA and the metadata address inside it
	{"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
	{"fc00::", "fc00::/7"},
	{"fd00:ec2::253", "fc00::/7"},
	{"fd00:ec2::254", "fd00:ec2::254/128"},
	{"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fc00::/7"},
	{"fe00::", ""},
	// multicast
	{"ff00::", "ff00::/8"},
	{"ff02::1", "ff00::/8"},
	{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ff00::/8"},
	// public IPv6 and IPv6 documentation
	{"2606:4700:4700::1111", ""},
	{"2001:db8::1", ""},

	// IPv4-mapped: checked by the address it embeds
	{"::fffe:ffff:ffff", ""},
	{"::ffff:0.0.0.0", "0.0.0.0/32"},
	{"::ffff:8.8.8.8", ""},
	{"::ffff:203.0.113.5", ""},
	{"::ffff:255.255.255.255", "255.255.255.255/32"},
	{"::1:0:0:0", ""},
	// IPv4-compatible: denied whatever it embeds
	{"::0.0.0.3", "0.0.0.0/8"},
	{"::8.8.8.8", "::/96"},
	{"::255.255.255.255", "255.255.255.255/32"},
	{"::1:0:0", ""},
	// NAT64 well-known prefix: checked by the address it embeds
	{"64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", ""},
	{"64:ff9b::", "0.0.0.0/32"},
	{"64:ff9b::8.8.8.8", ""},
	{"64:ff9b::255.255.255.255", "255.255.255.255/32"},
	{"64:ff9b::1:0:0", ""},
	// NAT64 local-use prefix: denied whatever it embeds
	{"64:ff9b:0:ffff:ffff:ffff:ffff:ffff", ""},
	{"64:ff9b:1::", "0.0.0.0/32"},
	{"64:ff9b:1::8.8.8.8", "64:ff9b:1::/48"},
	{"64:ff9b:1:ffff:ffff:ffff:808:808", "64:ff9b:1::/48"},
	{"64:ff9b:2::", ""},
	// 6to4: checked by the address at bits 16-48
	{"2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
	{"2002::", "0.0.0.0/32"},
	{"2002:808:808::", ""},
	{"2002:808:808:ffff:ffff:ffff:ffff:ffff", ""},
	{"2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "255.255.255.255/32"},
	{"2003::", ""},
	// Teredo: denied whatever it embeds
	{"2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
	{"2001::", "255.255.255.255/32"}, // client bits all zero invert to broadcast
	{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", "2001::/32"},
	{"2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "0.0.0.0/32"},
	{"2001:1::", ""},
}

func TestCheckTable(t *testing.T) {
	for _, row := range checkTable {
		err := Check(netip.MustParseAddr(row.addr))
		switch {
		case row.range_ == "" && err != nil:
			t.Errorf("Check(%s) = %v, want allowed", row.addr, err)
		case row.range_ != "" && err == nil:
			t.Errorf("Check(%s) allowed, want denied as %s", row.addr, row.range_)
		case row.range_ != "" && !strings.Contains(err.Error(), "("+row.range_+")"):
			t.Errorf("Check(%s) = %q, want the error to name (%s)", row.addr, err, row.range_)
		}
	}
}

func TestCheckMessages(t *testing.T) {
	for addr, want := range map[string]string{
		"169.254.169.254":                      "169.254.169.254 is link-local (169.254.0.0/16)",
		"fd00:ec2::254":                        "fd00:ec2::254 is the cloud metadata address (fd00:ec2::254/128)",
		"::ffff:127.0.0.1":                     "::ffff:127.0.0.1 embeds 127.0.0.1 (IPv4-mapped ::ffff:0.0.0.0/96), which is loopback (127.0.0.0/8)",
		"64:ff9b::a9fe:a9fe":                   "64:ff9b::a9fe:a9fe embeds 169.254.169.254 (NAT64 64:ff9b::/96), which is link-local (169.254.0.0/16)",
		"2001:0:4136:e378:8000:63bf:80ff:fffe": "2001:0:4136:e378:8000:63bf:80ff:fffe embeds 127.0.0.1 (Teredo 2001::/32), which is loopback (127.0.0.0/8)",
		"::808:808":                            "::808:808 is IPv4-compatible, denied whatever it embeds (::/96)",
	} {
		if err := Check(netip.MustParseAddr(addr)); err == nil || err.Error() != want {
			t.Errorf("Check(%s) = %v, want %q", addr, err, want)
		}
	}
}

func TestCheckReturnsDeniedError(t *testing.T) {
	err := Check(netip.MustParseAddr("2002:a9fe:a9fe::1"))
	var denied *DeniedError
	if !errors.As(err, &denied) {
		t.Fatalf("Check = %v, want a *DeniedError", err)
	}
	if denied.Embedded != netip.MustParseAddr("169.254.169.254") || denied.Form != "6to4" ||
		denied.Range != netip.MustParsePrefix("169.254.0.0/16") {
		t.Errorf("DeniedError = %+v, want 6to4 embedding 169.254.169.254 in 169.254.0.0/16", denied)
	}
}

func TestCheckInvalid(t *testing.T) {
	if err := Check(netip.Addr{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Check(zero Addr) = %v, want ErrInvalid", err)
	}
}

// ipv6Forms gives every IPv6 form that embeds v4, keyed by form name.
func ipv6Forms(v4 netip.Addr) map[string]netip.Addr {
	b := v4.As4()
	build := func(prefix string, at int, bytes [4]byte) netip.Addr {
		a := netip.MustParseAddr(prefix).As16()
		copy(a[at:at+4], bytes[:])
		return netip.AddrFrom16(a)
	}
	// A realistic Teredo address: server 65.54.227.120, flags 0x8000, port 0x63bf.
	teredo := netip.MustParseAddr("2001:0:4136:e378:8000:63bf::").As16()
	for i := range 4 {
		teredo[12+i] = ^b[i]
	}
	return map[string]netip.Addr{
		"IPv4-mapped":     netip.AddrFrom16(v4.As16()),
		"IPv4-compatible": build("::", 12, b),
		"NAT64":           build("64:ff9b::", 12, b),
		"local-use NAT64": build("64:ff9b:1::", 12, b),
		"6to4":            build("2002::", 2, b),
		"Teredo":          netip.AddrFrom16(teredo),
	}
}

func TestEveryIPv6FormOfADeniedIPv4IsDenied(t *testing.T) {
	for _, v4 := range []string{"127.0.0.1", "169.254.169.254", "10.244.0.10"} {
		embedded := netip.MustParseAddr(v4)
		for form, a := range ipv6Forms(embedded) {
			var denied *DeniedError
			if err := Check(a); !errors.As(err, &denied) {
				t.Errorf("%s form %s of %s: Check = %v, want denied", form, a, v4, err)
				continue
			}
			if denied.Embedded != embedded || denied.Form != form {
				t.Errorf("%s form %s of %s: error %q does not name the embedded address", form, a, v4, denied)
			}
		}
	}
}

func TestIPv6FormsOfAPublicIPv4(t *testing.T) {
	deniedForms := map[string]bool{"IPv4-compatible": true, "local-use NAT64": true, "Teredo": true}
	for form, a := range ipv6Forms(netip.MustParseAddr("8.8.8.8")) {
		err := Check(a)
		if deniedForms[form] && err == nil {
			t.Errorf("%s form %s of 8.8.8.8 allowed, want the whole form denied", form, a)
		}
		if !deniedForms[form] && err != nil {
			t.Errorf("%s form %s of 8.8.8.8: Check = %v, want allowed", form, a, err)
		}
	}
}

func TestPolicyAllowsOnlyTheExactPrefix(t *testing.T) {
	p := Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.1.0/24")}}
	for addr, allowed := range map[string]bool{
		"127.0.1.0":         true,
		"127.0.1.255":       true,
		"127.0.0.1":         false,
		"127.0.0.255":       false,
		"127.0.2.0":         false,
		"::ffff:127.0.1.5":  false,
		"169.254.169.254":   false,
		"203.0.113.7":       true,
		"64:ff9b::7f00:105": false,
		"2002:7f00:105::":   false,
	} {
		if err := p.Check(netip.MustParseAddr(addr)); (err == nil) != allowed {
			t.Errorf("Policy.Check(%s) = %v, want allowed=%v", addr, err, allowed)
		}
	}
}

func TestZeroPolicyIsCheck(t *testing.T) {
	for _, row := range checkTable {
		a := netip.MustParseAddr(row.addr)
		if (Policy{}.Check(a) == nil) != (Check(a) == nil) {
			t.Errorf("zero Policy and Check disagree on %s", row.addr)
		}
	}
}

func TestPolicyDenyReplacesCheckOutsideAllow(t *testing.T) {
	denyAll := errors.New("denied by the replacement")
	p := Policy{
		Allow: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")},
		Deny:  func(netip.Addr) error { return denyAll },
	}
	if err := p.Check(netip.MustParseAddr("203.0.113.7")); err != nil {
		t.Errorf("an allowed address: %v, want allowed before Deny is asked", err)
	}
	if err := p.Check(netip.MustParseAddr("198.51.100.7")); !errors.Is(err, denyAll) {
		t.Errorf("an address outside Allow: %v, want Deny's answer", err)
	}
	lenient := Policy{Deny: func(netip.Addr) error { return nil }}
	if err := lenient.Check(netip.MustParseAddr("127.0.0.1")); err != nil {
		t.Errorf("a Deny that allows everything: %v, want it to replace Check", err)
	}
}

func FuzzIPv6FormsOfDeniedIPv4AreDenied(f *testing.F) {
	f.Add([]byte{127, 0, 0, 1})
	f.Add([]byte{169, 254, 169, 254})
	f.Add([]byte{8, 8, 8, 8})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) != 4 {
			return
		}
		v4 := netip.AddrFrom4([4]byte(b))
		if Check(v4) == nil {
			return
		}
		for form, a := range ipv6Forms(v4) {
			if Check(a) == nil {
				t.Errorf("%s form %s of denied %s is allowed", form, a, v4)
			}
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	for _, addr := range []string{"203.0.113.10", "127.0.0.1", "2606:4700::1", "64:ff9b::808:808"} {
		a := netip.MustParseAddr(addr)
		b.Run(addr, func(b *testing.B) {
			for b.Loop() {
				_ = Check(a)
			}
		})
	}
}
