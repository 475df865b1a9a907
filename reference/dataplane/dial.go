package dataplane

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"

	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/guardrail"
)

// dialer opens TCP connections to an XBackend: it resolves for every new
// connection, vets each address with the guardrail and dials the vetted IP
// literal, so no second lookup can swap the address after the check.
type dialer struct {
	resolver Resolver // the TTL cache
	direct   Resolver // the uncached resolver, for the check-at-resolve-only fault's second lookup
	policy   guardrail.Policy
	faults   faults.Set
	net      net.Dialer
}

func newDialer(r Resolver, o Options) *dialer {
	var cached Resolver = newCache(ipv4Only(r, o.Faults), o.Faults)
	if o.Faults.Has(faults.UncheckedDNSRefresh) {
		cached = newRefresher(r, refreshEvery)
	}
	d := &dialer{
		resolver: cached,
		direct:   r,
		policy:   faultyPolicy(o.Guardrail, o.Faults),
		faults:   o.Faults,
		net:      net.Dialer{Timeout: o.DialTimeout},
	}
	// Second line: check the address the socket actually connects to.
	// The rebinding faults take it away, as the bugs they imitate have none.
	if !o.Faults.Has(faults.FollowRebind) && !o.Faults.Has(faults.CheckAtResolveOnly) && !o.Faults.Has(faults.TrustCNAMEChain) && !o.Faults.Has(faults.UncheckedDNSRefresh) {
		d.net.Control = d.control
	}
	return d
}

func (d *dialer) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("egress guardrail: cannot parse dialled address %q: %w", address, err)
	}
	if err := d.policy.Check(ap.Addr()); err != nil {
		return fmt.Errorf("egress guardrail: %w", err)
	}
	return nil
}

// check is the first line, on each resolved address before dialling it.
func (d *dialer) check(a Answer) error {
	if d.faults.Has(faults.FollowRebind) || d.faults.Has(faults.TrustCNAMEChain) && a.Via != "" ||
		d.faults.Has(faults.UncheckedDNSRefresh) && a.Refreshed {
		return nil
	}
	return d.policy.Check(a.Addr)
}

// DialContext dials addr (host:port): it tries the allowed addresses of host
// in answer order and fails naming every denied address and its range.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("dial %s: bad port %q", addr, portText)
	}
	answers, err := lookup(ctx, d.resolver, host)
	if err != nil {
		return nil, err
	}
	var denied, failed []string
	var allowed []netip.Addr
	for _, a := range answers {
		if err := d.check(a); err != nil {
			denied = append(denied, err.Error())
			continue
		}
		allowed = append(allowed, a.Addr)
	}
	if len(allowed) == 0 {
		return nil, fmt.Errorf("dial %s: every address is denied by the egress guardrail: %s", host, strings.Join(denied, "; "))
	}
	if d.faults.Has(faults.CheckAtResolveOnly) {
		return d.dialSecondLookup(ctx, host, uint16(port))
	}
	for _, a := range allowed {
		conn, err := d.net.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		failed = append(failed, err.Error())
	}
	return nil, fmt.Errorf("dial %s: %s", host, strings.Join(append(failed, denied...), "; "))
}

// dialSecondLookup is the check-at-resolve-only fault: the addresses checked
// above are dropped and the name is resolved again, uncached and unchecked.
func (d *dialer) dialSecondLookup(ctx context.Context, host string, port uint16) (net.Conn, error) {
	answers, err := lookup(ctx, d.direct, host)
	if err != nil {
		return nil, err
	}
	return d.net.DialContext(ctx, "tcp", netip.AddrPortFrom(answers[0].Addr, port).String())
}

// lookup resolves host, or takes it as it is when it is an IP literal
// (which only a controller with the accept-ip-literal fault lets through).
func lookup(ctx context.Context, r Resolver, host string) ([]Answer, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []Answer{{Addr: a}}, nil
	}
	answers, err := r.Resolve(ctx, host)
	if err == nil && len(answers) == 0 {
		err = fmt.Errorf("resolve %s: no addresses", host)
	}
	return answers, err
}
