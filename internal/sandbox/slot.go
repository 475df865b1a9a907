package sandbox

import (
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Slot is this run's share of the addresses a sandbox has once, for runs
// that share one network namespace in parallel (xbcheck mutate): share
// Index of Of. The zero Slot is the whole plan.
type Slot struct{ Index, Of int }

// ParseSlot reads the "I/N" form of --slot (0 <= I < N).
func ParseSlot(s string) (Slot, error) {
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(i)
	of, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || of < 1 || index < 0 || index >= of {
		return Slot{}, fmt.Errorf("--slot %q: give INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 1/2", s)
	}
	return Slot{Index: index, Of: of}, nil
}

// String is the form ParseSlot reads; "" for the zero Slot.
func (s Slot) String() string {
	if s.Of <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Of)
}

// Set implements pflag.Value.
func (s *Slot) Set(v string) error {
	p, err := ParseSlot(v)
	if err != nil {
		return err
	}
	*s = p
	return nil
}

// Type implements pflag.Value.
func (*Slot) Type() string { return "INDEX/COUNT" }

// Pool is the slot's contiguous share of the Gateways' data-plane
// addresses; the remainder of an uneven split goes to no slot.
func (s Slot) Pool(all []netip.Addr) []netip.Addr {
	if s.Of <= 1 {
		return all
	}
	size := len(all) / s.Of
	return slices.Clone(all[s.Index*size : (s.Index+1)*size])
}

// Internet is the slot's share of the simulated internet: an equal,
// aligned sub-prefix, so parallel runs never hand out the same address.
func (s Slot) Internet(all netip.Prefix) netip.Prefix {
	if s.Of <= 1 {
		return all
	}
	n := all.Bits() + bits.Len(uint(s.Of-1))
	base := all.Masked().Addr().As4()
	size := uint32(1) << (32 - n)
	first := (uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])) + uint32(s.Index)*size
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(first >> 24), byte(first >> 16), byte(first >> 8), byte(first)}), n)
}

// DNSAddr is the slot's rogue DNS address: base for slot 0, then the
// following addresses (all of 127.0.0.0/8 is local on the sandbox's lo).
func (s Slot) DNSAddr(base netip.Addr) netip.Addr {
	a := base
	for range s.Index {
		a = a.Next()
	}
	return a
}
