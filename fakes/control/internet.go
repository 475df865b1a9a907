package control

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// DefaultInternet is where upstreams go when LocalOptions.Internet is not set: on
// loopback, so that it works outside the sandbox too.
const DefaultInternet = "127.0.1.0/24"

// hostRange is the first and last address of p a fake may take: every address but
// the network and broadcast ones of an IPv4 prefix of /30 or wider, and but the
// subnet-router anycast (the network address) of an IPv6 prefix wider than /127.
func hostRange(p netip.Prefix) (first, last netip.Addr) {
	p = p.Masked()
	first = p.Addr()
	b := first.AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	last, _ = netip.AddrFromSlice(b)
	hostBits := first.BitLen() - p.Bits()
	if first.Is4() && hostBits >= 2 {
		return first.Next(), last.Prev()
	}
	if first.Is6() && hostBits >= 2 {
		return first.Next(), last
	}
	return first, last
}

// nextAddr is the address of [first, last] after a, wrapping around; first when a
// is not in the range.
func nextAddr(a, first, last netip.Addr) netip.Addr {
	if !a.IsValid() || a.Less(first) || !a.Less(last) {
		return first
	}
	return a.Next()
}

// Internet hands out the addresses of a simulated internet, in order and wrapping
// around, skipping the addresses running fakes hold while there is a free one: specs
// running side by side get addresses of their own. When every address is held, the
// next one is shared (the fakes then differ by port). The zero value of last starts
// at the first address. It is not safe for concurrent use: its owner locks.
type Internet struct {
	Prefix netip.Prefix
	last   netip.Addr
}

// Next returns the address after the last one handed out that held does not hold.
func (in *Internet) Next(held map[netip.Addr]bool) netip.Addr {
	first, last := hostRange(in.Prefix)
	candidate := nextAddr(in.last, first, last)
	chosen := candidate
	for range len(held) + 1 { // one of any len(held)+1 addresses is free, unless the range is smaller
		if !held[candidate] {
			chosen = candidate
			break
		}
		candidate = nextAddr(candidate, first, last)
	}
	in.last = chosen
	return chosen
}

// Last is the last address of the prefix a fake may take.
func (in *Internet) Last() netip.Addr {
	_, last := hostRange(in.Prefix)
	return last
}

// allocate is the next address of the simulated internet. The caller holds l.mu.
func (l *Local) allocate() netip.Addr {
	held := map[netip.Addr]bool{}
	for _, e := range l.upstreams.entries {
		for _, h := range e.hosts {
			held[h] = true
		}
	}
	for _, e := range l.canaries.entries {
		for _, h := range e.hosts {
			held[h] = true
		}
	}
	return l.internet.Next(held)
}

// ParseUpstreamAddr reads UpstreamSpec.Addr: an IP address or none (invalid: take
// the next address of the simulated internet), and a port.
func ParseUpstreamAddr(addr string) (netip.Addr, uint16, error) {
	if addr == "" {
		return netip.Addr{}, 0, nil
	}
	host, port, err := splitAddr("addr", addr)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	if host == "" {
		return netip.Addr{}, port, nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, 0, &InvalidError{Field: "addr", Reason: fmt.Sprintf("%q has host %q; use an IP address, or none for the next address of the simulated internet", addr, host)}
	}
	return a.Unmap(), port, nil
}

// parseCanaryAddr reads one of CanarySpec.Addrs: a canary plays one address, so the
// host is required.
func parseCanaryAddr(field, addr string) (netip.AddrPort, error) {
	host, port, err := splitAddr(field, addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	a, perr := netip.ParseAddr(host)
	if perr != nil {
		return netip.AddrPort{}, &InvalidError{Field: field, Reason: fmt.Sprintf("%q has host %q; use the IP address the canary plays, such as 169.254.169.254:80", addr, host)}
	}
	return netip.AddrPortFrom(a.Unmap(), port), nil
}

func splitAddr(field, addr string) (string, uint16, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, &InvalidError{Field: field, Reason: fmt.Sprintf("%q is not host:port; write one such as 127.0.0.1:8443 (port 0 picks a free one)", addr)}
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", 0, &InvalidError{Field: field, Reason: fmt.Sprintf("%q has port %q; use a number from 0 to 65535", addr, port)}
	}
	return host, uint16(n), nil
}
