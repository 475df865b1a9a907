package dataplane

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/guardrail"
)

// Options configures a Transport. The zero value of every field but Resolver is valid.
type Options struct {
	// Resolver resolves the XBackend hostname, normally DNS{Server: the rogue DNS}.
	Resolver Resolver
	// Guardrail vets every address before and while it is dialled; the zero
	// Policy denies every internal range.
	Guardrail guardrail.Policy
	// Faults breaks the data plane on purpose, for mutation testing.
	Faults faults.Set
	// DialTimeout bounds the TCP connect and the TLS handshake; zero means 5s.
	DialTimeout time.Duration
	// SessionCache is the TLS session cache shared by every transport, for
	// the resume-skips-verify fault only: without it, no session is resumed
	// across a change of the XBackend, so a removed CA cannot linger.
	SessionCache tls.ClientSessionCache
}

func (o Options) withDefaults() Options {
	if o.DialTimeout == 0 {
		o.DialTimeout = 5 * time.Second
	}
	return o
}

// Transport sends requests to one XBackend: it sets the request's scheme and
// host itself, so nothing a caller does can send cleartext to a TLS backend.
type Transport struct {
	backend Backend
	options Options
	faults  faults.Set
	scheme  string
	http    *http.Transport
	dialer  *dialer // for streams (protocol TCP)
}

// NewTransport validates b and builds its transport: guarded dialling, the
// TLS mode and validation, and the protocol.
func NewTransport(b Backend, o Options) (*Transport, error) {
	return newTransport(b, o, "")
}

// newTransport is NewTransport sending serverName as SNI instead of the
// validation hostname, when set: the sni-from-host fault's transport.
func newTransport(b Backend, o Options, serverName string) (*Transport, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if o.Resolver == nil {
		return nil, errors.New("dataplane: Options.Resolver is nil: give the DNS server that resolves XBackend hostnames")
	}
	o = o.withDefaults()
	if b.Selector {
		// The pods' addresses come from the API server, not from DNS: the
		// guardrail lets exactly these through, whatever their range.
		o.Guardrail.Allow = slices.Clone(o.Guardrail.Allow)
		for _, a := range b.Endpoints {
			o.Guardrail.Allow = append(o.Guardrail.Allow, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	if b.Protocol == ProtocolTCP && o.Faults.Has(faults.TCPSkipsGuardrail) {
		o.Guardrail.Deny = func(netip.Addr) error { return nil }
	}
	d := newDialer(o.Resolver, o)
	ht := &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		DisableKeepAlives:   o.Faults.Has(faults.ConnectionPerRequest),
	}
	var protocols http.Protocols
	t := &Transport{backend: b, options: o, faults: o.Faults, scheme: "http", http: ht, dialer: d}
	useTLS := b.usesTLS() && !(b.TLS.Mode == TLSModeClientAndServer && o.Faults.Has(faults.PlaintextWhenMTLS)) &&
		!(b.Protocol == ProtocolTCP && o.Faults.Has(faults.TCPPlaintextWhenTLS))
	if useTLS {
		cfg, err := clientTLSConfig(b, o)
		if err != nil {
			return nil, fmt.Errorf("xbackend %s: %w", b.Name, err)
		}
		if serverName != "" {
			cfg.ServerName = serverName
		}
		t.scheme = "https"
		ht.DialTLSContext = tlsDialer{dial: d.DialContext, cfg: cfg, timeout: o.DialTimeout,
			requireH2: b.Protocol == ProtocolHTTP2 || b.Protocol == ProtocolGRPC && !o.Faults.Has(faults.GRPCOverHTTP11), ipAsSNI: o.Faults.Has(faults.IPAsSNI)}.DialTLSContext
		for _, p := range cfg.NextProtos {
			switch p {
			case "h2":
				protocols.SetHTTP2(true)
			case "http/1.1":
				protocols.SetHTTP1(true)
			}
		}
	} else if b.Protocol == ProtocolH2C && !o.Faults.Has(faults.NoH2C) || b.Protocol == ProtocolGRPC && !o.Faults.Has(faults.GRPCOverHTTP11) || b.Protocol == ProtocolUnset && o.Faults.Has(faults.H2CWhenProtocolUnset) {
		protocols.SetUnencryptedHTTP2(true)
	} else {
		protocols.SetHTTP1(true)
	}
	ht.Protocols = &protocols
	return t, nil
}

// RoundTrip sends req to the XBackend's hostname and port, whatever req.URL
// says; for an EndpointSelector, to the endpoint [Proxy] chose for its
// session, else to a ready one at random. The Host header stays req.Host:
// [Proxy] applies the Host policy.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.WithContext(req.Context())
	u := *req.URL
	u.Scheme = t.scheme
	host := t.backend.Hostname
	if t.backend.Selector {
		ep, ok := req.Context().Value(endpointKey{}).(netip.Addr)
		if !ok {
			if ep, ok = t.pick(); !ok {
				return nil, fmt.Errorf("%w: no pod the endpointSelector of XBackend %s selects is ready", ErrNoEndpoints, t.backend.Name)
			}
		}
		host = ep.String()
	}
	u.Host = net.JoinHostPort(host, strconv.Itoa(t.backend.Port))
	out.URL = &u
	return t.http.RoundTrip(out)
}

// ErrNoEndpoints is an EndpointSelector with no ready pod: 503.
var ErrNoEndpoints = errors.New("no ready endpoint")

// endpointKey carries the endpoint a request's session is on.
type endpointKey struct{}

// pick is a ready endpoint at random.
func (t *Transport) pick() (netip.Addr, bool) {
	eps := t.backend.Endpoints
	if len(eps) == 0 {
		return netip.Addr{}, false
	}
	return eps[rand.IntN(len(eps))], true
}

// serves reports whether a is one of the ready endpoints.
func (t *Transport) serves(a netip.Addr) bool { return slices.Contains(t.backend.Endpoints, a) }

// OnPort is a transport to the same XBackend on another port: the
// port-from-route fault's, which dials where the backendRef says.
func (t *Transport) OnPort(port int) (*Transport, error) {
	b := t.backend
	b.Port = port
	return NewTransport(b, t.options)
}

// CloseIdleConnections closes idle connections, so the next request dials
// (and resolves) again.
func (t *Transport) CloseIdleConnections() { t.http.CloseIdleConnections() }

// tlsDialer does the handshake itself, so the SNI and ALPN sent are exactly
// those of the config (http.Transport would fill in an empty ServerName).
type tlsDialer struct {
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	cfg       *tls.Config
	timeout   time.Duration
	requireH2 bool
	// ipAsSNI is the ip-as-sni fault: the server name is the dialled IP.
	ipAsSNI bool
}

func (d tlsDialer) DialTLSContext(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	raw, err := d.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cfg := d.cfg
	if d.ipAsSNI {
		cfg = cfg.Clone()
		cfg.ServerName, _, _ = net.SplitHostPort(raw.RemoteAddr().String())
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("TLS handshake with %s (%s): %w", addr, raw.RemoteAddr(), err)
	}
	if got := conn.ConnectionState().NegotiatedProtocol; d.requireH2 && got != "h2" {
		conn.Close()
		return nil, fmt.Errorf("TLS with %s (%s): server negotiated ALPN %q, not h2: protocol HTTP2 needs an HTTP/2 server", addr, raw.RemoteAddr(), got)
	}
	return conn, nil
}
