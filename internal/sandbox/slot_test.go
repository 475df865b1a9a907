package sandbox

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestParseSlot(t *testing.T) {
	s, err := ParseSlot("1/3")
	if err != nil || s != (Slot{Index: 1, Of: 3}) || s.String() != "1/3" {
		t.Errorf("ParseSlot(1/3) = %+v %q, %v", s, s.String(), err)
	}
	for _, bad := range []string{"", "1", "3/3", "-1/2", "a/2", "0/0", "1/2/3"} {
		if _, err := ParseSlot(bad); err == nil || !strings.Contains(err.Error(), "INDEX/COUNT") {
			t.Errorf("ParseSlot(%q) = %v; want an error saying INDEX/COUNT", bad, err)
		}
	}
	if (Slot{}).String() != "" {
		t.Error("the zero Slot must print as nothing (no --slot flag)")
	}
}

// Parallel runs in one sandbox must never be handed the same Gateway or
// DNS address.
func TestSlotsShareNoAddress(t *testing.T) {
	all := GatewayPool.Addrs()
	if got := (Slot{}).Pool(all); !slices.Equal(got, all) {
		t.Errorf("the zero Slot has %d addresses, want the whole pool of %d", len(got), len(all))
	}
	for _, n := range []int{2, 3, 8} {
		owner := map[netip.Addr]int{}
		for i := range n {
			s := Slot{Index: i, Of: n}
			pool := s.Pool(all)
			if len(pool) < len(all)/n {
				t.Errorf("slot %s has %d addresses, want %d", s, len(pool), len(all)/n)
			}
			for _, a := range append(pool, s.DNSAddr(DNS)) {
				if prev, taken := owner[a]; taken {
					t.Errorf("slots %d and %d of %d both have %s", prev, i, n, a)
				}
				owner[a] = i
			}
		}
	}
	if got := (Slot{Index: 0, Of: 2}).DNSAddr(DNS); got != DNS {
		t.Errorf("slot 0 DNS at %s, want %s (the address resolv.conf names)", got, DNS)
	}
}

// Parallel runs must never be handed the same simulated-internet address.
func TestSlotsShareNoInternetAddress(t *testing.T) {
	all := Internet
	if got := (Slot{}).Internet(all); got != all {
		t.Errorf("the zero Slot has %s, want %s", got, all)
	}
	for _, n := range []int{2, 3, 4, 8} {
		var shares []netip.Prefix
		for i := range n {
			p := Slot{Index: i, Of: n}.Internet(all)
			if !all.Contains(p.Addr()) || p.Bits() < all.Bits() {
				t.Errorf("slot %d/%d has %s, outside %s", i, n, p, all)
			}
			for j, q := range shares {
				if p.Overlaps(q) {
					t.Errorf("slots %d and %d of %d overlap: %s and %s", j, i, n, q, p)
				}
			}
			shares = append(shares, p)
		}
	}
}
