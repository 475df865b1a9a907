package runner

import (
	"fmt"
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

// pool is the slot's contiguous share of the Gateways' data-plane
// addresses; the remainder of an uneven split goes to no slot.
func (s Slot) pool(all []netip.Addr) []netip.Addr {
	if s.Of <= 1 {
		return all
	}
	size := len(all) / s.Of
	return slices.Clone(all[s.Index*size : (s.Index+1)*size])
}

// dnsAddr is the slot's rogue DNS address: base for slot 0, then the
// following addresses (all of 127.0.0.0/8 is local on the sandbox's lo).
func (s Slot) dnsAddr(base netip.Addr) netip.Addr {
	a := base
	for range s.Index {
		a = a.Next()
	}
	return a
}
