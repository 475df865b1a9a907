package upstream

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/xbcheck/xbcheck/fixtures/pki"
)

const hostname = "api.xbcheck.test"

func newCA(t testing.TB, name string) *pki.Authority {
	t.Helper()
	ca, err := pki.NewAuthority(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func issue(t testing.TB, ca *pki.Authority, o pki.LeafOptions) *pki.Leaf {
	t.Helper()
	leaf, err := ca.Issue(o)
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

func start(t testing.TB, cfg Config) *Server {
	t.Helper()
	srv, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

// waitContext bounds a wait so that a missing event fails the test instead of hanging it.
func waitContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func waitEvent(t *testing.T, srv *Server, what string, match func(Event) bool) Event {
	t.Helper()
	ev, err := srv.Log().Wait(waitContext(t), match)
	if err != nil {
		t.Fatalf("waiting for %s: %v; log: %+v", what, err, srv.Log().Entries())
	}
	return ev
}

func dial(t *testing.T, srv *Server) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func dialTLS(t *testing.T, srv *Server, conf *tls.Config) (*tls.Conn, error) {
	t.Helper()
	conn := tls.Client(dial(t, srv), conf)
	return conn, conn.HandshakeContext(waitContext(t))
}

// clientTLS offers alpn and presents cert whatever the server's acceptable CAs are,
// so that the server, not the client, decides whether the certificate is good.
func clientTLS(alpn []string, cert *pki.Leaf) *tls.Config {
	conf := &tls.Config{ServerName: hostname, NextProtos: alpn, InsecureSkipVerify: true}
	if cert != nil {
		conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert.TLS, nil }
	}
	return conf
}

func probeRequest(t *testing.T, scheme string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, scheme+"://"+hostname+"/probe/path?q=1&r=two", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Probe", "echo-me")
	return req
}

// roundTrip sends req on conn in HTTP/1.1, or in HTTP/2 from the first byte when h2 is set.
func roundTrip(conn net.Conn, h2 bool, req *http.Request) (*Observation, *http.Response, error) {
	var (
		resp *http.Response
		err  error
	)
	if h2 {
		var cc *http2.ClientConn
		if cc, err = (&http2.Transport{AllowHTTP: true}).NewClientConn(conn); err != nil {
			return nil, nil, err
		}
		resp, err = cc.RoundTrip(req)
	} else {
		if err = req.Write(conn); err != nil {
			return nil, nil, err
		}
		resp, err = http.ReadResponse(bufio.NewReader(conn), req)
	}
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp, errors.New("status " + resp.Status)
	}
	var obs Observation
	if err := json.NewDecoder(resp.Body).Decode(&obs); err != nil {
		return nil, resp, err
	}
	return &obs, resp, nil
}

func mustRoundTrip(t *testing.T, conn net.Conn, h2 bool, req *http.Request) *Observation {
	t.Helper()
	obs, _, err := roundTrip(conn, h2, req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	return obs
}

func kindsOf(events []Event, connection uint64) []EventKind {
	var kinds []EventKind
	for _, e := range events {
		if e.Connection == connection {
			kinds = append(kinds, e.Kind)
		}
	}
	return kinds
}

// checkPresented asserts the server's certificate has the shape its mode promises.
func checkPresented(t *testing.T, mode TLSMode, trusted *pki.Authority, cert *x509.Certificate) {
	t.Helper()
	verify := func(name string) error {
		_, err := cert.Verify(x509.VerifyOptions{Roots: trusted.Pool(), DNSName: name})
		return err
	}
	var (
		hostErr    x509.HostnameError
		unknownCA  x509.UnknownAuthorityError
		invalidErr x509.CertificateInvalidError
	)
	switch mode {
	case TLSValid, TLSClientCertRequired:
		if err := verify(hostname); err != nil {
			t.Errorf("%s certificate does not verify for %s: %v", mode, hostname, err)
		}
	case TLSWrongSAN:
		if err := verify(hostname); !errors.As(err, &hostErr) {
			t.Errorf("%s certificate for %s: got %v, want a hostname error", mode, hostname, err)
		}
		if err := verify(WrongSANName); err != nil {
			t.Errorf("%s certificate is not a trusted one for %s: %v", mode, WrongSANName, err)
		}
	case TLSUntrustedCA:
		if err := verify(hostname); !errors.As(err, &unknownCA) {
			t.Errorf("%s certificate: got %v, want unknown authority", mode, err)
		}
		if !slices.Equal(cert.DNSNames, []string{hostname}) {
			t.Errorf("%s certificate names %v, want [%s]", mode, cert.DNSNames, hostname)
		}
	case TLSCommonNameOnly:
		if len(cert.DNSNames)+len(cert.IPAddresses) != 0 || cert.Subject.CommonName != hostname {
			t.Errorf("%s certificate names DNS %v IP %v CN %q, want only the CN %s", mode, cert.DNSNames, cert.IPAddresses, cert.Subject.CommonName, hostname)
		}
		if err := verify(hostname); err == nil {
			t.Errorf("%s certificate verified for %s: Go must not fall back to the CN", mode, hostname)
		}
	case TLSExpired, TLSNotYetValid:
		if err := verify(hostname); !errors.As(err, &invalidErr) || invalidErr.Reason != x509.Expired {
			t.Errorf("%s certificate: got %v, want outside its validity period", mode, err)
		}
		if mode == TLSNotYetValid && !cert.NotBefore.After(time.Now()) {
			t.Errorf("%s certificate is valid from %s, which has passed", mode, cert.NotBefore)
		}
	}
}

func TestObservationEchoesWhatTheClientSent(t *testing.T) {
	trusted := newCA(t, "trusted")
	clientCA := newCA(t, "clients")
	client := issue(t, clientCA, pki.LeafOptions{CommonName: "gateway", Client: true})
	cases := []struct {
		name        string
		alpn        []string
		h2          bool
		maxVersion  uint16
		wantALPN    string
		wantProto   string
		wantVersion string
	}{
		{"HTTP/1.1 by ALPN", []string{"xbcheck-probe", "http/1.1"}, false, 0, "http/1.1", "HTTP/1.1", "TLS1.3"},
		{"HTTP/2 by ALPN", []string{"h2", "http/1.1"}, true, 0, "h2", "HTTP/2.0", "TLS1.3"},
		{"HTTP/1.1 without ALPN over TLS 1.2", nil, false, tls.VersionTLS12, "", "HTTP/1.1", "TLS1.2"},
	}
	for _, mode := range []TLSMode{TLSValid, TLSWrongSAN, TLSUntrustedCA, TLSExpired, TLSNotYetValid, TLSCommonNameOnly, TLSClientCertRequired} {
		srv := start(t, Config{Role: "role-" + string(mode), Hostname: hostname, TLS: mode, Authority: trusted, ClientCA: clientCA})
		for _, tc := range cases {
			t.Run(string(mode)+"/"+tc.name, func(t *testing.T) {
				conf := clientTLS(tc.alpn, client)
				conf.MaxVersion = tc.maxVersion
				conn, err := dialTLS(t, srv, conf)
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				presented := conn.ConnectionState().PeerCertificates[0]
				if !presented.Equal(srv.Certificate()) {
					t.Errorf("presented certificate is not Server.Certificate()")
				}
				checkPresented(t, mode, trusted, presented)

				obs := mustRoundTrip(t, conn, tc.h2, probeRequest(t, "https"))
				if got := obs.Headers.Get("X-Probe"); got != "echo-me" {
					t.Errorf("header X-Probe = %q, want echo-me", got)
				}
				obs.Headers = nil
				want := Observation{
					Role:       "role-" + string(mode),
					Token:      srv.Token(),
					Connection: obs.Connection,
					Handshake: Handshake{
						SNI:                   hostname,
						ALPNOffered:           tc.alpn,
						ALPNNegotiated:        tc.wantALPN,
						TLSVersion:            tc.wantVersion,
						ClientCertFingerprint: client.Fingerprint(),
						ClientCertSubject:     "CN=gateway,O=xbcheck",
					},
					Protocol:   tc.wantProto,
					Host:       hostname,
					Method:     http.MethodPost,
					Path:       "/probe/path?q=1&r=two",
					BodyBytes:  int64(len("hello")),
					LocalAddr:  conn.RemoteAddr().String(),
					RemoteAddr: conn.LocalAddr().String(),
				}
				if !reflect.DeepEqual(*obs, want) {
					t.Errorf("observation\n got %+v\nwant %+v", *obs, want)
				}
				got := kindsOf(srv.Log().Entries(), obs.Connection)
				if want := []EventKind{KindAccept, KindHandshake, KindRequest}; !slices.Equal(got, want) {
					t.Errorf("log of connection %d: %v, want %v", obs.Connection, got, want)
				}
			})
		}
	}
}

func TestVerifyingClientRefusesBadCertificates(t *testing.T) {
	trusted := newCA(t, "trusted")
	cases := []struct {
		mode TLSMode
		want error
	}{
		{TLSWrongSAN, x509.HostnameError{}},
		{TLSUntrustedCA, x509.UnknownAuthorityError{}},
		{TLSExpired, x509.CertificateInvalidError{}},
		{TLSNotYetValid, x509.CertificateInvalidError{}},
	}
	for _, tc := range cases {
		t.Run(string(tc.mode), func(t *testing.T) {
			srv := start(t, Config{Hostname: hostname, TLS: tc.mode, Authority: trusted})
			conn, err := dialTLS(t, srv, &tls.Config{ServerName: hostname, RootCAs: trusted.Pool(), NextProtos: []string{"h2"}})
			target := reflect.New(reflect.TypeOf(tc.want)).Interface()
			if !errors.As(err, target) {
				t.Fatalf("handshake error %v, want %T", err, tc.want)
			}
			failed := waitEvent(t, srv, "handshake-failed", func(e Event) bool {
				return e.Kind == KindHandshakeFailed && e.Remote == conn.LocalAddr().String()
			})
			if failed.SNI != hostname || !slices.Equal(failed.ALPNOffered, []string{"h2"}) {
				t.Errorf("failed handshake logged SNI %q ALPN %v, want %q [h2]", failed.SNI, failed.ALPNOffered, hostname)
			}
			if !strings.Contains(failed.Reason, "remote error") {
				t.Errorf("reason %q does not say the client refused", failed.Reason)
			}
			if got := kindsOf(srv.Log().Entries(), failed.Connection); !slices.Equal(got, []EventKind{KindAccept, KindHandshakeFailed}) {
				t.Errorf("log of connection: %v, want accept then handshake-failed", got)
			}
		})
	}
	t.Run("Valid is accepted", func(t *testing.T) {
		srv := start(t, Config{Hostname: hostname, TLS: TLSValid, Authority: trusted})
		conn, err := dialTLS(t, srv, &tls.Config{ServerName: hostname, RootCAs: trusted.Pool()})
		if err != nil {
			t.Fatalf("verifying client refused a valid upstream: %v", err)
		}
		if obs := mustRoundTrip(t, conn, false, probeRequest(t, "https")); obs.Token != srv.Token() {
			t.Errorf("token %q, want %q", obs.Token, srv.Token())
		}
	})
}

func TestClientCertificateRequired(t *testing.T) {
	trusted := newCA(t, "trusted")
	clientCA := newCA(t, "clients")
	stranger := issue(t, newCA(t, "other clients"), pki.LeafOptions{CommonName: "stranger", Client: true})
	srv := start(t, Config{Hostname: hostname, TLS: TLSClientCertRequired, Authority: trusted, ClientCA: clientCA})
	for name, cert := range map[string]*pki.Leaf{"no certificate": nil, "certificate from another CA": stranger} {
		t.Run(name, func(t *testing.T) {
			conn, err := dialTLS(t, srv, clientTLS(nil, cert))
			if err == nil {
				// In TLS 1.3 the server judges the client's certificate after the client
				// has finished, so the refusal arrives on the first read.
				_, _, err = roundTrip(conn, false, probeRequest(t, "https"))
			}
			if err == nil {
				t.Fatalf("request succeeded without an acceptable client certificate")
			}
			failed := waitEvent(t, srv, "handshake-failed", func(e Event) bool {
				return e.Kind == KindHandshakeFailed && e.Remote == conn.LocalAddr().String()
			})
			if !strings.Contains(failed.Reason, "certificate") {
				t.Errorf("reason %q does not mention the certificate", failed.Reason)
			}
		})
	}
}

func TestCleartextServesHTTP1AndH2COnOnePort(t *testing.T) {
	srv := start(t, Config{Role: "plain"})
	for _, tc := range []struct {
		name      string
		h2        bool
		wantProto string
	}{
		{"HTTP/1.1", false, "HTTP/1.1"},
		{"h2c prior knowledge", true, "HTTP/2.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := dial(t, srv)
			obs := mustRoundTrip(t, conn, tc.h2, probeRequest(t, "http"))
			if obs.Protocol != tc.wantProto || obs.H2C != tc.h2 {
				t.Errorf("protocol %q h2c %v, want %q h2c %v", obs.Protocol, obs.H2C, tc.wantProto, tc.h2)
			}
			if obs.Handshake.TLSVersion != "" || obs.SNI != "" || obs.ClientCertFingerprint != "" {
				t.Errorf("cleartext observation reports TLS: %+v", obs.Handshake)
			}
			if obs.Host != hostname || obs.Path != "/probe/path?q=1&r=two" || obs.RemoteAddr != conn.LocalAddr().String() {
				t.Errorf("observation %+v does not match the request", obs)
			}
			if got := kindsOf(srv.Log().Entries(), obs.Connection); !slices.Equal(got, []EventKind{KindAccept, KindRequest}) {
				t.Errorf("log of connection: %v, want accept then request", got)
			}
		})
	}
}

func TestConnectionsInOtherProtocolsAreRejected(t *testing.T) {
	cases := []struct {
		name       string
		cfg        Config
		tls        *tls.Config // nil: cleartext client
		h2         bool
		wantKind   EventKind
		wantReason string
	}{
		{"HTTP/1.1 to an h2c-only upstream", Config{Protocols: []Protocol{H2C}}, nil, false, KindRejected, "HTTP/1.1 is not enabled"},
		{"h2c to an HTTP/1.1-only upstream", Config{Protocols: []Protocol{HTTP1}}, nil, true, KindRejected, "h2c is not enabled"},
		{"TLS to a cleartext upstream", Config{}, clientTLS(nil, nil), false, KindRejected, "TLS handshake sent to a cleartext upstream"},
		{"HTTP/1.1 to an HTTP/2-only TLS upstream", Config{TLS: TLSValid, Hostname: hostname, Protocols: []Protocol{HTTP2}}, clientTLS([]string{"http/1.1"}, nil), false, KindRejected, "HTTP/1.1 is not enabled"},
		{"cleartext to a TLS upstream", Config{TLS: TLSValid, Hostname: hostname}, nil, false, KindHandshakeFailed, "does not look like a TLS handshake"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := start(t, tc.cfg)
			conn := dial(t, srv)
			if tc.tls != nil {
				conn = tls.Client(conn, tc.tls)
			}
			if obs, _, err := roundTrip(conn, tc.h2, probeRequest(t, "http")); err == nil {
				t.Fatalf("request was served: %+v", obs)
			}
			ev := waitEvent(t, srv, string(tc.wantKind), func(e Event) bool { return e.Kind == tc.wantKind })
			if !strings.Contains(ev.Reason, tc.wantReason) {
				t.Errorf("reason %q, want it to contain %q", ev.Reason, tc.wantReason)
			}
			for _, e := range srv.Log().Entries() {
				if e.Kind == KindRequest {
					t.Errorf("a request was logged: %+v", e)
				}
			}
		})
	}
}

func TestPriorKnowledgeHTTP2InsideTLSWhenH2CIsEnabled(t *testing.T) {
	srv := start(t, Config{TLS: TLSValid, Hostname: hostname, Protocols: []Protocol{HTTP1, HTTP2, H2C}})
	conn, err := dialTLS(t, srv, clientTLS(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	obs := mustRoundTrip(t, conn, true, probeRequest(t, "https"))
	if obs.Protocol != "HTTP/2.0" || !obs.H2C || obs.ALPNNegotiated != "" || obs.TLSVersion != "TLS1.3" {
		t.Errorf("observation %+v, want HTTP/2.0 by prior knowledge inside TLS 1.3 with no ALPN", obs)
	}
}

func TestAcceptIsLoggedBeforeAnyByte(t *testing.T) {
	srv := start(t, Config{TLS: TLSValid, Hostname: hostname})
	conn := dial(t, srv)
	accepted := waitEvent(t, srv, "accept", func(e Event) bool {
		return e.Kind == KindAccept && e.Remote == conn.LocalAddr().String()
	})
	if accepted.Local != srv.Addr().String() {
		t.Errorf("accept local address %q, want %q", accepted.Local, srv.Addr())
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	failed := waitEvent(t, srv, "handshake-failed", func(e Event) bool {
		return e.Kind == KindHandshakeFailed && e.Connection == accepted.Connection
	})
	if !strings.Contains(failed.Reason, "EOF") {
		t.Errorf("reason %q, want EOF for a client that left silently", failed.Reason)
	}
}

func TestLogWaitResetAndJSON(t *testing.T) {
	srv := start(t, Config{})
	isRequest := func(e Event) bool { return e.Kind == KindRequest }

	found := make(chan Event, 1)
	waitErr := make(chan error, 1)
	go func() {
		ev, err := srv.Log().Wait(waitContext(t), isRequest)
		found <- ev
		waitErr <- err
	}()
	obs := mustRoundTrip(t, dial(t, srv), false, probeRequest(t, "http"))
	future := <-found
	if err := <-waitErr; err != nil {
		t.Fatalf("Wait for a future request: %v", err)
	}
	if future.Observation == nil || future.Observation.Connection != obs.Connection {
		t.Errorf("Wait returned %+v, want the request of connection %d", future, obs.Connection)
	}
	past := waitEvent(t, srv, "the past request", isRequest)
	if past.Seq != future.Seq {
		t.Errorf("Wait for a past request returned seq %d, want %d", past.Seq, future.Seq)
	}

	entries := srv.Log().Entries()
	data, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	var decoded []Event
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	if len(decoded) != len(entries) {
		t.Fatalf("JSON round trip gave %d events, want %d", len(decoded), len(entries))
	}
	for i := range entries { // JSON keeps the instant, not the monotonic reading or the zone
		entries[i].Time = entries[i].Time.UTC()
		decoded[i].Time = decoded[i].Time.UTC()
	}
	if !reflect.DeepEqual(decoded, entries) {
		t.Errorf("JSON round trip changed the log\n got %+v\nwant %+v", decoded, entries)
	}

	srv.Log().Reset()
	if got := srv.Log().Entries(); len(got) != 0 {
		t.Errorf("after Reset, Entries() = %+v", got)
	}
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := srv.Log().Wait(ended, isRequest); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait after Reset with an ended context: %v, want context.Canceled", err)
	}
	next := mustRoundTrip(t, dial(t, srv), false, probeRequest(t, "http"))
	if ev := waitEvent(t, srv, "a request after Reset", isRequest); ev.Seq <= past.Seq || ev.Connection != next.Connection {
		t.Errorf("after Reset, got %+v, want the new request with a higher seq", ev)
	}
}

func TestTokensAreUniqueAndSentInAHeader(t *testing.T) {
	a, b := start(t, Config{}), start(t, Config{})
	if a.Token() == "" || a.Token() == b.Token() {
		t.Fatalf("tokens %q and %q, want two different non-empty tokens", a.Token(), b.Token())
	}
	_, resp, err := roundTrip(dial(t, a), false, probeRequest(t, "http"))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get(TokenHeader); got != a.Token() {
		t.Errorf("%s = %q, want %q", TokenHeader, got, a.Token())
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q, want application/json", got)
	}
}

func TestCertificateNames(t *testing.T) {
	spiffe, _ := url.Parse("spiffe://xbcheck.test/ns/default/sa/api")
	srv := start(t, Config{TLS: TLSValid, Hostname: "127.0.0.1", URIs: []*url.URL{spiffe}})
	cert := srv.Certificate()
	if len(cert.IPAddresses) != 1 || cert.IPAddresses[0].String() != "127.0.0.1" || len(cert.DNSNames) != 0 {
		t.Errorf("certificate for an IP Hostname has IPs %v DNS %v, want [127.0.0.1] and none", cert.IPAddresses, cert.DNSNames)
	}
	if len(cert.URIs) != 1 || cert.URIs[0].String() != spiffe.String() {
		t.Errorf("URI SANs %v, want [%s]", cert.URIs, spiffe)
	}
	if srv.Authority() == nil {
		t.Fatal("no Authority made for a TLS upstream configured without one")
	}
	conn, err := dialTLS(t, srv, &tls.Config{ServerName: "127.0.0.1", RootCAs: srv.Authority().Pool()})
	if err != nil {
		t.Fatalf("verifying against Server.Authority(): %v", err)
	}
	if obs := mustRoundTrip(t, conn, false, probeRequest(t, "https")); obs.SNI != "" {
		t.Errorf("SNI %q for an IP literal, want none (clients do not send IPs as SNI)", obs.SNI)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, cfg := range map[string]Config{
		"unknown TLS mode":              {TLS: "Sometimes"},
		"TLS without a hostname":        {TLS: TLSValid},
		"client certs without ClientCA": {TLS: TLSClientCertRequired, Hostname: hostname},
		"HTTP/2 by ALPN in cleartext":   {Protocols: []Protocol{HTTP2}},
		"unknown protocol":              {Protocols: []Protocol{"SPDY"}},
		"address in use or invalid":     {Addr: "127.0.0.1:notaport"},
	} {
		if srv, err := Start(context.Background(), cfg); err == nil {
			_ = srv.Close()
			t.Errorf("%s: Start succeeded", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", name, err)
		}
	}
}

// serverGoroutines lists goroutines running the upstream's code or the net/http and
// http2 server code it drives.
func serverGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "fakes/upstream.(*Server)") || strings.Contains(g, "net/http.(*conn).serve") || strings.Contains(g, "http2.(*serverConn)") {
			found = append(found, g)
		}
	}
	return found
}

func TestCloseEndsEveryGoroutine(t *testing.T) {
	srv, err := Start(context.Background(), Config{TLS: TLSValid, Hostname: hostname, Protocols: []Protocol{HTTP1, HTTP2, H2C}})
	if err != nil {
		t.Fatal(err)
	}
	h1, err := dialTLS(t, srv, clientTLS([]string{"http/1.1"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	mustRoundTrip(t, h1, false, probeRequest(t, "https")) // left open, kept alive
	h2, err := dialTLS(t, srv, clientTLS([]string{"h2"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	mustRoundTrip(t, h2, true, probeRequest(t, "https"))
	silent := dial(t, srv) // accepted, mid-handshake
	waitEvent(t, srv, "the silent accept", func(e Event) bool { return e.Kind == KindAccept && e.Remote == silent.LocalAddr().String() })

	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := net.Dial("tcp", srv.Addr().String()); err == nil {
		t.Errorf("server still accepts after Close")
	}
	// The server's own goroutines are gone when Close returns; net/http's connection
	// goroutine finishes just after closing the connection, so give it a moment.
	ctx := waitContext(t)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for left := serverGoroutines(); len(left) > 0; left = serverGoroutines() {
		select {
		case <-ctx.Done():
			t.Fatalf("%d server goroutines left after Close:\n%s", len(left), strings.Join(left, "\n\n"))
		case <-tick.C:
		}
	}
}

func TestEndedContextClosesTheServer(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	srv, err := Start(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := srv.Close(); err != nil { // waits for the close the cancellation started
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", srv.Addr().String()); err == nil {
		t.Errorf("server still accepts after its context ended")
	}
}

// TestDropConnectionsMakesAPoolingClientDialAgain holds a keep-alive connection in
// a client's pool, drops it on the server side, and proves the next request comes
// on a new connection while the server still serves.
func TestDropConnectionsMakesAPoolingClientDialAgain(t *testing.T) {
	srv := start(t, Config{Role: "pooled"})
	var dials atomic.Int32
	closed := make(chan struct{}, 1)
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &closeSignal{Conn: c, closed: closed}, nil
		},
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	get := func() *Observation {
		t.Helper()
		resp, err := client.Get("http://" + srv.Addr().String() + "/")
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		defer resp.Body.Close()
		var obs Observation
		if err := json.NewDecoder(resp.Body).Decode(&obs); err != nil {
			t.Fatal(err)
		}
		return &obs
	}
	first, second := get(), get()
	if first.Connection != second.Connection || dials.Load() != 1 {
		t.Fatalf("two requests came on connections %d and %d after %d dials; want one pooled connection", first.Connection, second.Connection, dials.Load())
	}
	srv.DropConnections()
	select {
	case <-closed: // the transport saw the hang-up and dropped the connection from its pool
	case <-waitContext(t).Done():
		t.Fatal("the client's pooled connection is still open after DropConnections")
	}
	third := get()
	if third.Connection == first.Connection || dials.Load() != 2 {
		t.Errorf("after DropConnections the request came on connection %d (first %d) after %d dials; want a new connection, dialled once more", third.Connection, first.Connection, dials.Load())
	}
	if accepts := kindsOf(srv.Log().Entries(), third.Connection); !slices.Contains(accepts, KindAccept) {
		t.Errorf("the new connection's events %v lack its accept", accepts)
	}
}

// closeSignal tells when the client closes its side of a connection.
type closeSignal struct {
	net.Conn
	closed chan struct{}
	once   sync.Once
}

func (c *closeSignal) Close() error {
	c.once.Do(func() { c.closed <- struct{}{} })
	return c.Conn.Close()
}

func TestTLSSessionsResumeAcrossConnections(t *testing.T) {
	ca, err := pki.NewAuthority("resumption")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(t.Context(), Config{Hostname: "api.xbcheck.test", TLS: TLSValid, Authority: ca, Protocols: []Protocol{HTTP1}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cache := tls.NewLRUClientSessionCache(4)
	conf := &tls.Config{RootCAs: ca.Pool(), ServerName: "api.xbcheck.test", ClientSessionCache: cache}
	var resumed, observed []bool
	for range 2 {
		tr := &http.Transport{TLSClientConfig: conf, DisableKeepAlives: true}
		resp, err := (&http.Client{Transport: tr}).Get("https://" + srv.Addr().String() + "/")
		if err != nil {
			t.Fatal(err)
		}
		var o Observation
		if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		resumed, observed = append(resumed, resp.TLS.DidResume), append(observed, o.Resumed)
	}
	if resumed[0] || !resumed[1] || !slices.Equal(observed, resumed) {
		t.Errorf("client resumed %v, upstream observed %v; want the second connection, and only it, resumed and observed so", resumed, observed)
	}
}
