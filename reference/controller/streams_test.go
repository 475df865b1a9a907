package controller

import (
	"context"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/xbcheck/xbcheck/reference/dataplane"
	"github.com/xbcheck/xbcheck/reference/guardrail"
)

type loopbackResolver struct{}

func (loopbackResolver) Resolve(context.Context, string) ([]dataplane.Answer, error) {
	return []dataplane.Answer{{Addr: netip.MustParseAddr("127.0.0.1")}}, nil
}

// A TCP listener relays each connection to its rule's XBackend, and hangs
// up at once on a connection whose XBackend has no transport.
func TestStreamsRelayToTheXBackend(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	backends := NewBackends(dataplane.Options{Resolver: loopbackResolver{},
		Guardrail: guardrail.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}})
	key := types.NamespacedName{Namespace: "ns", Name: "tcp"}
	b := dataplane.Backend{Name: "ns/tcp", Hostname: "tcp.xbcheck.test", Port: int(netip.MustParseAddrPort(echo.Addr().String()).Port()), Protocol: dataplane.ProtocolTCP}
	if err := backends.update(key, "1", b, nil); err != nil {
		t.Fatal(err)
	}
	table := &Table{backends: backends, stream: true, rules: []tableRule{{targets: []target{{weight: 1, xbackend: key}}, total: 1}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var current atomic.Pointer[Table]
	current.Store(table)
	done := make(chan struct{})
	srv := serveStreams(ln, &current, done)
	defer func() { srv.close(); <-done }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
		t.Errorf("relayed %q, %v; want the echo of ping", got, err)
	}
	c.Close()

	backends.remove(key)
	c, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(got); err != io.EOF {
		t.Errorf("a connection to a removed XBackend read %d bytes, %v; want it closed", n, err)
	}
}
