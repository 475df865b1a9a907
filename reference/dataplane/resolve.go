package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/xbcheck/xbcheck/reference/faults"
)

// Answer is one resolved address and how long it may be used for new connections.
type Answer struct {
	Addr netip.Addr
	// TTL is the smallest TTL along the answer's CNAME chain and its A/AAAA record.
	TTL time.Duration
	// Via is the name a CNAME chain led to, which owns the address; empty
	// when the name asked owns it. It changes nothing for the guardrail,
	// which vets every address whatever name it came through (only the
	// trust-cname-chain fault reads it).
	Via string
	// Refreshed says the answer came from a background refresh after the
	// first resolution (only the unchecked-dns-refresh fault does those).
	Refreshed bool
}

// Resolver turns an XBackend hostname into addresses. [DNS] is the real one;
// tests script answers with their own.
type Resolver interface {
	Resolve(ctx context.Context, host string) ([]Answer, error)
}

// DNS resolves by asking one DNS server directly (the rogue DNS in the
// harness), for A and AAAA, following CNAME chains within each answer.
type DNS struct {
	Server  string        // host:port, e.g. 127.0.0.53:53
	Timeout time.Duration // per query; zero means 2s
}

// maxCNAMEHops bounds a CNAME chain inside one answer, so a loop cannot spin.
const maxCNAMEHops = 8

// Resolve asks for A and AAAA at once and returns the A answers first. It
// fails only when neither query yields an address.
func (d DNS) Resolve(ctx context.Context, host string) ([]Answer, error) {
	type result struct {
		answers []Answer
		err     error
	}
	aaaa := make(chan result, 1)
	go func() {
		answers, err := d.query(ctx, host, dns.TypeAAAA)
		aaaa <- result{answers, err}
	}()
	answers, errA := d.query(ctx, host, dns.TypeA)
	r := <-aaaa
	answers = append(answers, r.answers...)
	switch {
	case len(answers) > 0:
		return answers, nil
	case errA != nil:
		return nil, errA
	case r.err != nil:
		return nil, r.err
	}
	return nil, fmt.Errorf("DNS server %s has no A or AAAA record for %s: check the name", d.Server, host)
}

func (d DNS) query(ctx context.Context, host string, qtype uint16) ([]Answer, error) {
	timeout := d.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(host), qtype)
	client := &dns.Client{Net: "udp", Timeout: timeout}
	in, _, err := client.ExchangeContext(ctx, m, d.Server)
	if err == nil && in.Truncated {
		client.Net = "tcp"
		in, _, err = client.ExchangeContext(ctx, m, d.Server)
	}
	qname := dns.TypeToString[qtype]
	if err != nil {
		return nil, fmt.Errorf("DNS %s %s at %s: %w", qname, host, d.Server, err)
	}
	if in.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("DNS %s %s at %s: %s", qname, host, d.Server, dns.RcodeToString[in.Rcode])
	}
	return addresses(in.Answer, dns.Fqdn(host)), nil
}

// addresses follows the CNAME chain from name through the records and
// returns the A/AAAA records of its end, each with the chain's smallest TTL.
func addresses(records []dns.RR, name string) []Answer {
	asked := name
	chainTTL := ^uint32(0)
	for range maxCNAMEHops {
		next := ""
		for _, rr := range records {
			if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, name) {
				next, chainTTL = c.Target, min(chainTTL, c.Hdr.Ttl)
				break
			}
		}
		if next == "" {
			break
		}
		name = next
	}
	var answers []Answer
	for _, rr := range records {
		if !strings.EqualFold(rr.Header().Name, name) {
			continue
		}
		var ip []byte
		switch rr := rr.(type) {
		case *dns.A:
			ip = rr.A.To4()
		case *dns.AAAA:
			ip = rr.AAAA.To16()
		default:
			continue
		}
		if addr, ok := netip.AddrFromSlice(ip); ok {
			ttl := min(chainTTL, rr.Header().Ttl)
			a := Answer{Addr: addr, TTL: time.Duration(ttl) * time.Second}
			if !strings.EqualFold(name, asked) {
				a.Via = name
			}
			answers = append(answers, a)
		}
	}
	return answers
}

// cache keeps each host's answers until the smallest TTL among them expires,
// so a TTL of 0 makes every new connection resolve again.
type cache struct {
	resolver Resolver
	forever  bool       // the cache-dns-forever fault
	choices  faults.Set // dns-min-ttl and dns-no-cache act here
	now      func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	answers []Answer
	expires time.Time
}

func newCache(r Resolver, fs faults.Set) *cache {
	return &cache{resolver: r, forever: fs.Has(faults.CacheDNSForever), choices: fs, now: time.Now, entries: map[string]cacheEntry{}}
}

// Resolve returns cached answers while they are fresh. A failed lookup is
// returned as is: answers past their TTL are never used again.
func (c *cache) Resolve(ctx context.Context, host string) ([]Answer, error) {
	c.mu.Lock()
	e, ok := c.entries[host]
	c.mu.Unlock()
	if ok && (c.forever || c.now().Before(e.expires)) {
		return e.answers, nil
	}
	answers, err := c.resolver.Resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	ttl := time.Duration(0)
	for i, a := range answers {
		if i == 0 || a.TTL < ttl {
			ttl = a.TTL
		}
	}
	c.mu.Lock()
	c.entries[host] = cacheEntry{answers: answers, expires: c.now().Add(cacheTTL(ttl, c.choices))}
	c.mu.Unlock()
	return answers, nil
}
