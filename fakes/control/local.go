package control

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	mdns "github.com/miekg/dns"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// LocalOptions says what a Local works with. DNS is required; every other field has a
// default.
type LocalOptions struct {
	// DNS is the rogue DNS server. The caller owns it: Local.Close leaves it running.
	DNS *dns.Server
	// Internet is where an upstream whose spec names no host goes; default
	// DefaultInternet.
	Internet netip.Prefix
	// Guard is asked before any address that is not loopback is bound, and its error
	// is the refusal (in the harness, sandbox.Guard). Nil allows loopback only. It is
	// called from several goroutines at once when specs start fakes side by side.
	Guard func(netip.Addr) error
	// Authority is the fakes' own CA: it signs the upstreams' certificates unless a
	// spec brings its own, and verifies client certificates unless a spec names
	// another ClientCA. Client is a client certificate it signed. Both are made when
	// nil; Client needs its Authority.
	Authority *pki.Authority
	Client    *pki.Leaf
}

// Local is Fakes over servers running in this process: a registry of the upstreams
// and canaries it started, beside a DNS server it was given. Its methods are safe for
// concurrent use.
type Local struct {
	dns       *dns.Server
	internet  Internet
	guard     func(netip.Addr) error
	authority *pki.Authority
	client    *pki.Leaf

	mu        sync.Mutex
	upstreams registry[*upstream.Server]
	canaries  registry[*canary.Canary]
	closed    bool
}

var _ Fakes = (*Local)(nil)

// NewLocal returns a Local with no upstream and no canary.
func NewLocal(opts LocalOptions) (*Local, error) {
	if opts.DNS == nil {
		return nil, errors.New("control: LocalOptions.DNS is nil; start a dns.Server and give it")
	}
	if opts.Client != nil && opts.Authority == nil {
		return nil, errors.New("control: LocalOptions.Client is set without the Authority that signed it; give both, or neither to have them made")
	}
	l := &Local{
		dns:       opts.DNS,
		internet:  Internet{Prefix: opts.Internet},
		guard:     opts.Guard,
		authority: opts.Authority,
		client:    opts.Client,
		upstreams: registry[*upstream.Server]{fake: "upstream", field: "role"},
		canaries:  registry[*canary.Canary]{fake: "canary", field: "name"},
	}
	if !l.internet.Prefix.IsValid() {
		l.internet.Prefix = netip.MustParsePrefix(DefaultInternet)
	}
	l.internet.Prefix = l.internet.Prefix.Masked()
	if first, _ := hostRange(l.internet.Prefix); l.bindRefusal(first) != "" {
		return nil, fmt.Errorf("control: LocalOptions.Internet %s: %s; use a loopback prefix such as %s, or a Guard that allows it", l.internet.Prefix, l.bindRefusal(first), DefaultInternet)
	}
	if l.authority == nil {
		ca, err := pki.NewAuthority(DefaultCACommonName)
		if err != nil {
			return nil, fmt.Errorf("control: %w", err)
		}
		l.authority = ca
	}
	if l.client == nil {
		leaf, err := l.authority.Issue(pki.LeafOptions{CommonName: DefaultClientCommonName, Client: true})
		if err != nil {
			return nil, fmt.Errorf("control: %w", err)
		}
		l.client = leaf
	}
	return l, nil
}

// errClosed refuses a start on a closed Local.
var errClosed = errors.New("control: these fakes are closed; make new ones to start more")

// Close stops every upstream and canary the Local started, and refuses to start
// more. The DNS server keeps running. It may be called more than once.
func (l *Local) Close() error {
	l.mu.Lock()
	l.closed = true
	ups, cans := l.upstreams.takeRunning(), l.canaries.takeRunning()
	l.mu.Unlock()
	var errs []error
	for _, e := range ups {
		e.stop()
		errs = append(errs, e.fake.Close())
	}
	for _, e := range cans {
		e.stop()
		errs = append(errs, e.fake.Close())
	}
	return errors.Join(errs...)
}

// Summary lists the DNS server and every running fake, in start order.
func (l *Local) Summary(context.Context) (Summary, error) {
	l.mu.Lock()
	ups, cans := l.upstreams.running(), l.canaries.running()
	l.mu.Unlock()
	s := Summary{
		DNS:       DNSSummary{Zone: l.dns.Zone(), Addr: l.dns.Addr()},
		Internet:  l.internet.Prefix,
		Upstreams: make([]UpstreamSummary, 0, len(ups)),
		Canaries:  make([]CanarySummary, 0, len(cans)),
	}
	for _, u := range ups {
		s.Upstreams = append(s.Upstreams, upstreamInfo(u))
	}
	for _, c := range cans {
		s.Canaries = append(s.Canaries, canaryInfo(c))
	}
	return s, nil
}

func upstreamInfo(u *upstream.Server) UpstreamInfo {
	return UpstreamInfo{Role: u.Role(), Addr: u.Addr(), Token: u.Token()}
}

func canaryInfo(c *canary.Canary) CanaryInfo {
	return CanaryInfo{Name: c.Name(), Addrs: nonNil(c.Addrs()), Token: c.Token()}
}

// PKI returns the fakes' own CA and client certificate as PEM.
func (l *Local) PKI(context.Context) (PKI, error) {
	return PKI{CA: string(l.authority.CertPEM), ClientCert: string(l.client.CertPEM), ClientKey: string(l.client.KeyPEM)}, nil
}

// SetProgram installs p on the DNS server; a program it refuses is an *InvalidError.
// A name outside the zone is answered as a recursive resolver would (see dns.Server.Program).
func (l *Local) SetProgram(_ context.Context, name string, qtype uint16, p dns.Program) error {
	if _, ok := mdns.IsDomainName(name); !ok || mdns.CanonicalName(name) == "." {
		return &InvalidError{Field: "name", Reason: "name " + name + " is not a domain name; use one such as www." + l.dns.Zone()}
	}
	if err := l.dns.Program(name, qtype, p); err != nil {
		return &InvalidError{Reason: err.Error()}
	}
	return nil
}

// ClearPrograms removes every DNS program.
func (l *Local) ClearPrograms(context.Context) error {
	l.dns.Clear()
	return nil
}

// DNSLog returns the DNS query log, or the queries for names only.
func (l *Local) DNSLog(_ context.Context, names ...string) ([]dns.Query, error) {
	return nonNil(filterNames(l.dns.Log(), names)), nil
}

// filterNames keeps the queries for names (any case, final dot or not); all of them
// when names is empty.
func filterNames(log []dns.Query, names []string) []dns.Query {
	if len(names) == 0 {
		return log
	}
	want := map[string]bool{}
	for _, n := range names {
		want[mdns.CanonicalName(n)] = true
	}
	return slices.DeleteFunc(log, func(q dns.Query) bool { return !want[mdns.CanonicalName(q.Name)] })
}

// ClearDNSLog empties the DNS query log.
func (l *Local) ClearDNSLog(context.Context) error {
	l.dns.ClearLog()
	return nil
}

// WaitDNS waits on the DNS server's own log.
func (l *Local) WaitDNS(ctx context.Context, match func(dns.Query) bool) (dns.Query, error) {
	return l.dns.Wait(ctx, match)
}

// StartUpstream starts an upstream, on the next address of the simulated internet
// when the spec names no host. A spec it refuses, a role in use, an address the Guard
// refuses or one it cannot listen on is an *InvalidError.
func (l *Local) StartUpstream(ctx context.Context, spec UpstreamSpec) (UpstreamInfo, error) {
	if err := ctx.Err(); err != nil {
		return UpstreamInfo{}, err
	}
	host, port, err := ParseUpstreamAddr(spec.Addr)
	if err != nil {
		return UpstreamInfo{}, err
	}
	return l.startUpstream(spec, func() (string, netip.Addr) {
		if !host.IsValid() {
			host = l.allocate()
		}
		return net.JoinHostPort(host.String(), strconv.Itoa(int(port))), host
	}, true)
}

// startUpstream starts spec listening where bind says; bind runs under l.mu and
// returns the address to listen on and the host it holds. Unless guarded is false
// (for addresses an operator wrote in the fakes config), the host must pass checkBind.
func (l *Local) startUpstream(spec UpstreamSpec, bind func() (string, netip.Addr), guarded bool) (UpstreamInfo, error) {
	cfg, err := l.upstreamConfig(spec)
	if err != nil {
		return UpstreamInfo{}, err
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return UpstreamInfo{}, errClosed
	}
	addr, host := bind()
	e, err := l.upstreams.reserve(spec.Role, []netip.Addr{host})
	l.mu.Unlock()
	if err != nil {
		return UpstreamInfo{}, err
	}
	srv, err := l.listenUpstream(cfg, addr, host, guarded)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil:
		l.upstreams.release(e)
		return UpstreamInfo{}, err
	case l.closed: // Close ran meanwhile and could not see this one
		l.upstreams.release(e)
		return UpstreamInfo{}, errors.Join(errClosed, srv.Close())
	}
	e.fake, e.running = srv, true
	return upstreamInfo(srv), nil
}

func (l *Local) listenUpstream(cfg upstream.Config, addr string, host netip.Addr, guarded bool) (*upstream.Server, error) {
	if guarded {
		if err := l.checkBind("addr", host); err != nil {
			return nil, err
		}
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &InvalidError{Field: "addr", Reason: fmt.Sprintf("cannot listen on %s (%v); choose another port, or 0 for a free one", addr, unwrapOp(err))}
	}
	cfg.Listener = listener
	// The upstream lives until it is stopped, not until the request that started it ends.
	srv, err := upstream.Start(context.Background(), cfg)
	if err != nil {
		_ = listener.Close()
		return nil, err
	}
	return srv, nil
}

// upstreamConfig checks spec and turns it into an upstream.Config without a listener.
func (l *Local) upstreamConfig(spec UpstreamSpec) (upstream.Config, error) {
	if field, reason := spec.check(); field != "" {
		return upstream.Config{}, &InvalidError{Field: field, Reason: reason}
	}
	cfg := upstream.Config{
		Role: spec.Role, Hostname: spec.Hostname, TLS: spec.TLS, Protocols: spec.Protocols,
		Authority: l.authority, ClientCA: l.authority,
	}
	for _, raw := range spec.URIs {
		u, _ := url.Parse(raw) // check parsed it already
		cfg.URIs = append(cfg.URIs, u)
	}
	if spec.Authority != nil {
		ca, err := pki.ParseAuthority(*spec.Authority)
		if err != nil {
			// pki says "authority cert: ..." or "authority key: ...": the JSON path of the field.
			field, reason, ok := strings.Cut(err.Error(), ": ")
			if !ok || !strings.HasPrefix(field, "authority ") {
				field, reason = "authority", err.Error()
			}
			return upstream.Config{}, &InvalidError{Field: strings.Replace(field, " ", ".", 1), Reason: reason}
		}
		cfg.Authority = ca
	}
	if spec.ClientCA != "" {
		block, _ := pem.Decode([]byte(spec.ClientCA))
		if block == nil || block.Type != "CERTIFICATE" {
			return upstream.Config{}, &InvalidError{Field: "clientCA", Reason: "no PEM CERTIFICATE block; give the CA certificate as PEM (-----BEGIN CERTIFICATE-----)"}
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return upstream.Config{}, &InvalidError{Field: "clientCA", Reason: fmt.Sprintf("%v; give a PEM certificate that parses", err)}
		}
		// Only the certificate is needed to verify clients; the key stays with its owner.
		cfg.ClientCA = &pki.Authority{Cert: cert, CertPEM: pem.EncodeToMemory(block)}
	}
	return cfg, nil
}

// StopUpstream closes the upstream with this role and forgets it; its address and
// role are free again once it returns.
func (l *Local) StopUpstream(_ context.Context, role string) error {
	l.mu.Lock()
	e, err := l.upstreams.get(role)
	if err == nil {
		l.upstreams.release(e)
	}
	l.mu.Unlock()
	if err != nil {
		return err
	}
	e.stop()
	return e.fake.Close()
}

// DropConnections closes every connection the upstream with this role accepted so far.
func (l *Local) DropConnections(_ context.Context, role string) error {
	u, err := l.upstream(role)
	if err != nil {
		return err
	}
	u.fake.DropConnections()
	return nil
}

// UpstreamLog returns the connection log of the upstream with this role.
func (l *Local) UpstreamLog(_ context.Context, role string) ([]upstream.Event, error) {
	u, err := l.upstream(role)
	if err != nil {
		return nil, err
	}
	return nonNil(u.fake.Log().Entries()), nil
}

// ClearUpstreamLog empties the connection log of the upstream with this role.
func (l *Local) ClearUpstreamLog(_ context.Context, role string) error {
	u, err := l.upstream(role)
	if err != nil {
		return err
	}
	u.fake.Log().Reset()
	return nil
}

// WaitUpstream waits on the upstream's own log. If the upstream is stopped meanwhile,
// the wait ends with the *NotFoundError a Remote's next poll would meet.
func (l *Local) WaitUpstream(ctx context.Context, role string, match func(upstream.Event) bool) (upstream.Event, error) {
	u, err := l.upstream(role)
	if err != nil {
		return upstream.Event{}, err
	}
	ctx, done := u.untilStopped(ctx)
	defer done()
	ev, err := u.fake.Log().Wait(ctx, match)
	if err != nil && errors.Is(context.Cause(ctx), errStopped) {
		_, err = l.upstream(role)
	}
	return ev, err
}

// StartCanary starts a canary. A spec it refuses, a name in use, an address the Guard
// refuses or one it cannot listen on is an *InvalidError.
func (l *Local) StartCanary(ctx context.Context, spec CanarySpec) (CanaryInfo, error) {
	if err := ctx.Err(); err != nil {
		return CanaryInfo{}, err
	}
	if spec.Name == "" {
		return CanaryInfo{}, &InvalidError{Field: "name", Reason: "empty; give the canary a name unique among the running ones, such as metadata"}
	}
	if len(spec.Addrs) == 0 {
		return CanaryInfo{}, &InvalidError{Field: "addrs", Reason: "empty; list the host:port addresses the canary listens on"}
	}
	addrs := make([]string, len(spec.Addrs))
	hosts := make([]netip.Addr, len(spec.Addrs))
	for i, raw := range spec.Addrs {
		ap, err := parseCanaryAddr(fmt.Sprintf("addrs[%d]", i), raw)
		if err != nil {
			return CanaryInfo{}, err
		}
		addrs[i], hosts[i] = ap.String(), ap.Addr()
	}
	return l.startCanary(spec.Name, spec.Token, addrs, hosts, true)
}

// startCanary starts a canary listening on addrs, whose hosts are hosts; unless
// guarded is false (for addresses an operator wrote in the fakes config), every host
// must pass checkBind.
func (l *Local) startCanary(name, token string, addrs []string, hosts []netip.Addr, guarded bool) (CanaryInfo, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return CanaryInfo{}, errClosed
	}
	e, err := l.canaries.reserve(name, hosts)
	l.mu.Unlock()
	if err != nil {
		return CanaryInfo{}, err
	}
	c, err := l.listenCanary(name, token, addrs, hosts, guarded)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil:
		l.canaries.release(e)
		return CanaryInfo{}, err
	case l.closed:
		l.canaries.release(e)
		return CanaryInfo{}, errors.Join(errClosed, c.Close())
	}
	e.fake, e.running = c, true
	return canaryInfo(c), nil
}

func (l *Local) listenCanary(name, token string, addrs []string, hosts []netip.Addr, guarded bool) (*canary.Canary, error) {
	if guarded {
		for i, h := range hosts {
			if err := l.checkBind(fmt.Sprintf("addrs[%d]", i), h); err != nil {
				return nil, err
			}
		}
	}
	var listeners []net.Listener
	closeAll := func() {
		for _, ln := range listeners {
			_ = ln.Close()
		}
	}
	for i, addr := range addrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll()
			return nil, &InvalidError{Field: fmt.Sprintf("addrs[%d]", i), Reason: fmt.Sprintf("cannot listen on %s (%v); choose another port, or 0 for a free one", addr, unwrapOp(err))}
		}
		listeners = append(listeners, ln)
	}
	// The canary lives until it is stopped, not until the request that started it ends.
	c, err := canary.Start(context.Background(), canary.Config{Name: name, Token: token, Listeners: listeners})
	if err != nil {
		closeAll()
		return nil, err
	}
	return c, nil
}

// StopCanary closes the canary with this name and forgets it.
func (l *Local) StopCanary(_ context.Context, name string) error {
	l.mu.Lock()
	e, err := l.canaries.get(name)
	if err == nil {
		l.canaries.release(e)
	}
	l.mu.Unlock()
	if err != nil {
		return err
	}
	e.stop()
	return e.fake.Close()
}

// CanaryHits returns the hits of the canary with this name.
func (l *Local) CanaryHits(_ context.Context, name string) ([]canary.Hit, error) {
	c, err := l.canary(name)
	if err != nil {
		return nil, err
	}
	return nonNil(c.fake.Hits()), nil
}

// ClearCanary forgets the hits of the canary with this name.
func (l *Local) ClearCanary(_ context.Context, name string) error {
	c, err := l.canary(name)
	if err != nil {
		return err
	}
	c.fake.Reset()
	return nil
}

// WaitCanary waits on the canary's own hits. If the canary is stopped meanwhile, the
// wait ends with the *NotFoundError a Remote's next poll would meet.
func (l *Local) WaitCanary(ctx context.Context, name string, match func(canary.Hit) bool) (canary.Hit, error) {
	c, err := l.canary(name)
	if err != nil {
		return canary.Hit{}, err
	}
	ctx, done := c.untilStopped(ctx)
	defer done()
	hit, err := c.fake.Wait(ctx, match)
	if err != nil && errors.Is(context.Cause(ctx), errStopped) {
		_, err = l.canary(name)
	}
	return hit, err
}

func (l *Local) upstream(role string) (*entry[*upstream.Server], error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.upstreams.get(role)
}

func (l *Local) canary(name string) (*entry[*canary.Canary], error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.canaries.get(name)
}

// checkBind refuses an address that is not loopback unless the Guard allows it, as
// an *InvalidError on field.
func (l *Local) checkBind(field string, a netip.Addr) error {
	if reason := l.bindRefusal(a); reason != "" {
		return &InvalidError{Field: field, Reason: reason}
	}
	return nil
}

// bindRefusal says why a may not be bound, or returns "".
func (l *Local) bindRefusal(a netip.Addr) string {
	switch {
	case a.Unmap().IsLoopback():
		return ""
	case l.guard == nil:
		return fmt.Sprintf("%s is not loopback, and these fakes may bind loopback only; use an address in 127.0.0.0/8 or ::1", a)
	}
	if err := l.guard(a); err != nil {
		return fmt.Sprintf("may not bind %s: %v", a, err)
	}
	return ""
}

// unwrapOp drops the "listen tcp ADDR:" prefix of a listen error, which the message
// around it already says.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// nonNil makes an empty result an empty slice, so it reads as [] in JSON on both paths.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
