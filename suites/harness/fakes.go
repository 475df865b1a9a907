package harness

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/probe"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// UpstreamConfig asks for one of the spec's upstreams. Zero fields take
// the spec's defaults.
type UpstreamConfig struct {
	// Role names the upstream within the spec; default "upstream".
	Role string
	// Addr is host:port; an empty host is a new address of the simulated
	// internet, port 0 any free port (see control.UpstreamSpec.Addr).
	Addr string
	// Hostname the certificate is for; default the spec's hostname.
	Hostname  string
	TLS       upstream.TLSMode
	Protocols []upstream.Protocol
	URIs      []*url.URL
	// Authority signs the certificate; default the spec's CA.
	Authority *pki.Authority
	// ClientCA must have signed client certificates (ClientCertRequired).
	ClientCA *pki.Authority
}

// Upstream is one of the spec's fake upstreams, wherever it runs.
type Upstream struct {
	control.UpstreamInfo
	role    string
	s       *T
	fakes   control.Fakes
	stopped bool
	// gone says the upstream went with its pod; final is its log then.
	gone  bool
	final []upstream.Event
}

// StartUpstream starts an upstream for the spec and stops it when the spec
// ends, keeping its connection log as evidence.
func (s *T) StartUpstream(ctx context.Context, cfg UpstreamConfig) *Upstream {
	GinkgoHelper()
	return s.startUpstream(ctx, s.h.Fakes, cfg)
}

// startUpstream is StartUpstream on the fakes f: the run's, or a real
// pod's own.
func (s *T) startUpstream(ctx context.Context, f control.Fakes, cfg UpstreamConfig) *Upstream {
	GinkgoHelper()
	if cfg.Role == "" {
		cfg.Role = "upstream"
	}
	if cfg.Hostname == "" {
		cfg.Hostname = s.Hostname
	}
	if cfg.Authority == nil {
		cfg.Authority = s.CA()
	}
	authority, err := cfg.Authority.PEM()
	Check(err, "encode the CA of upstream %s", cfg.Role)
	spec := control.UpstreamSpec{
		Role: s.Namespace + "/" + cfg.Role, Addr: cfg.Addr, Hostname: cfg.Hostname,
		TLS: cfg.TLS, Protocols: cfg.Protocols, Authority: &authority,
	}
	for _, u := range cfg.URIs {
		spec.URIs = append(spec.URIs, u.String())
	}
	if cfg.ClientCA != nil {
		spec.ClientCA = string(cfg.ClientCA.CertPEM)
	}
	info, err := f.StartUpstream(ctx, spec)
	Check(err, "start the fake upstream %s", cfg.Role)
	up := &Upstream{UpstreamInfo: info, role: cfg.Role, s: s, fakes: f}
	DeferCleanup(func(ctx SpecContext) {
		if !up.stopped {
			up.Stop(ctx)
		}
	})
	tls := cfg.TLS
	if tls == "" {
		tls = upstream.TLSNone
	}
	s.Note("upstream %s (TLS %s) listening on %s", cfg.Role, tls, info.Addr)
	return up
}

// Name is the upstream's role within the spec.
func (u *Upstream) Name() string { return u.role }

// Host is the address the upstream listens on, as a string.
func (u *Upstream) Host() string { return u.Addr.Addr().String() }

// Port is the upstream's port, as a manifest placeholder.
func (u *Upstream) Port() string { return strconv.Itoa(int(u.Addr.Port())) }

// ListenPort is the port connections arrive on at the upstream: Port,
// unless the fakes advertise it elsewhere (in a cluster, through a
// Service).
func (u *Upstream) ListenPort() string {
	if u.Listen.IsValid() {
		return strconv.Itoa(int(u.Listen.Port()))
	}
	return u.Port()
}

// Log is the upstream's connection log so far.
func (u *Upstream) Log(ctx context.Context) []upstream.Event {
	GinkgoHelper()
	events, err := u.ReadLog(ctx)
	Check(err, "read the log of upstream %s", u.role)
	return events
}

// ReadLog is Log without an assertion, for failure messages. An upstream
// that went with its pod has the log it had then.
func (u *Upstream) ReadLog(ctx context.Context) ([]upstream.Event, error) {
	if u.gone {
		return u.final, nil
	}
	return u.fakes.UpstreamLog(ctx, u.Role)
}

// LogSince is what the upstream logged after its first n entries, for a
// check that must not fail on its own: nothing while the log cannot be
// read.
func (u *Upstream) LogSince(ctx context.Context, n int) []upstream.Event {
	events, err := u.ReadLog(ctx)
	if err != nil || len(events) < n {
		return nil
	}
	return events[n:]
}

// Events are the entries of the upstream's log of the given kinds.
func (u *Upstream) Events(ctx context.Context, kinds ...upstream.EventKind) []upstream.Event {
	GinkgoHelper()
	var out []upstream.Event
	for _, e := range u.Log(ctx) {
		for _, k := range kinds {
			if e.Kind == k {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// Drop closes every connection the upstream accepted so far, so the
// implementation's next request dials, and resolves, anew. An upstream
// that went with its pod has none left.
func (u *Upstream) Drop(ctx context.Context) {
	GinkgoHelper()
	if u.gone {
		return
	}
	Check(u.fakes.DropConnections(ctx, u.Role), "drop the connections of upstream %s", u.role)
}

// Stop stops the upstream, keeping its log as evidence; the spec's end
// does so for every upstream still running.
func (u *Upstream) Stop(ctx context.Context) {
	GinkgoHelper()
	if u.gone {
		u.stopped = true
		return
	}
	if events, err := u.fakes.UpstreamLog(ctx, u.Role); err == nil {
		u.s.evidence.upstreamLog(u.role, events)
	}
	Check(u.fakes.StopUpstream(ctx, u.Role), "stop upstream %s", u.role)
	u.stopped = true
}

// goneWithPod records that the upstream's pod is being deleted, and the
// upstream with it: its log so far becomes its last, kept as evidence.
func (u *Upstream) goneWithPod(ctx context.Context) {
	GinkgoHelper()
	u.final = u.Log(ctx)
	u.s.evidence.upstreamLog(u.role, u.final)
	u.gone = true
}

// Canary is one of the spec's canaries, at an address the implementation
// must never reach.
type Canary struct {
	control.CanaryInfo
	name string
	s    *T
}

// StartCanary listens at addr:port for the spec (port 0 picks one) and
// stops it when the spec ends, keeping its hits as evidence. A target the
// network plan says cannot be watched (the loopback of an implementation
// in pods, IPv6 where it has none) skips the spec with the plan's reason.
func (s *T) StartCanary(ctx context.Context, name string, addr netip.Addr, port uint16) *Canary {
	GinkgoHelper()
	n := s.h.Env.Network
	inPods := addr.IsLoopback() && n.LoopbackInPods
	switch {
	case addr.IsLoopback() && n.NoLoopback != "":
		Skip(fmt.Sprintf("the target %s is the implementation's own loopback, where no canary can listen: %s", addr, n.NoLoopback))
	case inPods && s.loopbackGateway == "":
		Skip(fmt.Sprintf("the target %s is the implementation's own loopback, inside the pods that serve a Gateway, and this scenario starts its canary before naming its Gateway (LoopbackOf)", addr))
	case addr.Is6() && !addr.Is4In6() && !inPods && n.NoIPv6 != "":
		// A pod's ::1 is its own, whatever addresses its network has.
		Skip(fmt.Sprintf("the target %s is an IPv6 address, which the implementation cannot reach: %s", addr, n.NoIPv6))
	}
	spec := control.CanarySpec{
		Name:  s.Namespace + "/" + name,
		Addrs: []string{net.JoinHostPort(addr.String(), strconv.Itoa(int(port)))},
	}
	if inPods {
		spec.Gateway = s.Namespace + "/" + s.loopbackGateway
	}
	info, err := s.h.Fakes.StartCanary(ctx, spec)
	Check(err, "no canary can listen at %s port %d: the network plan (internal/sandbox) must carry this address", addr, port)
	c := &Canary{CanaryInfo: info, name: name, s: s}
	DeferCleanup(func(ctx SpecContext) {
		if hits, err := s.h.Fakes.CanaryHits(ctx, c.Name); err == nil {
			s.evidence.canaryHits(c.name, hits)
		}
		Check(s.h.Fakes.StopCanary(ctx, c.Name), "stop canary %s", c.name)
	})
	return c
}

// LoopbackOf says the spec's canaries on loopback watch the loopback of
// the implementation serving its Gateway of this name, which the spec has
// applied. Where that loopback is inside pods, they exist once the Gateway
// is programmed, which LoopbackOf waits for.
func (s *T) LoopbackOf(ctx context.Context, gateway string) {
	GinkgoHelper()
	s.loopbackGateway = gateway
	if s.h.Env.Network.LoopbackInPods {
		s.GatewayAddress(ctx, gateway)
	}
}

// Label is the canary's name within the spec.
func (c *Canary) Label() string { return c.name }

// Port is the port of the canary's first address.
func (c *Canary) Port() uint16 { return c.Addrs[0].Port() }

// Hits are the connections the canary recorded so far.
func (c *Canary) Hits(ctx context.Context) []canary.Hit {
	GinkgoHelper()
	hits, err := c.s.h.Fakes.CanaryHits(ctx, c.Name)
	Check(err, "read the hits of canary %s", c.name)
	return hits
}

// ProveReachable is the positive control of every "never reached"
// assertion: the harness itself, from where the implementation's clients
// are (its prober), connects to the canary and sees its hit, so a later
// empty hit list means the implementation did not connect, not that the
// canary was deaf or out of reach. The control's hits are then cleared.
func (s *T) ProveReachable(ctx context.Context, c *Canary) {
	GinkgoHelper()
	if c.Proven != "" {
		// Where the harness cannot reach (a data-plane pod's loopback), the
		// fakes sent the request from there before returning the canary.
		s.Note("positive control: canary %s at %v reachable, proven %s", c.name, c.Addrs, c.Proven)
		return
	}
	for _, a := range c.Addrs {
		res, err := s.h.prober.Get(ctx, probe.Request{URL: "http://" + a.String() + "/", Timeout: s.h.Timeouts.Request})
		Check(err, "probe canary %s at %s", c.name, a)
		if res.Error != "" {
			Fault(fmt.Errorf("canary %s at %s is not reachable, so 'never reached' would prove nothing: %s", c.name, a, res.Error))
		}
	}
	s.eventuallyOrFault(ctx, s.h.Timeouts.Request, func(g Gomega) {
		g.Expect(len(c.Hits(ctx))).To(BeNumerically(">=", len(c.Addrs)))
	}, "canary %s did not record the harness's own connection", c.name)
	Check(s.h.Fakes.ClearCanary(ctx, c.Name), "clear canary %s", c.name)
	s.Note("positive control: canary %s at %v reachable", c.name, c.Addrs)
}

// Answer installs the DNS program that answers A queries for name.
func (s *T) Answer(ctx context.Context, name string, p dns.Program) {
	GinkgoHelper()
	s.AnswerType(ctx, name, mdns.TypeA, p)
}

// AnswerType installs the DNS program for (name, qtype).
func (s *T) AnswerType(ctx context.Context, name string, qtype uint16, p dns.Program) {
	GinkgoHelper()
	Check(s.h.Fakes.SetProgram(ctx, mdns.Fqdn(name), qtype, p), "program the DNS answers for %s", name)
	s.evidence.dnsName(name)
}

// ResolveTo makes the spec's hostname resolve to up's address with ttl.
func (s *T) ResolveTo(ctx context.Context, up *Upstream, ttl uint32) {
	GinkgoHelper()
	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(ttl, "A "+up.Host())))
}

// DNSLog is what the rogue DNS was asked for the given names (default the
// spec's hostname) and answered.
func (s *T) DNSLog(ctx context.Context, names ...string) []dns.Query {
	GinkgoHelper()
	if len(names) == 0 {
		names = []string{s.Hostname}
	}
	queries, err := s.h.Fakes.DNSLog(ctx, names...)
	Check(err, "read the DNS log")
	return queries
}

// Served waits, up to the Request timeout, for the DNS log to show an
// answer for name that match accepts, served to the implementation (the
// harness itself never queries the rogue DNS).
func (s *T) Served(ctx context.Context, name string, match func(answer string) bool) (dns.Query, error) {
	ctx, cancel := context.WithTimeout(ctx, s.h.Timeouts.Request)
	defer cancel()
	return s.h.Fakes.WaitDNS(ctx, func(q dns.Query) bool {
		if !strings.EqualFold(strings.TrimSuffix(q.Name, "."), strings.TrimSuffix(name, ".")) {
			return false
		}
		for _, a := range q.Answers {
			if match(a) {
				return true
			}
		}
		return false
	})
}

// AnswerIs matches a logged answer record whose data is want: an address
// in exactly that form (::ffff:127.0.0.1 is not 127.0.0.1), or a name.
func AnswerIs(want string) func(string) bool {
	wantAddr, wantErr := netip.ParseAddr(want)
	return func(answer string) bool {
		got := rdata(answer)
		if wantErr != nil {
			return strings.EqualFold(got, want)
		}
		a, err := netip.ParseAddr(got)
		return err == nil && a == wantAddr
	}
}

// rdata is the data of an answer record as the DNS log writes it
// ("name. 0 IN A 127.0.0.1" gives "127.0.0.1").
func rdata(answer string) string {
	fields := strings.Fields(answer)
	if len(fields) == 0 {
		return ""
	}
	return fields[len(fields)-1]
}
