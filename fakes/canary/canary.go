package canary

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"

	"github.com/xbcheck/xbcheck/fakes/internal/conns"
	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// TokenHeader carries the canary's token on its HTTP answers.
const TokenHeader = "X-Xbcheck-Canary"

// Defaults for Config.
const (
	// DefaultFirstByteWait leaves a gateway that connects, then starts its
	// TLS handshake late, time to speak: on a loaded 2-core node a
	// ClientHello came more than a second after the connect, and the raw
	// token then broke a handshake that should have reached the canary.
	DefaultFirstByteWait = 5 * time.Second
	// readTimeout bounds a handshake or request once the client has started talking.
	readTimeout = 10 * time.Second
)

// Kind is what a connection turned out to speak.
type Kind string

const (
	// KindTCP is a connection that sent nothing, or bytes that are neither TLS nor HTTP.
	KindTCP Kind = "tcp"
	// KindHTTP is cleartext HTTP/1.x or h2c.
	KindHTTP Kind = "http"
	// KindTLS is a connection that opened with a TLS ClientHello.
	KindTLS Kind = "tls"
)

// Config describes a canary. Addrs and Listeners may be combined; at least one is needed.
type Config struct {
	// Name identifies the canary in its hits and errors; default "canary".
	Name string
	// Addrs are host:port addresses to listen on.
	Addrs []string
	// Listeners are served as well; Close closes them.
	Listeners []net.Listener
	// FirstByteWait is how long a silent connection is given before the token is
	// written to it as raw TCP; default DefaultFirstByteWait.
	FirstByteWait time.Duration
	// Certificate is presented to TLS clients; default a leaf from a throw-away CA.
	Certificate *tls.Certificate
	// Token is written into everything the canary answers; default a random string.
	// Canaries that watch one target in several places (every pod of a data plane)
	// share one, so an answer from any of them is recognised.
	Token string
}

// Request is an HTTP request a canary answered.
type Request struct {
	Protocol string `json:"protocol"` // "HTTP/1.1", "HTTP/2.0"
	Method   string `json:"method"`
	Host     string `json:"host"`
	Path     string `json:"path"`
}

// Hit is one accepted connection. It is recorded on accept, before anything is read,
// and completed as the connection shows what it is.
type Hit struct {
	Seq            uint64    `json:"seq"`
	Time           time.Time `json:"time"`
	Canary         string    `json:"canary"`
	Peer           string    `json:"peer"`
	Local          string    `json:"local"`
	Kind           Kind      `json:"kind,omitempty"` // empty until known
	SNI            string    `json:"sni,omitempty"`
	ALPNOffered    []string  `json:"alpnOffered,omitempty"`
	HandshakeError string    `json:"handshakeError,omitempty"`
	Requests       []Request `json:"requests,omitempty"`
	// TokenSent is set once the token has been written to the connection.
	TokenSent bool `json:"tokenSent"`
}

// Canary listens at addresses a gateway must never reach and records every connection.
type Canary struct {
	name          string
	token         string
	firstByteWait time.Duration
	tls           *tls.Config
	listeners     []net.Listener
	addrs         []netip.AddrPort
	http1Base     *http.Server // only the error log, for HTTP/2 connections
	http2         *http2.Server

	wg     sync.WaitGroup
	mu     sync.Mutex
	hits   []Hit
	seq    uint64
	notify chan struct{} // closed and cleared on change when a waiter made it
	conns  conns.Set

	stopOnCancel func() bool
	closeOnce    sync.Once
	closeErr     error
}

// Start listens on every address of cfg and records connections until Close is
// called or ctx ends.
func Start(ctx context.Context, cfg Config) (*Canary, error) {
	if cfg.Name == "" {
		cfg.Name = "canary"
	}
	if cfg.FirstByteWait <= 0 {
		cfg.FirstByteWait = DefaultFirstByteWait
	}
	if len(cfg.Addrs) == 0 && len(cfg.Listeners) == 0 {
		return nil, fmt.Errorf("canary %q: nothing to listen on; set Addrs or Listeners", cfg.Name)
	}
	if cfg.Certificate == nil {
		cert, err := throwAwayCertificate(cfg.Name)
		if err != nil {
			return nil, err
		}
		cfg.Certificate = cert
	}
	if cfg.Token == "" {
		cfg.Token = rand.Text()
	}
	c := &Canary{
		name:          cfg.Name,
		token:         cfg.Token,
		firstByteWait: cfg.FirstByteWait,
		tls: &tls.Config{
			Certificates: []tls.Certificate{*cfg.Certificate},
			NextProtos:   []string{http2.NextProtoTLS, "http/1.1"},
		},
		listeners: slices.Clone(cfg.Listeners),
		http1Base: &http.Server{ErrorLog: log.New(io.Discard, "", 0)},
		http2:     &http2.Server{},
	}
	for _, addr := range cfg.Addrs {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range c.listeners[len(cfg.Listeners):] {
				_ = l.Close()
			}
			return nil, fmt.Errorf("canary %q: cannot listen on %s (%v); give a free host:port on an address of this host", cfg.Name, addr, err)
		}
		c.listeners = append(c.listeners, l)
	}
	for _, l := range c.listeners {
		if tcp, ok := l.Addr().(*net.TCPAddr); ok {
			ap := tcp.AddrPort()
			c.addrs = append(c.addrs, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
		}
		c.wg.Add(1)
		go c.acceptLoop(l)
	}
	c.stopOnCancel = context.AfterFunc(ctx, func() { _ = c.Close() })
	return c, nil
}

func throwAwayCertificate(name string) (*tls.Certificate, error) {
	ca, err := pki.NewAuthority("xbcheck canary " + name + " CA")
	if err != nil {
		return nil, fmt.Errorf("canary %q: %w", name, err)
	}
	leaf, err := ca.Issue(pki.LeafOptions{CommonName: "canary " + name})
	if err != nil {
		return nil, fmt.Errorf("canary %q: %w", name, err)
	}
	return &leaf.TLS, nil
}

// Name is the name given in Config.
func (c *Canary) Name() string { return c.name }

// Token is a random string unique to this canary, present in everything it writes.
func (c *Canary) Token() string { return c.token }

// Addrs are the TCP addresses the canary listens on, in the order of Config.Listeners then Config.Addrs.
func (c *Canary) Addrs() []netip.AddrPort { return slices.Clone(c.addrs) }

// Hits returns the connections recorded since the start or the last Reset, oldest first.
// Hits share their slices with the canary: read them, do not modify them.
func (c *Canary) Hits() []Hit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.hits)
}

// Reset forgets every hit so far; connections still open are no longer reported.
func (c *Canary) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hits = nil
}

// Wait returns the first hit, already recorded or yet to come, for which match is
// true. A hit is matched again each time it is completed, so a caller may wait for
// a detail (such as the SNI) that arrives after the accept. It fails when ctx ends.
func (c *Canary) Wait(ctx context.Context, match func(Hit) bool) (Hit, error) {
	for {
		c.mu.Lock()
		hits := slices.Clone(c.hits)
		if c.notify == nil {
			c.notify = make(chan struct{})
		}
		notify := c.notify
		c.mu.Unlock()

		for _, h := range hits {
			if match(h) {
				return h, nil
			}
		}
		select {
		case <-notify:
		case <-ctx.Done():
			return Hit{}, fmt.Errorf("canary %q: no matching hit: %w", c.name, ctx.Err())
		}
	}
}

// Close stops listening, closes every connection and returns once all the canary's
// goroutines have ended. It may be called more than once.
func (c *Canary) Close() error {
	c.closeOnce.Do(func() {
		c.stopOnCancel()
		var errs []error
		for _, l := range c.listeners {
			if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
		c.conns.Close()
		c.wg.Wait()
		if err := errors.Join(errs...); err != nil {
			c.closeErr = fmt.Errorf("canary %q: close: %w", c.name, err)
		}
	})
	return c.closeErr
}

func (c *Canary) changed() {
	if c.notify != nil {
		close(c.notify)
		c.notify = nil
	}
}

func (c *Canary) record(conn net.Conn) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.hits = append(c.hits, Hit{
		Seq:    c.seq,
		Time:   time.Now(),
		Canary: c.name,
		Peer:   conn.RemoteAddr().String(),
		Local:  conn.LocalAddr().String(),
	})
	c.changed()
	return c.seq
}

// update completes the hit seq, unless Reset has dropped it.
func (c *Canary) update(seq uint64, complete func(*Hit)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := sort.Search(len(c.hits), func(i int) bool { return c.hits[i].Seq >= seq })
	if i < len(c.hits) && c.hits[i].Seq == seq {
		complete(&c.hits[i])
		c.changed()
	}
}

func (c *Canary) acceptLoop(l net.Listener) {
	defer c.wg.Done()
	for {
		conn, err := l.Accept()
		if err != nil {
			return // closed, or broken: either way nothing more arrives
		}
		seq := c.record(conn)
		if !c.conns.Go(conn, func() { c.serve(conn, seq) }) {
			return
		}
	}
}

// serve waits briefly for the client's first bytes and answers in whatever it speaks.
func (c *Canary) serve(conn net.Conn, seq uint64) {
	_ = conn.SetReadDeadline(time.Now().Add(c.firstByteWait))
	br := bufio.NewReader(conn)
	first, err := br.Peek(1)
	var timeout net.Error
	switch {
	case errors.As(err, &timeout) && timeout.Timeout():
		c.update(seq, func(h *Hit) { h.Kind = KindTCP })
		c.writeToken(conn, seq)
		return
	case err != nil:
		c.update(seq, func(h *Hit) { h.Kind = KindTCP }) // left without a word
		return
	}
	_ = conn.SetReadDeadline(time.Now().Add(readTimeout))
	buffered := &bufferedConn{Conn: conn, r: br}
	if first[0] == tlsHandshakeRecord {
		c.serveTLS(buffered, seq)
		return
	}
	c.serveCleartext(buffered, br, seq)
}

func (c *Canary) serveTLS(conn net.Conn, seq uint64) {
	c.update(seq, func(h *Hit) { h.Kind = KindTLS })
	conf := c.tls.Clone()
	conf.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		sni, alpn := hello.ServerName, slices.Clone(hello.SupportedProtos)
		c.update(seq, func(h *Hit) { h.SNI, h.ALPNOffered = sni, alpn })
		return nil, nil
	}
	tc := tls.Server(conn, conf)
	if err := tc.Handshake(); err != nil {
		c.update(seq, func(h *Hit) { h.HandshakeError = err.Error() })
		return
	}
	if tc.ConnectionState().NegotiatedProtocol == http2.NextProtoTLS {
		c.serveHTTP2(tc, seq)
		return
	}
	c.serveCleartext(tc, bufio.NewReader(tc), seq)
}

// serveCleartext answers h2c, HTTP/1.x or anything else on conn, whose unread bytes
// are in r; inside TLS, "cleartext" means what the TLS layer carries.
func (c *Canary) serveCleartext(conn net.Conn, r *bufio.Reader, seq uint64) {
	if isHTTP2Preface(r) {
		c.update(seq, func(h *Hit) {
			if h.Kind == "" {
				h.Kind = KindHTTP
			}
		})
		c.serveHTTP2(&bufferedConn{Conn: conn, r: r}, seq)
		return
	}
	req, err := http.ReadRequest(r)
	if err != nil {
		c.update(seq, func(h *Hit) {
			if h.Kind == "" {
				h.Kind = KindTCP
			}
		})
		c.writeToken(conn, seq)
		return
	}
	c.recordRequest(seq, req)
	_, _ = io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20)) // read what was sent so closing does not reset the answer
	body := c.token + "\n"
	resp := &http.Response{
		StatusCode:    http.StatusOK,
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        c.answerHeader(),
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Close:         true, // one request per connection: every request is a new hit
		Request:       req,
	}
	if err := resp.Write(conn); err == nil {
		c.update(seq, func(h *Hit) { h.TokenSent = true })
	}
}

func (c *Canary) serveHTTP2(conn net.Conn, seq uint64) {
	_ = conn.SetReadDeadline(time.Time{}) // HTTP/2 keeps its own idle rules
	c.http2.ServeConn(conn, &http2.ServeConnOpts{
		BaseConfig: c.http1Base,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			c.recordRequest(seq, req)
			for k, v := range c.answerHeader() {
				w.Header()[k] = v
			}
			if _, err := io.WriteString(w, c.token+"\n"); err == nil {
				c.update(seq, func(h *Hit) { h.TokenSent = true })
			}
		}),
	})
}

func (c *Canary) answerHeader() http.Header {
	return http.Header{
		"Content-Type": {"text/plain; charset=utf-8"},
		TokenHeader:    {c.token},
	}
}

func (c *Canary) recordRequest(seq uint64, req *http.Request) {
	r := Request{Protocol: req.Proto, Method: req.Method, Host: req.Host, Path: req.RequestURI}
	c.update(seq, func(h *Hit) {
		if h.Kind == "" {
			h.Kind = KindHTTP
		}
		h.Requests = append(slices.Clip(h.Requests), r) // never write into a slice a reader holds
	})
}

func (c *Canary) writeToken(conn net.Conn, seq uint64) {
	_ = conn.SetWriteDeadline(time.Now().Add(readTimeout))
	if _, err := io.WriteString(conn, c.token+"\n"); err == nil {
		c.update(seq, func(h *Hit) { h.TokenSent = true })
	}
}

// tlsHandshakeRecord is the first byte of a TLS record carrying a handshake message.
const tlsHandshakeRecord = 0x16

// isHTTP2Preface reports whether r starts with the HTTP/2 client preface, reading no
// further than the first byte that differs from it.
func isHTTP2Preface(r *bufio.Reader) bool {
	for n := 1; n <= len(http2.ClientPreface); n++ {
		b, err := r.Peek(n)
		if err != nil || !bytes.HasPrefix([]byte(http2.ClientPreface), b) {
			return false
		}
	}
	return true
}

// bufferedConn reads through the buffer that holds the bytes already peeked.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
