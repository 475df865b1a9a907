package control

import (
	"context"
	"errors"

	mdns "github.com/miekg/dns"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// Local is Fakes over servers running in this process. DNS is required; upstream
// roles and canary names are looked up in the order given, and should be unique.
// Authority and Client are what PKI returns; leave them nil if nothing asks for it.
type Local struct {
	DNS       *dns.Server
	Upstreams []*upstream.Server
	Canaries  []*canary.Canary
	Authority *pki.Authority // the CA of the upstreams' certificates
	Client    *pki.Leaf      // a client certificate the ClientCertRequired upstreams accept
}

var _ Fakes = (*Local)(nil)

// Summary lists every fake with its addresses and token.
func (l *Local) Summary(context.Context) (Summary, error) {
	s := Summary{
		DNS:       DNSSummary{Zone: l.DNS.Zone(), Addr: l.DNS.Addr()},
		Upstreams: make([]UpstreamSummary, 0, len(l.Upstreams)),
		Canaries:  make([]CanarySummary, 0, len(l.Canaries)),
	}
	for _, u := range l.Upstreams {
		s.Upstreams = append(s.Upstreams, UpstreamSummary{Role: u.Role(), Addr: u.Addr(), Token: u.Token()})
	}
	for _, c := range l.Canaries {
		s.Canaries = append(s.Canaries, CanarySummary{Name: c.Name(), Addrs: nonNil(c.Addrs()), Token: c.Token()})
	}
	return s, nil
}

var errNoPKI = errors.New("no CA is known to these fakes; set Local.Authority and Local.Client")

// PKI returns the CA and the client certificate as PEM.
func (l *Local) PKI(context.Context) (PKI, error) {
	if l.Authority == nil || l.Client == nil {
		return PKI{}, errNoPKI
	}
	return PKI{CA: string(l.Authority.CertPEM), ClientCert: string(l.Client.CertPEM), ClientKey: string(l.Client.KeyPEM)}, nil
}

// SetProgram installs p on the DNS server; a program it refuses is an *InvalidError.
func (l *Local) SetProgram(_ context.Context, name string, qtype uint16, p dns.Program) error {
	if !mdns.IsSubDomain(l.DNS.Zone(), mdns.CanonicalName(name)) {
		return &InvalidError{Field: "name", Reason: "name " + name + " is not in zone " + l.DNS.Zone() + "; use a name under it"}
	}
	if err := l.DNS.Program(name, qtype, p); err != nil {
		return &InvalidError{Reason: err.Error()}
	}
	return nil
}

// ClearPrograms removes every DNS program.
func (l *Local) ClearPrograms(context.Context) error {
	l.DNS.Clear()
	return nil
}

// DNSLog returns the DNS query log.
func (l *Local) DNSLog(context.Context) ([]dns.Query, error) {
	return nonNil(l.DNS.Log()), nil
}

// ClearDNSLog empties the DNS query log.
func (l *Local) ClearDNSLog(context.Context) error {
	l.DNS.ClearLog()
	return nil
}

// WaitDNS waits on the DNS server's own log.
func (l *Local) WaitDNS(ctx context.Context, match func(dns.Query) bool) (dns.Query, error) {
	return l.DNS.Wait(ctx, match)
}

// UpstreamLog returns the connection log of the upstream with this role.
func (l *Local) UpstreamLog(_ context.Context, role string) ([]upstream.Event, error) {
	u, err := l.upstream(role)
	if err != nil {
		return nil, err
	}
	return nonNil(u.Log().Entries()), nil
}

// ClearUpstreamLog empties the connection log of the upstream with this role.
func (l *Local) ClearUpstreamLog(_ context.Context, role string) error {
	u, err := l.upstream(role)
	if err != nil {
		return err
	}
	u.Log().Reset()
	return nil
}

// WaitUpstream waits on the upstream's own log.
func (l *Local) WaitUpstream(ctx context.Context, role string, match func(upstream.Event) bool) (upstream.Event, error) {
	u, err := l.upstream(role)
	if err != nil {
		return upstream.Event{}, err
	}
	return u.Log().Wait(ctx, match)
}

// CanaryHits returns the hits of the canary with this name.
func (l *Local) CanaryHits(_ context.Context, name string) ([]canary.Hit, error) {
	c, err := l.canary(name)
	if err != nil {
		return nil, err
	}
	return nonNil(c.Hits()), nil
}

// ClearCanary forgets the hits of the canary with this name.
func (l *Local) ClearCanary(_ context.Context, name string) error {
	c, err := l.canary(name)
	if err != nil {
		return err
	}
	c.Reset()
	return nil
}

// WaitCanary waits on the canary's own hits.
func (l *Local) WaitCanary(ctx context.Context, name string, match func(canary.Hit) bool) (canary.Hit, error) {
	c, err := l.canary(name)
	if err != nil {
		return canary.Hit{}, err
	}
	return c.Wait(ctx, match)
}

func (l *Local) upstream(role string) (*upstream.Server, error) {
	known := make([]string, 0, len(l.Upstreams))
	for _, u := range l.Upstreams {
		if u.Role() == role {
			return u, nil
		}
		known = append(known, u.Role())
	}
	return nil, &NotFoundError{Fake: "upstream", Name: role, Known: known}
}

func (l *Local) canary(name string) (*canary.Canary, error) {
	known := make([]string, 0, len(l.Canaries))
	for _, c := range l.Canaries {
		if c.Name() == name {
			return c, nil
		}
		known = append(known, c.Name())
	}
	return nil, &NotFoundError{Fake: "canary", Name: name, Known: known}
}

// nonNil makes an empty result an empty slice, so it reads as [] in JSON on both paths.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
