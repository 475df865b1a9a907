package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// Standalone is the fakes of one Config running in this process, with the control
// API serving them.
type Standalone struct {
	local    *Local
	listener net.Listener
	server   *http.Server
	served   chan error // why the control API stopped serving, unless Close stopped it

	stopOnCancel func() bool
	closeOnce    sync.Once
	closeErr     error
}

// Start validates cfg, makes the CA and client certificate, starts the DNS server,
// every upstream and canary, and serves the control API. Everything stops when
// Close is called or ctx ends.
func Start(ctx context.Context, cfg Config) (*Standalone, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Standalone{local: &Local{}, served: make(chan error, 1)}
	if err := s.startFakes(ctx, cfg); err != nil {
		return nil, errors.Join(err, s.closeFakes())
	}
	l, err := net.Listen("tcp", cfg.Control.Addr)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("control API: cannot listen on %s (%v); set control.addr to a free host:port", cfg.Control.Addr, err), s.closeFakes())
	}
	s.listener = l
	s.server = &http.Server{Handler: NewHandler(s.local), ReadHeaderTimeout: 10 * time.Second}
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
	s.local.Authority, s.local.Client = ca, client
	if s.local.DNS, err = dns.Start(ctx, dns.Config{Zone: cfg.DNS.Zone, Addr: cfg.DNS.Addr}); err != nil {
		return err
	}
	for _, u := range cfg.Upstreams {
		uris := make([]*url.URL, len(u.URIs))
		for i, raw := range u.URIs {
			uris[i], _ = url.Parse(raw) // Validate parsed it already
		}
		srv, err := upstream.Start(ctx, upstream.Config{
			Role: u.Role, Addr: u.Addr, Hostname: u.Hostname, TLS: u.TLS, Protocols: u.Protocols, URIs: uris,
			Authority: ca, ClientCA: ca,
		})
		if err != nil {
			return err
		}
		s.local.Upstreams = append(s.local.Upstreams, srv)
	}
	for _, c := range cfg.Canaries {
		can, err := canary.Start(ctx, canary.Config{Name: c.Name, Addrs: c.Addrs})
		if err != nil {
			return err
		}
		s.local.Canaries = append(s.local.Canaries, can)
	}
	return nil
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
	if s.local.DNS != nil {
		errs = append(errs, s.local.DNS.Close())
	}
	for _, u := range s.local.Upstreams {
		errs = append(errs, u.Close())
	}
	for _, c := range s.local.Canaries {
		errs = append(errs, c.Close())
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
	select {
	case <-ctx.Done():
		fmt.Fprintf(log, "stopping: %v\n", context.Cause(ctx))
		return s.Close()
	case err := <-s.served:
		return fmt.Errorf("control API stopped: %w", err)
	}
}
