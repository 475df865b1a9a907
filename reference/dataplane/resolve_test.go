package dataplane

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/xbcheck/xbcheck/reference/faults"
)

// startDNS serves zone (name -> answer records) on UDP and TCP at one
// 127.0.0.1 port. Names in truncated get an empty truncated answer over UDP.
func startDNS(t *testing.T, zone map[string][]string, truncated map[string]bool) string {
	t.Helper()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		name := strings.ToLower(q.Question[0].Name)
		records, ok := zone[name]
		_, udp := w.RemoteAddr().(*net.UDPAddr)
		switch {
		case !ok:
			m.Rcode = dns.RcodeNameError
		case udp && truncated[name]:
			m.Truncated = true
		default:
			for _, text := range records {
				rr, err := dns.NewRR(text)
				if err != nil {
					t.Errorf("bad record %q: %v", text, err)
					continue
				}
				// Answer each type only to its own question, CNAMEs to both.
				if t := rr.Header().Rrtype; t == dns.TypeCNAME || t == q.Question[0].Qtype {
					m.Answer = append(m.Answer, rr)
				}
			}
		}
		w.WriteMsg(m)
	})
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			continue
		}
		for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}} {
			started := make(chan struct{})
			srv.NotifyStartedFunc = func() { close(started) }
			go srv.ActivateAndServe()
			<-started
			t.Cleanup(func() { srv.Shutdown() })
		}
		return pc.LocalAddr().String()
	}
	t.Fatal("no port free for UDP and TCP on 127.0.0.1")
	return ""
}

func TestDNSResolve(t *testing.T) {
	server := startDNS(t, map[string][]string{
		"app.xbcheck.test.": {
			"APP.xbcheck.test. 30 IN A 127.0.0.1",
			"app.xbcheck.test. 20 IN AAAA ::ffff:127.0.0.1",
			"stray.xbcheck.test. 30 IN A 127.0.0.66",
		},
		"alias.xbcheck.test.": {
			"alias.xbcheck.test. 60 IN CNAME mid.xbcheck.test.",
			"mid.xbcheck.test. 5 IN CNAME end.xbcheck.test.",
			"end.xbcheck.test. 300 IN A 127.0.0.9",
			"alias.xbcheck.test. 300 IN A 127.0.0.66",
		},
		"big.xbcheck.test.":  {"big.xbcheck.test. 7 IN A 127.0.0.7"},
		"none.xbcheck.test.": {},
	}, map[string]bool{"big.xbcheck.test.": true})
	r := DNS{Server: server}
	for _, tc := range []struct {
		host    string
		want    []string // addr/ttl
		wantErr string
	}{
		{host: "app.xbcheck.test", want: []string{"127.0.0.1/30s", "::ffff:127.0.0.1/20s"}},
		// The chain is followed to its end; the TTL is the smallest along it.
		{host: "alias.xbcheck.test", want: []string{"127.0.0.9/5s"}},
		// Truncated over UDP: asked again over TCP.
		{host: "big.xbcheck.test", want: []string{"127.0.0.7/7s"}},
		{host: "missing.xbcheck.test", wantErr: "NXDOMAIN"},
		{host: "none.xbcheck.test", wantErr: "no A or AAAA record"},
	} {
		got, err := r.Resolve(context.Background(), tc.host)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want %q", tc.host, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.host, err)
			continue
		}
		var texts []string
		for _, a := range got {
			texts = append(texts, a.Addr.String()+"/"+a.TTL.String())
		}
		if strings.Join(texts, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: got %v, want %v", tc.host, texts, tc.want)
		}
	}
}

// An address a CNAME chain led to says which name owns it; one the asked
// name owns says nothing.
func TestDNSResolveSaysWhereAChainLed(t *testing.T) {
	server := startDNS(t, map[string][]string{
		"direct.xbcheck.test.": {"direct.xbcheck.test. 0 IN A 127.0.0.1"},
		"chain.xbcheck.test.": {
			"chain.xbcheck.test. 0 IN CNAME localhost.",
			"localhost. 0 IN A 127.0.0.1",
			"localhost. 0 IN AAAA ::1",
		},
	}, nil)
	r := DNS{Server: server}
	for host, want := range map[string]string{"direct.xbcheck.test": "", "chain.xbcheck.test": "localhost."} {
		got, err := r.Resolve(context.Background(), host)
		if err != nil || len(got) == 0 {
			t.Fatalf("%s: %v, %v", host, got, err)
		}
		for _, a := range got {
			if a.Via != want {
				t.Errorf("%s: %s came via %q, want %q", host, a.Addr, a.Via, want)
			}
		}
	}
}

func TestDNSResolverThroughTransport(t *testing.T) {
	u := mustStartUpstream(t, nil, h1)
	server := startDNS(t, map[string][]string{"app.xbcheck.test.": {"app.xbcheck.test. 0 IN A 127.0.0.1"}}, nil)
	s, err := get(t, plainBackend(u.addr.Port()), Options{Resolver: DNS{Server: server}, Guardrail: only("127.0.0.1")})
	if err != nil || s.Proto != "HTTP/1.1" {
		t.Errorf("upstream saw %+v (err %v), want an HTTP/1.1 request", s, err)
	}
}

func TestCacheHonoursTheSmallestTTL(t *testing.T) {
	r := &fakeResolver{script: [][]Answer{{
		{Addr: netip.MustParseAddr("127.0.0.1"), TTL: time.Minute},
		{Addr: netip.MustParseAddr("127.0.0.2"), TTL: 30 * time.Second},
	}}}
	now := time.Unix(1_000_000, 0)
	for forever, want := range map[bool][]int{false: {1, 1, 2, 2}, true: {1, 1, 1, 1}} {
		r.calls = 0
		c := newCache(r, faults.Set{faults.CacheDNSForever: forever})
		c.now = func() time.Time { return now }
		for i, at := range []time.Duration{0, 29 * time.Second, 30 * time.Second, 59 * time.Second} {
			now = time.Unix(1_000_000, 0).Add(at)
			if _, err := c.Resolve(context.Background(), appHost); err != nil {
				t.Fatal(err)
			}
			if r.Calls() != want[i] {
				t.Errorf("cache-dns-forever=%v: after %v, %d lookups, want %d", forever, at, r.Calls(), want[i])
			}
		}
	}
}

func TestNewConnectionsResolveAgainPerTTL(t *testing.T) {
	u := mustStartUpstream(t, nil, h1)
	for _, tc := range []struct {
		ttl       time.Duration
		faults    string
		wantCalls int
	}{
		{ttl: 0, wantCalls: 3},
		{ttl: time.Hour, wantCalls: 1},
		{ttl: 0, faults: "cache-dns-forever", wantCalls: 1},
	} {
		r := &fakeResolver{script: [][]Answer{answers(tc.ttl, "127.0.0.1")}}
		tr, err := NewTransport(plainBackend(u.addr.Port()), Options{Resolver: r, Guardrail: only("127.0.0.1"),
			Faults: mustParseFaults(t, tc.faults)})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := roundTrip(tr); err != nil {
				t.Fatal(err)
			}
			tr.CloseIdleConnections() // the next request needs a new connection
		}
		if r.Calls() != tc.wantCalls {
			t.Errorf("TTL %v faults %q: %d lookups for 3 connections, want %d", tc.ttl, tc.faults, r.Calls(), tc.wantCalls)
		}
	}
}

func TestFailedLookupIsNotServedStale(t *testing.T) {
	r := &fakeResolver{script: [][]Answer{answers(0, "127.0.0.1"), nil}}
	c := newCache(r, nil)
	if _, err := c.Resolve(context.Background(), appHost); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Resolve(context.Background(), appHost); err == nil {
		t.Errorf("expired answer %v served after a failed lookup", got)
	}
}
