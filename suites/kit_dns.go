package suites

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// needsSandbox skips the spec outside the network sandbox, saying why: the
// addresses it needs are only bound (and only safe to dial) inside it.
func needsSandbox(why string) {
	if n := config.Environment.Network; !n.Sandboxed {
		reason := "needs the network sandbox: " + why
		if n.NoSandbox != "" {
			reason += " (" + n.NoSandbox + ")"
		}
		Skip(reason)
	}
}

// dropper is an upstream's listener that can close every connection it has
// accepted. Implementations pool upstream connections, so only dropping
// them makes the next request dial, and so resolve, again: the way to see
// where new connections go after a DNS answer changed.
type dropper struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (d *dropper) Accept() (net.Conn, error) {
	c, err := d.Listener.Accept()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.conns[c] = struct{}{}
	d.mu.Unlock()
	return c, nil
}

// drop closes every connection accepted so far.
func (d *dropper) drop() {
	d.mu.Lock()
	conns := d.conns
	d.conns = map[net.Conn]struct{}{}
	d.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
}

// startDroppableUpstream is startUpstream on a listener whose connections
// the spec can drop.
func (s *spec) startDroppableUpstream(ctx context.Context, cfg upstream.Config) (*upstream.Server, *dropper) {
	addr := cfg.Addr
	if addr == "" {
		addr = net.JoinHostPort(config.Environment.Network.internetAddr().String(), "0")
	}
	ap, err := netip.ParseAddrPort(addr)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "harness error: upstream address %q", addr)
	ExpectWithOffset(1, sandbox.Guard(ap.Addr())).To(Succeed(), "harness error: an upstream at %s needs the sandbox", ap.Addr())
	l, err := net.Listen("tcp", addr)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "harness error: listen for the fake upstream %s on %s", cfg.Role, addr)
	d := &dropper{Listener: l, conns: map[net.Conn]struct{}{}}
	cfg.Listener = d
	return s.startUpstream(ctx, cfg), d
}

// rdata is the data of an answer record as the DNS log writes it
// ("name. 0 IN A 127.0.0.1" gives "127.0.0.1").
func rdata(answer string) string {
	fields := strings.Fields(answer)
	if len(fields) == 0 {
		return ""
	}
	return fields[len(fields)-1]
}

// answerIs matches a logged answer record whose data is want: an address
// in exactly that form (::ffff:127.0.0.1 is not 127.0.0.1), or a name.
func answerIs(want string) func(string) bool {
	wantAddr, wantErr := netip.ParseAddr(want)
	return func(answer string) bool {
		got := rdata(answer)
		if wantErr != nil {
			return strings.EqualFold(got, want)
		}
		a, err := netip.ParseAddr(got)
		return err == nil && a == wantAddr
	}
}

// served waits (up to the Request timeout) for the DNS log to show an
// answer for name that match accepts, served to the implementation: the
// harness itself never queries the rogue DNS.
func (s *spec) served(ctx context.Context, name string, match func(answer string) bool) (dns.Query, error) {
	ctx, cancel := context.WithTimeout(ctx, config.Timeouts.Request)
	defer cancel()
	return config.Environment.DNS.Wait(ctx, func(q dns.Query) bool {
		if !strings.EqualFold(q.Name, name+".") && !strings.EqualFold(q.Name, name) {
			return false
		}
		for _, a := range q.Answers {
			if match(a) {
				return true
			}
		}
		return false
	})
}

// carriesToken reports whether a response shows a canary's token: the
// canary's own answer reached the client.
func carriesToken(r *response, c *canary.Canary) bool {
	return r != nil && bytes.Contains(r.Body, []byte(c.Token()))
}

// statusOK matches any 2xx.
func statusOK(status int) bool { return status >= http.StatusOK && status < http.StatusMultipleChoices }

// pollUntil runs probe every Poll until it reports done, ctx ends or
// within has passed, and says whether it was done. It never fails the
// spec: OBSERVE measurements wait with it.
func pollUntil(ctx context.Context, within time.Duration, probe func() bool) bool {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(config.Timeouts.Poll)
	defer tick.Stop()
	for {
		if probe() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-tick.C:
		}
	}
}

// outcome names what one probe through the Gateway got, for measurements:
// the upstream it reached, or the status or error instead.
func outcome(r *response, err error, ups ...*upstream.Server) string {
	if err != nil {
		return "error: " + briefly(err.Error())
	}
	if r.Upstream != nil {
		for _, up := range ups {
			if r.Upstream.Token == up.Token() {
				return fmt.Sprintf("HTTP %d from upstream %s", r.Status, up.Role())
			}
		}
	}
	return fmt.Sprintf("HTTP %d: %s", r.Status, briefly(string(r.Body)))
}

func briefly(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(line) > 160 {
		line = line[:160] + "..."
	}
	return line
}
