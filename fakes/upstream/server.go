package upstream

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"github.com/xbcheck/xbcheck/fakes/internal/conns"
	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// TLSMode is the certificate an upstream presents, or none.
type TLSMode string

const (
	// TLSNone serves cleartext.
	TLSNone TLSMode = "None"
	// TLSValid presents a leaf for Hostname signed by Authority.
	TLSValid TLSMode = "Valid"
	// TLSWrongSAN presents a leaf signed by Authority for WrongSANName instead of Hostname.
	TLSWrongSAN TLSMode = "WrongSAN"
	// TLSUntrustedCA presents a leaf for Hostname signed by a fresh CA nobody trusts.
	TLSUntrustedCA TLSMode = "UntrustedCA"
	// TLSExpired presents a leaf for Hostname signed by Authority whose validity has ended.
	TLSExpired TLSMode = "Expired"
	// TLSCommonNameOnly presents a leaf signed by Authority naming Hostname in its subject CN only, with no SAN.
	TLSCommonNameOnly TLSMode = "CommonNameOnly"
	// TLSNotYetValid presents a leaf for Hostname signed by Authority whose validity begins tomorrow.
	TLSNotYetValid TLSMode = "NotYetValid"
	// TLSClientCertRequired is TLSValid plus a client certificate that ClientCA must have signed.
	TLSClientCertRequired TLSMode = "ClientCertRequired"
)

// WrongSANName is the only name in the certificate of a TLSWrongSAN upstream.
const WrongSANName = "wrong-san.xbcheck.invalid"

// Protocol is an application protocol an upstream accepts.
type Protocol string

const (
	// HTTP1 is HTTP/1.1 (ALPN http/1.1 or no ALPN).
	HTTP1 Protocol = "HTTP/1.1"
	// HTTP2 is HTTP/2 negotiated by ALPN h2; it needs TLS.
	HTTP2 Protocol = "HTTP/2"
	// H2C is HTTP/2 with prior knowledge: the connection opens with the HTTP/2 preface.
	H2C Protocol = "h2c"
)

// Config describes one upstream. The zero value is a cleartext upstream on
// 127.0.0.1 with a random port, speaking HTTP/1.1 and h2c.
type Config struct {
	// Role names the upstream in its responses and errors; default "upstream".
	Role string
	// Addr is the host:port to listen on; default "127.0.0.1:0". Ignored when Listener is set.
	Addr string
	// Listener, when set, is served instead of listening on Addr; Close closes it.
	Listener net.Listener
	// Hostname is the name the certificate is for (a DNS name or an IP literal); needed with TLS.
	Hostname string
	// TLS is the certificate mode; default TLSNone.
	TLS TLSMode
	// Protocols accepted; default HTTP1+H2C in cleartext, HTTP1+HTTP2 with TLS.
	Protocols []Protocol
	// URIs are extra URI SANs on the certificate for Hostname.
	URIs []*url.URL
	// Authority signs the certificates of TLSValid, TLSWrongSAN, TLSExpired and
	// TLSClientCertRequired; a fresh one is made when nil (see Server.Authority).
	Authority *pki.Authority
	// ClientCA verifies client certificates in TLSClientCertRequired mode.
	ClientCA *pki.Authority
}

// Server is a running upstream.
type Server struct {
	role      string
	token     string
	protocols map[Protocol]bool
	listener  net.Listener
	addr      netip.AddrPort
	tls       *tls.Config
	cert      *x509.Certificate
	authority *pki.Authority
	log       *Log

	http1      *http.Server
	http1Conns *handoffListener
	http2      *http2.Server

	nextConn atomic.Uint64
	wg       sync.WaitGroup
	conns    conns.Set

	stopOnCancel func() bool
	closeOnce    sync.Once
	closeErr     error
}

// Start listens and serves until Close is called or ctx ends.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		role:      cfg.Role,
		token:     rand.Text(),
		protocols: map[Protocol]bool{},
		authority: cfg.Authority,
		log:       newLog(cfg.Role),
		http2:     &http2.Server{},
	}
	for _, p := range cfg.Protocols {
		s.protocols[p] = true
	}
	if cfg.TLS != TLSNone {
		if s.tls, s.cert, err = serverTLS(cfg); err != nil {
			return nil, err
		}
		for _, p := range []Protocol{HTTP2, HTTP1} { // server preference: h2 first
			if s.protocols[p] {
				s.tls.NextProtos = append(s.tls.NextProtos, alpnID[p])
			}
		}
	}
	s.listener = cfg.Listener
	if s.listener == nil {
		if s.listener, err = net.Listen("tcp", cfg.Addr); err != nil {
			return nil, fmt.Errorf("upstream %q: cannot listen on %s (%v); give a free host:port such as 127.0.0.1:0", cfg.Role, cfg.Addr, err)
		}
	}
	if tcp, ok := s.listener.Addr().(*net.TCPAddr); ok {
		ap := tcp.AddrPort()
		s.addr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	s.http1Conns = newHandoffListener(s.listener.Addr())
	s.http1 = &http.Server{
		Handler:     http.HandlerFunc(s.observe),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context { return withConnInfo(ctx, c.(*sniffedConn).info) },
		ErrorLog:    log.New(io.Discard, "", 0), // misbehaving clients are the subject, not noise: the Log records them
	}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		_ = s.http1.Serve(s.http1Conns) // returns when Close closes http1
	}()
	go s.acceptLoop()
	s.stopOnCancel = context.AfterFunc(ctx, func() { _ = s.Close() })
	return s, nil
}

var alpnID = map[Protocol]string{HTTP1: "http/1.1", HTTP2: http2.NextProtoTLS}

func (cfg Config) withDefaults() (Config, error) {
	if cfg.Role == "" {
		cfg.Role = "upstream"
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSNone
	}
	switch cfg.TLS {
	case TLSNone, TLSValid, TLSWrongSAN, TLSUntrustedCA, TLSExpired, TLSNotYetValid, TLSCommonNameOnly, TLSClientCertRequired:
	default:
		return cfg, fmt.Errorf("upstream %q: TLS mode %q is unknown; use None, Valid, WrongSAN, UntrustedCA, Expired, NotYetValid, CommonNameOnly or ClientCertRequired", cfg.Role, cfg.TLS)
	}
	if cfg.TLS != TLSNone && cfg.Hostname == "" {
		return cfg, fmt.Errorf("upstream %q: TLS mode %s needs a Hostname to put in the certificate", cfg.Role, cfg.TLS)
	}
	if cfg.TLS == TLSClientCertRequired && cfg.ClientCA == nil {
		return cfg, fmt.Errorf("upstream %q: TLS mode %s needs a ClientCA to verify client certificates", cfg.Role, cfg.TLS)
	}
	if len(cfg.Protocols) == 0 {
		cfg.Protocols = []Protocol{HTTP1, H2C}
		if cfg.TLS != TLSNone {
			cfg.Protocols = []Protocol{HTTP1, HTTP2}
		}
	}
	for _, p := range cfg.Protocols {
		switch {
		case p == HTTP2 && cfg.TLS == TLSNone:
			return cfg, fmt.Errorf("upstream %q: protocol %s is negotiated by ALPN and needs TLS; use %s for cleartext HTTP/2", cfg.Role, HTTP2, H2C)
		case p != HTTP1 && p != HTTP2 && p != H2C:
			return cfg, fmt.Errorf("upstream %q: protocol %q is unknown; use %s, %s or %s", cfg.Role, p, HTTP1, HTTP2, H2C)
		}
	}
	if cfg.Authority == nil && cfg.TLS != TLSNone {
		ca, err := pki.NewAuthority("xbcheck upstream " + cfg.Role + " CA")
		if err != nil {
			return cfg, fmt.Errorf("upstream %q: %w", cfg.Role, err)
		}
		cfg.Authority = ca
	}
	return cfg, nil
}

// serverTLS issues the certificate the mode asks for and the matching tls.Config.
func serverTLS(cfg Config) (*tls.Config, *x509.Certificate, error) {
	forHostname := pki.LeafOptions{CommonName: cfg.Hostname, URIs: cfg.URIs}
	if ip, err := netip.ParseAddr(cfg.Hostname); err == nil {
		forHostname.IPAddresses = []netip.Addr{ip}
	} else {
		forHostname.DNSNames = []string{cfg.Hostname}
	}
	issuer, opts := cfg.Authority, forHostname
	switch cfg.TLS {
	case TLSWrongSAN:
		opts = pki.LeafOptions{CommonName: WrongSANName, DNSNames: []string{WrongSANName}}
	case TLSUntrustedCA:
		untrusted, err := pki.NewAuthority("xbcheck untrusted CA for " + cfg.Role)
		if err != nil {
			return nil, nil, fmt.Errorf("upstream %q: %w", cfg.Role, err)
		}
		issuer = untrusted
	case TLSExpired:
		opts.Expired = true
	case TLSCommonNameOnly:
		opts.DNSNames, opts.IPAddresses = nil, nil
	case TLSNotYetValid:
		tomorrow := time.Now().Add(24 * time.Hour)
		opts.NotBefore, opts.NotAfter = tomorrow, tomorrow.Add(24*time.Hour)
	}
	leaf, err := issuer.Issue(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("upstream %q: %w", cfg.Role, err)
	}
	conf := &tls.Config{
		Certificates: []tls.Certificate{leaf.TLS},
		// Ask every client for a certificate so one sent unasked is observed too.
		ClientAuth: tls.RequestClientCert,
	}
	// One ticket key for every connection (each gets a clone of conf), so a
	// client can resume a session as it could with a real server, and a
	// client that trusts a resumed session it should re-verify is caught.
	var ticketKey [32]byte
	if _, err := rand.Read(ticketKey[:]); err != nil {
		return nil, nil, fmt.Errorf("upstream %q: session ticket key: %w", cfg.Role, err)
	}
	conf.SetSessionTicketKeys([][32]byte{ticketKey})
	if cfg.TLS == TLSClientCertRequired {
		conf.ClientAuth = tls.RequireAndVerifyClientCert
		conf.ClientCAs = cfg.ClientCA.Pool()
	}
	return conf, leaf.Cert, nil
}

// Role is the name given in Config.
func (s *Server) Role() string { return s.role }

// Token is a random string unique to this server, present in every response.
func (s *Server) Token() string { return s.token }

// Addr is the address the server listens on (zero when the listener is not TCP).
func (s *Server) Addr() netip.AddrPort { return s.addr }

// Log is the server's connection log.
func (s *Server) Log() *Log { return s.log }

// Certificate is the leaf the server presents; nil in cleartext.
func (s *Server) Certificate() *x509.Certificate { return s.cert }

// Authority is the CA a client must trust for TLSValid (Config.Authority or the one
// made for it); nil in cleartext.
func (s *Server) Authority() *pki.Authority { return s.authority }

// DropConnections closes every connection accepted so far, in whatever state it
// is (mid-handshake, idle between requests, mid-response), and goes on accepting.
// A client that pools connections must dial, and so resolve the name, again.
func (s *Server) DropConnections() { s.conns.Drop() }

// Close stops listening, closes every connection and returns once all the server's
// goroutines have ended. It may be called more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stopOnCancel()
		err := s.listener.Close()
		if err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("upstream %q: close listener: %w", s.role, err)
		}
		s.conns.Close()
		_ = s.http1Conns.Close()
		_ = s.http1.Close()
		s.wg.Wait()
	})
	return s.closeErr
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.listener.Accept()
		if err != nil {
			return // the listener is closed, or broken: either way nothing more arrives
		}
		info := &connInfo{
			id:     s.nextConn.Add(1),
			local:  c.LocalAddr().String(),
			remote: c.RemoteAddr().String(),
		}
		s.log.add(Event{Kind: KindAccept, Connection: info.id, Remote: info.remote, Local: info.local})
		if !s.conns.Go(c, func() { s.serveConn(c, info) }) {
			return
		}
	}
}

func (s *Server) event(kind EventKind, info *connInfo, reason string) Event {
	return Event{Kind: kind, Connection: info.id, Remote: info.remote, Local: info.local, Handshake: info.handshake, Reason: reason}
}

// serveConn does the TLS handshake if any, works out which protocol the client
// speaks and serves it, returning when the connection is done.
func (s *Server) serveConn(c net.Conn, info *connInfo) {
	var conn net.Conn = c
	if s.tls != nil {
		var offered []string
		var sni string
		conf := s.tls.Clone()
		conf.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			sni, offered = hello.ServerName, slices.Clone(hello.SupportedProtos)
			return nil, nil
		}
		tc := tls.Server(c, conf)
		if err := tc.Handshake(); err != nil {
			info.handshake = Handshake{SNI: sni, ALPNOffered: offered}
			s.log.add(s.event(KindHandshakeFailed, info, err.Error()))
			return
		}
		info.handshake = handshakeOf(tc.ConnectionState(), offered, sni)
		s.log.add(s.event(KindHandshake, info, ""))
		if info.handshake.ALPNNegotiated == http2.NextProtoTLS {
			s.serveHTTP2(tc, info)
			return
		}
		conn = tc
	}

	sc := &sniffedConn{Conn: conn, r: bufio.NewReader(conn), info: info, closed: make(chan struct{})}
	opening, err := sniff(sc.r)
	if err != nil {
		return // closed before saying anything; the accept event is the record
	}
	switch {
	case opening == openingHTTP2Preface && s.protocols[H2C]:
		info.priorKnowledge = true
		s.serveHTTP2(sc, info)
	case opening == openingHTTP2Preface:
		s.log.add(s.event(KindRejected, info, "HTTP/2 prior-knowledge preface, but h2c is not enabled on this upstream"))
	case opening == openingTLSRecord && s.tls == nil:
		s.log.add(s.event(KindRejected, info, "TLS handshake sent to a cleartext upstream"))
	case !s.protocols[HTTP1]:
		s.log.add(s.event(KindRejected, info, "HTTP/1 request, but HTTP/1.1 is not enabled on this upstream"))
	case s.http1Conns.handoff(sc):
		<-sc.closed // net/http closes the connection when it is done with it
	}
}

func (s *Server) serveHTTP2(c net.Conn, info *connInfo) {
	s.http2.ServeConn(c, &http2.ServeConnOpts{
		Context:    withConnInfo(context.Background(), info),
		BaseConfig: s.http1,
		Handler:    http.HandlerFunc(s.observe),
	})
}

type opening int

const (
	openingOther opening = iota
	openingHTTP2Preface
	openingTLSRecord
)

// tlsHandshakeRecord is the first byte of a TLS record carrying a handshake message.
const tlsHandshakeRecord = 0x16

// sniff reads just enough of the connection to tell an HTTP/2 preface, a TLS record
// and anything else apart; an HTTP/1 request differs from the preface at its first byte.
func sniff(r *bufio.Reader) (opening, error) {
	for n := 1; ; n++ {
		b, err := r.Peek(n)
		if err != nil {
			return openingOther, err
		}
		switch {
		case b[0] == tlsHandshakeRecord:
			return openingTLSRecord, nil
		case !bytes.HasPrefix([]byte(http2.ClientPreface), b):
			return openingOther, nil
		case n == len(http2.ClientPreface):
			return openingHTTP2Preface, nil
		}
	}
}

// sniffedConn replays the sniffed bytes and tells when net/http has closed it.
type sniffedConn struct {
	net.Conn
	r         *bufio.Reader
	info      *connInfo
	closeOnce sync.Once
	closed    chan struct{}
}

func (c *sniffedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *sniffedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() { close(c.closed) })
	return err
}

// handoffListener feeds connections already accepted (and sniffed) to an http.Server.
type handoffListener struct {
	addr      net.Addr
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// handoff gives c to the http.Server; false when the server is closing.
func (l *handoffListener) handoff(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }
