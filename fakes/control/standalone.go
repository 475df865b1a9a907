package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/probe"
	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// Standalone is the fakes of one Config running in this process, with the control
// API serving them.
type Standalone struct {
	dns      *dns.Server
	local    *Local
	listener net.Listener
	server   *http.Server
	served   chan error   // why the control API stopped serving, unless Close stopped it
	lastUse  atomic.Int64 // when the control API last began a request, in Unix nanoseconds

	stopOnCancel func() bool
	closeOnce    sync.Once
	closeErr     error
}

// Start validates cfg, makes the CA and client certificate, starts the DNS server,
// every upstream and canary of cfg, and serves the control API. Everything stops
// when Close is called or ctx ends.
func Start(ctx context.Context, cfg Config) (*Standalone, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Standalone{served: make(chan error, 1)}
	if err := s.startFakes(ctx, cfg); err != nil {
		return nil, errors.Join(err, s.closeFakes())
	}
	l, err := net.Listen("tcp", cfg.Control.Addr)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("control API: cannot listen on %s (%v); set control.addr to a free host:port", cfg.Control.Addr, unwrapOp(err)), s.closeFakes())
	}
	s.listener = l
	mux := http.NewServeMux()
	mux.Handle("/", NewHandler(s.local))
	mux.Handle("POST /v1/probe", probe.Handler())
	s.lastUse.Store(time.Now().UnixNano())
	used := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.lastUse.Store(time.Now().UnixNano())
		mux.ServeHTTP(w, r)
	})
	s.server = &http.Server{Handler: used, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.server.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			s.served <- err
		}
	}()
	s.stopOnCancel = context.AfterFunc(ctx, func() { _ = s.Close() })
	return s, nil
}

func (s *Standalone) startFakes(ctx context.Context, cfg Config) error {
	ca, err := pki.NewAuthority(cfg.PKI.CACommonName)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	client, err := ca.Issue(pki.LeafOptions{CommonName: cfg.PKI.ClientCommonName, Client: true})
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if s.dns, err = dns.Start(ctx, dns.Config{Zone: cfg.DNS.Zone, Addr: cfg.DNS.Addr}); err != nil {
		return err
	}
	internet, _ := netip.ParsePrefix(cfg.Internet) // withDefaults set it, Validate parsed it
	if s.local, err = NewLocal(LocalOptions{DNS: s.dns, Internet: internet, Guard: cfg.guard(), Authority: ca, Client: client}); err != nil {
		return err
	}
	for i, u := range cfg.Upstreams {
		if err := s.startUpstream(u); err != nil {
			return atConfig(fmt.Sprintf("upstreams[%d]", i), err)
		}
	}
	for i, c := range cfg.Canaries {
		hosts := make([]netip.Addr, len(c.Addrs))
		for j, addr := range c.Addrs {
			hosts[j] = hostOf(addr)
		}
		if _, err := s.local.startCanary(c.Name, "", c.Addrs, hosts, false); err != nil {
			return atConfig(fmt.Sprintf("canaries[%d]", i), err)
		}
	}
	return nil
}

// startUpstream starts an upstream of the config where its addr says, as before the
// control API could start them: 127.0.0.1 when empty, every interface with no host.
// The operator wrote the address, so no guard is asked.
func (s *Standalone) startUpstream(u UpstreamConfig) error {
	addr := u.Addr
	if addr == "" {
		addr = defaultUpstreamAddr
	}
	_, err := s.local.startUpstream(u.spec(), func() (string, netip.Addr) { return addr, hostOf(addr) }, false)
	return err
}

// defaultUpstreamAddr is where an upstream of the config listens when it gives no addr.
const defaultUpstreamAddr = "127.0.0.1:0"

// hostOf is the IP address of a host:port Validate accepted; invalid when it has none.
func hostOf(addr string) netip.Addr {
	host, _, _ := net.SplitHostPort(addr)
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// atConfig places a refusal of a fake of the config at its place in the file.
func atConfig(at string, err error) error {
	var e *InvalidError
	if errors.As(err, &e) {
		return invalid(at+"."+e.Field, "%s", e.Reason)
	}
	return fmt.Errorf("fakes config: %s: %w", at, err)
}

// guard allows loopback (Local does), Internet, the Allow prefixes and the hosts of
// the config's own fakes, and refuses anything else.
func (cfg Config) guard() func(netip.Addr) error {
	internet, _ := netip.ParsePrefix(cfg.Internet)
	allowed := []netip.Prefix{internet.Masked()}
	for _, a := range cfg.Allow {
		p, _ := parsePrefixOrAddr(a) // Validate parsed it
		allowed = append(allowed, p)
	}
	var static []string
	for _, u := range cfg.Upstreams {
		static = append(static, u.Addr)
	}
	for _, c := range cfg.Canaries {
		static = append(static, c.Addrs...)
	}
	for _, addr := range static {
		if a := hostOf(addr); a.IsValid() {
			allowed = append(allowed, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return func(a netip.Addr) error {
		for _, p := range allowed {
			if p.Contains(a.Unmap()) {
				return nil
			}
		}
		return fmt.Errorf("it is neither loopback, in internet %s, in allow, nor an address of a fake of the fakes config; add it to allow there", internet)
	}
}

// URL is the control API's address, e.g. "http://127.0.0.1:41234": what Remote.URL wants.
func (s *Standalone) URL() string { return "http://" + s.listener.Addr().String() }

// Local is the Fakes over the running servers, without the control API in between.
func (s *Standalone) Local() *Local { return s.local }

// Close stops the control API and every fake, and returns once they have ended. It
// may be called more than once.
func (s *Standalone) Close() error {
	s.closeOnce.Do(func() {
		s.stopOnCancel()
		s.closeErr = errors.Join(s.server.Close(), s.closeFakes())
	})
	return s.closeErr
}

func (s *Standalone) closeFakes() error {
	var errs []error
	if s.local != nil {
		errs = append(errs, s.local.Close())
	}
	if s.dns != nil {
		errs = append(errs, s.dns.Close())
	}
	return errors.Join(errs...)
}

// Run is `xbcheck fakes`: it starts cfg, writes where everything listens to log, and
// serves until ctx ends. The first line is "control-api URL", for a script to read;
// one line per fake follows.
func Run(ctx context.Context, cfg Config, log io.Writer) error {
	s, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	sum, err := s.local.Summary(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "control-api %s\n", s.URL())
	fmt.Fprintf(log, "dns %s zone %s\n", sum.DNS.Addr, sum.DNS.Zone)
	for _, u := range sum.Upstreams {
		fmt.Fprintf(log, "upstream %s %s token %s\n", u.Role, u.Addr, u.Token)
	}
	for _, c := range sum.Canaries {
		fmt.Fprintf(log, "canary %s %v token %s\n", c.Name, c.Addrs, c.Token)
	}
	idle := s.idle(ctx, cfg.Control.ExitWhenIdle)
	select {
	case <-ctx.Done():
		fmt.Fprintf(log, "stopping: %v\n", context.Cause(ctx))
		return s.Close()
	case d := <-idle:
		fmt.Fprintf(log, "stopping: no request to the control API for %s\n", d)
		return s.Close()
	case err := <-s.served:
		return fmt.Errorf("control API stopped: %w", err)
	}
}

// idle delivers the idle time once the control API has had no request for after
// (a duration Validate accepted); with after empty it never does.
func (s *Standalone) idle(ctx context.Context, after string) <-chan time.Duration {
	out := make(chan time.Duration, 1)
	limit, err := time.ParseDuration(after)
	if err != nil || limit <= 0 {
		return out
	}
	go func() {
		tick := time.NewTicker(max(min(limit/4, time.Second), time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				if d := now.Sub(time.Unix(0, s.lastUse.Load())); d >= limit {
					out <- d.Round(time.Millisecond)
					return
				}
			}
		}
	}()
	return out
}
