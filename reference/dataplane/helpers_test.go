package dataplane

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/guardrail"
)

// testCA is a throw-away certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serial atomic.Int64

func nextSerial() *big.Int { return big.NewInt(serial.Add(1)) }

func newCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: name},
		// Valid long before any leaf's window, expired ones included, so an
		// expired leaf fails for its own expiry only.
		NotBefore:             time.Now().Add(-24 * time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// leafSpec says what a leaf certificate is for.
type leafSpec struct {
	cn       string
	dnsNames []string
	uris     []string
	client   bool // client auth instead of server auth
	expired  bool
}

func (ca *testCA) leaf(t testing.TB, s leafSpec) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	usage := x509.ExtKeyUsageServerAuth
	if s.client {
		usage = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: s.cn},
		DNSNames:     s.dnsNames,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	if s.expired {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)
	}
	for _, raw := range s.uris {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, u)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// seen is what the test upstream observed about a request; it answers with it as JSON.
type seen struct {
	Proto      string
	Host       string
	Path       string
	TLS        bool
	SNI        string
	ALPN       string
	ClientCN   string
	Body       string
	ForwardFor string
}

func echo(w http.ResponseWriter, r *http.Request) {
	s := seen{Proto: r.Proto, Host: r.Host, Path: r.URL.RequestURI(), ForwardFor: r.Header.Get("X-Forwarded-For")}
	if r.TLS != nil {
		s.TLS, s.SNI, s.ALPN = true, r.TLS.ServerName, r.TLS.NegotiatedProtocol
		if len(r.TLS.PeerCertificates) > 0 {
			s.ClientCN = r.TLS.PeerCertificates[0].Subject.CommonName
		}
	}
	body, _ := io.ReadAll(r.Body)
	s.Body = string(body)
	json.NewEncoder(w).Encode(s)
}

// upstream is a test server on a loopback address.
type upstream struct {
	addr     netip.AddrPort
	accepted atomic.Int64 // TCP connections accepted, counted before any handshake
}

// startUpstream serves h on ip:port (port 0: any) with TLS when cfg is not
// nil, speaking the given protocols.
func startUpstream(t testing.TB, ip string, port int, cfg *tls.Config, protocols http.Protocols, h http.Handler) (*upstream, error) {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	u := &upstream{addr: netip.MustParseAddrPort(l.Addr().String())}
	srv := &http.Server{Handler: h, TLSConfig: cfg, Protocols: &protocols, ErrorLog: log.New(io.Discard, "", 0),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				u.accepted.Add(1)
			}
		}}
	go func() {
		if cfg != nil {
			srv.ServeTLS(l, "", "")
		} else {
			srv.Serve(l)
		}
	}()
	t.Cleanup(func() { srv.Close() })
	return u, nil
}

func mustStartUpstream(t testing.TB, cfg *tls.Config, protocols http.Protocols) *upstream {
	t.Helper()
	u, err := startUpstream(t, "127.0.0.1", 0, cfg, protocols, http.HandlerFunc(echo))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func protocols(h1, h2, h2c bool) http.Protocols {
	var p http.Protocols
	p.SetHTTP1(h1)
	p.SetHTTP2(h2)
	p.SetUnencryptedHTTP2(h2c)
	return p
}

// fakeResolver answers from a script: call n gets script[n], the last one
// repeats; a nil entry is a SERVFAIL.
type fakeResolver struct {
	mu     sync.Mutex
	script [][]Answer
	calls  int
}

func answers(ttl time.Duration, addrs ...string) []Answer {
	out := make([]Answer, len(addrs))
	for i, a := range addrs {
		out[i] = Answer{Addr: netip.MustParseAddr(a), TTL: ttl}
	}
	return out
}

func (f *fakeResolver) Resolve(context.Context, string) ([]Answer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if len(f.script) == 0 {
		return nil, errors.New("fake resolver: no answers scripted")
	}
	answers := f.script[min(f.calls, len(f.script))-1]
	if answers == nil {
		return nil, errors.New("fake resolver: SERVFAIL")
	}
	return answers, nil
}

func (f *fakeResolver) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// only allows exactly the given loopback addresses, nothing else of 127/8.
func only(addrs ...string) guardrail.Policy {
	var p guardrail.Policy
	for _, a := range addrs {
		p.Allow = append(p.Allow, netip.PrefixFrom(netip.MustParseAddr(a), 32))
	}
	return p
}

func mustParseFaults(t *testing.T, list string) faults.Set {
	t.Helper()
	fs, err := faults.Parse(list)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// get sends GET / through a fresh transport for b and decodes what the upstream saw.
func get(t *testing.T, b Backend, o Options) (seen, error) {
	t.Helper()
	tr, err := NewTransport(b, o)
	if err != nil {
		t.Fatalf("NewTransport: %v", err)
	}
	defer tr.CloseIdleConnections()
	return roundTrip(tr)
}

func roundTrip(tr *Transport) (seen, error) {
	req, err := http.NewRequest("GET", "http://ignored.invalid/", nil)
	if err != nil {
		return seen{}, err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return seen{}, err
	}
	defer resp.Body.Close()
	var s seen
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return seen{}, fmt.Errorf("decoding upstream answer (status %s): %w", resp.Status, err)
	}
	return s, nil
}
