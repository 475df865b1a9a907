package dataplane

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// streamServer accepts on loopback and hands each connection (after the
// TLS handshake, when cfg is set) to serve.
func streamServer(t *testing.T, cfg *tls.Config, serve func(net.Conn)) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if cfg != nil {
				c = tls.Server(c, cfg)
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return netip.MustParseAddrPort(l.Addr().String())
}

func echoStream(c net.Conn) { _, _ = io.Copy(c, c) }

func dialStream(t *testing.T, b Backend, o Options) (net.Conn, error) {
	t.Helper()
	tr, err := NewTransport(b, o)
	if err != nil {
		t.Fatalf("NewTransport: %v", err)
	}
	return tr.DialStream(context.Background())
}

// TCP streams go where the guardrail lets them, over TLS verified as tls
// says, with no ALPN; the faults break exactly that.
func TestDialStream(t *testing.T) {
	ca := newCA(t, "ca")
	leaf := ca.leaf(t, leafSpec{dnsNames: []string{apiHost}})
	var mu sync.Mutex
	var sawALPN []string
	tlsAddr := streamServer(t, &tls.Config{Certificates: []tls.Certificate{leaf}, GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		sawALPN = h.SupportedProtos
		mu.Unlock()
		return nil, nil
	}}, echoStream)
	plain := streamServer(t, nil, echoStream)

	c, err := dialStream(t, Backend{Name: "ns/tcp", Hostname: appHost, Port: int(plain.Port()), Protocol: ProtocolTCP}, loopback("", t))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*tls.Conn); ok || !echoes(c) {
		t.Error("a cleartext TCP stream is not a plain echoing connection")
	}

	b := Backend{Name: "ns/tcp", Hostname: appHost, Port: int(tlsAddr.Port()), Protocol: ProtocolTCP,
		TLS: &TLS{Mode: TLSModeServerOnly, SNI: apiHost, CACertificates: [][]byte{ca.pem}}}
	c, err = dialStream(t, b, loopback("", t))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	offered := sawALPN
	mu.Unlock()
	if tc, ok := c.(*tls.Conn); !ok || tc.ConnectionState().ServerName != apiHost || !echoes(c) || len(offered) != 0 {
		t.Errorf("a TLS TCP stream: TLS %v, ALPN offered %q", ok, offered)
	}
	if c, err := dialStream(t, b, loopback("tcp-plaintext-when-tls", t)); err != nil {
		t.Fatal(err)
	} else if _, ok := c.(*tls.Conn); ok {
		t.Error("tcp-plaintext-when-tls still originated TLS")
	}
	untrusted := b
	untrusted.TLS = &TLS{Mode: TLSModeServerOnly, SNI: apiHost, CACertificates: [][]byte{newCA(t, "other").pem}}
	if _, err := dialStream(t, untrusted, loopback("", t)); err == nil {
		t.Error("a TCP stream to a server of an untrusted CA was opened")
	}

	denied := Options{Resolver: &fakeResolver{script: [][]Answer{answers(0, "127.0.0.1")}}}
	plainB := Backend{Name: "ns/tcp", Hostname: appHost, Port: int(plain.Port()), Protocol: ProtocolTCP}
	if _, err := dialStream(t, plainB, denied); err == nil {
		t.Error("a TCP stream to loopback passed the guardrail")
	}
	denied.Faults = mustParseFaults(t, "tcp-skips-guardrail")
	if _, err := dialStream(t, plainB, denied); err != nil {
		t.Errorf("tcp-skips-guardrail still checked: %v", err)
	}
}

func echoes(c net.Conn) bool {
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		return false
	}
	got := make([]byte, 4)
	_, err := io.ReadFull(c, got)
	return err == nil && string(got) == "ping"
}
