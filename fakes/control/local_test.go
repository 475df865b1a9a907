package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// newLocal starts a DNS server and a Local over it, closing both when the test ends.
func newLocal(t *testing.T, opts LocalOptions) *Local {
	t.Helper()
	d, err := dns.Start(t.Context(), dns.Config{})
	must(t, err)
	t.Cleanup(func() { _ = d.Close() })
	opts.DNS = d
	l, err := NewLocal(opts)
	must(t, err)
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

func TestNewLocalRefusesWhatCannotWork(t *testing.T) {
	d, err := dns.Start(t.Context(), dns.Config{})
	must(t, err)
	defer d.Close()
	ca := newCA(t, "ca")
	leaf, err := ca.Issue(pki.LeafOptions{Client: true})
	must(t, err)
	refuse := func(netip.Addr) error { return errors.New("outside the sandbox") }
	cases := []struct {
		name    string
		opts    LocalOptions
		mention string
	}{
		{"no DNS server", LocalOptions{}, "LocalOptions.DNS is nil"},
		{"a client certificate without its CA", LocalOptions{DNS: d, Client: leaf}, "without the Authority that signed it"},
		{"an internet off loopback and no guard", LocalOptions{DNS: d, Internet: netip.MustParsePrefix("203.0.113.0/24")},
			"LocalOptions.Internet 203.0.113.0/24: 203.0.113.1 is not loopback"},
		{"an internet the guard refuses", LocalOptions{DNS: d, Internet: netip.MustParsePrefix("203.0.113.0/24"), Guard: refuse},
			"may not bind 203.0.113.1: outside the sandbox; use a loopback prefix"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewLocal(c.opts)
			if err == nil || !strings.Contains(err.Error(), c.mention) || strings.Contains(err.Error(), "\n") {
				t.Errorf("NewLocal: %v; want one line mentioning %q", err, c.mention)
			}
		})
	}
}

// TestLocalMakesItsPKI checks that a Local given no CA makes one, and a client
// certificate it signed, and that upstreams without a spec CA chain to it.
func TestLocalMakesItsPKI(t *testing.T) {
	l := newLocal(t, LocalOptions{})
	p, err := l.PKI(t.Context())
	must(t, err)
	if p.CA == "" || p.ClientCert == "" || p.ClientKey == "" {
		t.Fatalf("PKI %+v, want a CA and a client certificate", p)
	}
	info := startUpstream(t, t.Context(), l, UpstreamSpec{Role: "api", Hostname: "api.xbcheck.test", TLS: "Valid"})
	httpsGet(t, t.Context(), info.Addr.String(), "https://api.xbcheck.test/", p.CA)
}

// TestGuardIsAskedForEveryAddressButLoopback uses a guard that refuses all, so no
// address off loopback is ever bound.
func TestGuardIsAskedForEveryAddressButLoopback(t *testing.T) {
	var mu sync.Mutex
	var asked []netip.Addr
	l := newLocal(t, LocalOptions{Guard: func(a netip.Addr) error {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, a)
		return fmt.Errorf("%s is a test's refusal", a)
	}})
	startUpstream(t, t.Context(), l, UpstreamSpec{Role: "loopback"})
	startCanary(t, t.Context(), l, CanarySpec{Name: "loopback", Addrs: []string{"127.0.0.3:0", "[::ffff:127.0.0.4]:0"}})
	if len(asked) != 0 {
		t.Errorf("the guard was asked about %v, want no question for loopback", asked)
	}
	_, errUp := l.StartUpstream(t.Context(), UpstreamSpec{Role: "far", Addr: "198.51.100.7:443"})
	_, errCanary := l.StartCanary(t.Context(), CanarySpec{Name: "far", Addrs: []string{"[fd00:ec2::254]:80"}})
	for _, err := range []error{errUp, errCanary} {
		var invalid *InvalidError
		if !errors.As(err, &invalid) || !strings.Contains(invalid.Reason, "is a test's refusal") {
			t.Errorf("start off loopback: %v; want an *InvalidError carrying the guard's reason", err)
		}
	}
	if want := []netip.Addr{netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("fd00:ec2::254")}; !slices.Equal(asked, want) {
		t.Errorf("the guard was asked about %v, want %v", asked, want)
	}
	sum, err := l.Summary(t.Context())
	must(t, err)
	if len(sum.Upstreams) != 1 || len(sum.Canaries) != 1 {
		t.Errorf("after the refusals the summary is %+v, want only the loopback fakes", sum)
	}
}

// TestNoGuardMeansLoopbackOnly checks the refusal when no guard is given.
func TestNoGuardMeansLoopbackOnly(t *testing.T) {
	l := newLocal(t, LocalOptions{})
	_, err := l.StartCanary(t.Context(), CanarySpec{Name: "metadata", Addrs: []string{"169.254.169.254:80"}})
	var invalid *InvalidError
	if !errors.As(err, &invalid) || invalid.Field != "addrs[0]" || !strings.Contains(invalid.Reason, "may bind loopback only") {
		t.Errorf("a canary at 169.254.169.254 without a guard: %v; want it refused as loopback only", err)
	}
}

func TestHostRange(t *testing.T) {
	cases := []struct{ prefix, first, last string }{
		{"127.0.1.0/24", "127.0.1.1", "127.0.1.254"},
		{"203.0.113.77/24", "203.0.113.1", "203.0.113.254"},
		{"127.0.9.0/30", "127.0.9.1", "127.0.9.2"},
		{"127.0.9.0/31", "127.0.9.0", "127.0.9.1"},
		{"127.0.9.5/32", "127.0.9.5", "127.0.9.5"},
		{"2001:db8::/64", "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff"},
		{"2001:db8::/127", "2001:db8::", "2001:db8::1"},
		{"::1/128", "::1", "::1"},
	}
	for _, c := range cases {
		first, last := hostRange(netip.MustParsePrefix(c.prefix))
		if first.String() != c.first || last.String() != c.last {
			t.Errorf("hostRange(%s) = %s..%s, want %s..%s", c.prefix, first, last, c.first, c.last)
		}
	}
}

// TestAllocationWrapsAroundAndSkipsHeldAddresses uses an internet of two addresses.
func TestAllocationWrapsAroundAndSkipsHeldAddresses(t *testing.T) {
	l := newLocal(t, LocalOptions{Internet: netip.MustParsePrefix("127.0.9.16/30")})
	one, two := netip.MustParseAddr("127.0.9.17"), netip.MustParseAddr("127.0.9.18")
	ctx := t.Context()
	host := func(role string) netip.Addr {
		t.Helper()
		return startUpstream(t, ctx, l, UpstreamSpec{Role: role}).Addr.Addr()
	}
	if a, b := host("a"), host("b"); a != one || b != two {
		t.Fatalf("first two upstreams on %s and %s, want %s and %s", a, b, one, two)
	}
	must(t, l.StopUpstream(ctx, "a"))
	if c := host("c"); c != one {
		t.Errorf("after wrapping around: %s, want %s, free again", c, one)
	}
	// Both held: the next one is shared, on another port.
	if d := host("d"); d != two {
		t.Errorf("with every address held: %s, want the next one, %s", d, two)
	}
	must(t, l.StopUpstream(ctx, "b"))
	must(t, l.StopUpstream(ctx, "d"))
	startCanary(t, ctx, l, CanarySpec{Name: "squatter", Addrs: []string{"127.0.9.18:0"}})
	if e := host("e"); e != one {
		t.Errorf("with a canary on %s and %s held by c: %s, want the shared %s", two, one, e, one)
	}
}

// TestConcurrentStarts starts upstreams from many goroutines at once: each gets an
// address of its own, and of several starts of one role exactly one wins.
func TestConcurrentStarts(t *testing.T) {
	l := newLocal(t, LocalOptions{Internet: netip.MustParsePrefix("127.0.10.0/24")})
	const n = 16
	var wg sync.WaitGroup
	infos := make([]UpstreamInfo, n)
	sameErrs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			info, err := l.StartUpstream(t.Context(), UpstreamSpec{Role: fmt.Sprintf("u%d", i)})
			if err != nil {
				t.Errorf("start u%d: %v", i, err)
			}
			infos[i] = info
		})
		wg.Go(func() {
			_, sameErrs[i] = l.StartUpstream(t.Context(), UpstreamSpec{Role: "same"})
		})
		wg.Go(func() {
			if _, err := l.Summary(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	hosts := map[netip.Addr]string{}
	for _, info := range infos {
		if other, taken := hosts[info.Addr.Addr()]; taken {
			t.Errorf("%s and %s share %s", info.Role, other, info.Addr.Addr())
		}
		hosts[info.Addr.Addr()] = info.Role
	}
	won := 0
	for _, err := range sameErrs {
		var invalid *InvalidError
		switch {
		case err == nil:
			won++
		case !errors.As(err, &invalid) || invalid.Field != "role":
			t.Errorf("a losing start of role same: %v; want an *InvalidError on role", err)
		}
	}
	if won != 1 {
		t.Errorf("%d starts of role same succeeded, want 1", won)
	}
}

// TestCloseStopsWhatItStarted checks that Close stops the upstreams and canaries but
// not the DNS server, and that nothing starts afterwards.
func TestCloseStopsWhatItStarted(t *testing.T) {
	d, err := dns.Start(t.Context(), dns.Config{})
	must(t, err)
	defer d.Close()
	l, err := NewLocal(LocalOptions{DNS: d})
	must(t, err)
	up, err := l.StartUpstream(t.Context(), UpstreamSpec{Role: "api"})
	must(t, err)
	can, err := l.StartCanary(t.Context(), CanarySpec{Name: "admin", Addrs: []string{"127.0.0.3:0"}})
	must(t, err)
	must(t, l.Close())
	for _, addr := range []string{up.Addr.String(), can.Addrs[0].String()} {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Errorf("%s still accepts after Close", addr)
		}
	}
	query(t, t.Context(), d.Addr(), "api.xbcheck.test.", 1) // answers: the DNS server is the caller's
	if _, err := l.StartUpstream(t.Context(), UpstreamSpec{Role: "late"}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("a start after Close: %v, want a refusal saying the fakes are closed", err)
	}
	if sum, _ := l.Summary(t.Context()); len(sum.Upstreams)+len(sum.Canaries) != 0 {
		t.Errorf("summary after Close: %+v, want no upstream and no canary", sum)
	}
	must(t, l.Close())
}

// TestStartedFakesOutliveTheRequest proves a fake started with a context that then
// ends keeps running: through a Remote the context is the HTTP request's.
func TestStartedFakesOutliveTheRequest(t *testing.T) {
	l := newLocal(t, LocalOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	info, err := l.StartUpstream(ctx, UpstreamSpec{Role: "api"})
	must(t, err)
	cancel()
	dialAndClose(t, info.Addr.String())
	if _, err := l.StartUpstream(ctx, UpstreamSpec{Role: "late"}); !errors.Is(err, context.Canceled) {
		t.Errorf("a start with an ended context: %v, want context.Canceled", err)
	}
}
