package guardrail

import (
	"errors"
	"fmt"
	"net/netip"
)

// deniedRange is a prefix the gateway must never dial, with what it is.
type deniedRange struct {
	prefix netip.Prefix
	what   string
}

func deny(prefix, what string) deniedRange {
	return deniedRange{netip.MustParsePrefix(prefix), what}
}

// Most specific first: the first match names the range in the error.
// TEST-NET ranges are absent on purpose: the sandbox's simulated internet and Gateway address.
var deniedV4 = []deniedRange{
	deny("0.0.0.0/32", "unspecified"),
	deny("0.0.0.0/8", `"this network"`),
	deny("10.0.0.0/8", "private (RFC 1918)"),
	deny("100.64.0.0/10", "carrier-grade NAT shared space"),
	deny("127.0.0.0/8", "loopback"),
	deny("169.254.0.0/16", "link-local"),
	deny("172.16.0.0/12", "private (RFC 1918)"),
	deny("192.0.0.0/24", "reserved for IETF protocol assignments"),
	deny("192.168.0.0/16", "private (RFC 1918)"),
	deny("198.18.0.0/15", "reserved for benchmarking"),
	deny("224.0.0.0/4", "multicast"),
	deny("255.255.255.255/32", "broadcast"),
	deny("240.0.0.0/4", "reserved"),
}

var deniedV6 = []deniedRange{
	deny("::/128", "unspecified"),
	deny("::1/128", "loopback"),
	deny("fd00:ec2::254/128", "the cloud metadata address"),
	deny("fe80::/10", "link-local"),
	deny("fec0::/10", "site-local (deprecated)"),
	deny("fc00::/7", "unique local (ULA)"),
	deny("ff00::/8", "multicast"),
}

// embedding is an IPv6 prefix whose addresses carry an IPv4 address.
type embedding struct {
	prefix  netip.Prefix
	form    string
	extract func(b [16]byte) netip.Addr
	// denyAll denies the whole prefix whatever it embeds: no legitimate
	// upstream needs it, and decoding it exactly is error-prone.
	denyAll bool
}

func last32(b [16]byte) netip.Addr { return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}) }

var embeddings = []embedding{
	{netip.MustParsePrefix("::ffff:0:0/96"), "IPv4-mapped", last32, false},
	// Deprecated by RFC 4291; nothing routes it, so deny it outright.
	{netip.MustParsePrefix("::/96"), "IPv4-compatible", last32, true},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64", last32, false},
	// Local-use NAT64 (RFC 8215) translates into a private network by definition;
	// the embedded address is read in the /96 layout only to name it in the error.
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64", last32, true},
	{netip.MustParsePrefix("2002::/16"), "6to4", func(b [16]byte) netip.Addr {
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
	}, false},
	// Teredo is denied entirely (a gateway never needs it); the client address,
	// the last 32 bits inverted, is decoded only to name it in the error.
	{netip.MustParsePrefix("2001::/32"), "Teredo", func(b [16]byte) netip.Addr {
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
	}, true},
}

// DeniedError says which address was refused and why.
type DeniedError struct {
	Addr netip.Addr // the address asked about
	// Range and What describe the denied range: the range of Addr itself, or,
	// when Embedded is valid, the range of the IPv4 address Addr embeds.
	Range netip.Prefix
	What  string
	// Embedded is the IPv4 address found inside Addr, when that is what is denied.
	Embedded netip.Addr
	// Form and FormPrefix name the IPv6 form that embeds it (e.g. NAT64).
	Form       string
	FormPrefix netip.Prefix
}

func (e *DeniedError) Error() string {
	if e.Embedded.IsValid() {
		return fmt.Sprintf("%s embeds %s (%s %s), which is %s (%s)",
			e.Addr, e.Embedded, e.Form, e.FormPrefix, e.What, e.Range)
	}
	return fmt.Sprintf("%s is %s (%s)", e.Addr, e.What, e.Range)
}

// ErrInvalid is returned for the zero netip.Addr.
var ErrInvalid = errors.New("invalid IP address: the guardrail denies it")

// Check returns nil when the gateway may dial a, or an error naming the
// denied range a falls in (a *DeniedError, or ErrInvalid). A zone is ignored.
func Check(a netip.Addr) error {
	if !a.IsValid() {
		return ErrInvalid
	}
	a = a.WithZone("")
	if a.Is4() {
		if r, ok := match(deniedV4, a); ok {
			return &DeniedError{Addr: a, Range: r.prefix, What: r.what}
		}
		return nil
	}
	if r, ok := match(deniedV6, a); ok {
		return &DeniedError{Addr: a, Range: r.prefix, What: r.what}
	}
	for _, e := range embeddings {
		if !e.prefix.Contains(a) {
			continue
		}
		v4 := e.extract(a.As16())
		if r, ok := match(deniedV4, v4); ok {
			return &DeniedError{Addr: a, Range: r.prefix, What: r.what,
				Embedded: v4, Form: e.form, FormPrefix: e.prefix}
		}
		if e.denyAll {
			return &DeniedError{Addr: a, Range: e.prefix, What: e.form + ", denied whatever it embeds"}
		}
		return nil
	}
	return nil
}

func match(ranges []deniedRange, a netip.Addr) (deniedRange, bool) {
	for _, r := range ranges {
		if r.prefix.Contains(a) {
			return r, true
		}
	}
	return deniedRange{}, false
}

// Policy is the guardrail with an explicit allow list. The zero Policy is [Check].
type Policy struct {
	// Allow lists prefixes the gateway may dial although Check denies them,
	// e.g. 127.0.1.0/24 for the simulated internet in loopback-only mode.
	// Matching is exact: an IPv4-mapped address does not match an IPv4 prefix.
	Allow []netip.Prefix
	// Deny decides the addresses outside Allow; nil is [Check]. Only
	// mutation testing replaces it, with the classifiers real gateways got
	// wrong.
	Deny func(netip.Addr) error
}

// Check returns nil when a is in an allowed prefix, else Deny(a).
func (p Policy) Check(a netip.Addr) error {
	a = a.WithZone("")
	for _, allowed := range p.Allow {
		if allowed.Contains(a) {
			return nil
		}
	}
	if p.Deny != nil {
		return p.Deny(a)
	}
	return Check(a)
}
