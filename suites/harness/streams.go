package harness

import (
	"context"
	"net"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// CallGRPC makes one gRPC call through gateway (host:port of an HTTP
// listener), over HTTP/2 with prior knowledge on a fresh connection, as a
// gRPC client of a cleartext listener does, and returns the answering
// upstream's Observation (upstream.CallGRPC). Like DialWebSocket it needs
// the harness's own prober: with probes sent from a pod it skips, saying so.
func (s *T) CallGRPC(ctx context.Context, gateway string) (*upstream.Observation, error) {
	return s.CallGRPCAs(ctx, gateway, "")
}

// CallGRPCAs is CallGRPC with authority as the call's :authority (the
// name a GRPCRoute's hostnames match) instead of gateway; "" keeps gateway.
func (s *T) CallGRPCAs(ctx context.Context, gateway, authority string) (*upstream.Observation, error) {
	s.needOwnProber("a gRPC call")
	ctx, cancel := context.WithTimeout(ctx, s.h.Timeouts.Request)
	defer cancel()
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	d := &net.Dialer{Control: guardDial}
	t := &http.Transport{Proxy: nil, DialContext: d.DialContext, Protocols: &h2c, DisableKeepAlives: true}
	defer t.CloseIdleConnections()
	var rt http.RoundTripper = t
	if authority != "" {
		rt = withAuthority{next: t, authority: authority}
	}
	return upstream.CallGRPC(ctx, &http.Client{Transport: rt}, "http://"+gateway)
}

// withAuthority sends every request with authority as its Host (HTTP/2's
// :authority).
type withAuthority struct {
	next      http.RoundTripper
	authority string
}

func (a withAuthority) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = a.authority
	return a.next.RoundTrip(r)
}

// DialTCP opens a TCP connection to gateway (host:port of a TCP listener)
// and reads the first line an upstream sends (upstream.ReadBanner), within
// the Request timeout. The connection stays open for more (upstream.Echo)
// and is closed when the spec ends. Like DialWebSocket it needs the
// harness's own prober.
func (s *T) DialTCP(ctx context.Context, gateway string) (net.Conn, *upstream.Observation, error) {
	s.needOwnProber("a TCP connection")
	ctx, cancel := context.WithTimeout(ctx, s.h.Timeouts.Request)
	defer cancel()
	d := &net.Dialer{Control: guardDial}
	c, err := d.DialContext(ctx, "tcp", gateway)
	if err != nil {
		return nil, nil, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(deadline)
	}
	obs, err := upstream.ReadBanner(c)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	_ = c.SetDeadline(time.Time{})
	DeferCleanup(func() { c.Close() })
	return c, obs, nil
}

func (s *T) needOwnProber(what string) {
	if s.h.Prober != nil {
		Skip(what + " is made from xbcheck's own process, and this run reaches Gateways from a pod of the cluster, whose probe sends plain HTTP requests only")
	}
}
