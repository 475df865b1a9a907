package dns

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// start runs a server for the test and closes it when the test ends.
func start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s, err := Start(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func program(tb testing.TB, s *Server, name string, qtype uint16, p Program) {
	tb.Helper()
	if err := s.Program(name, qtype, p); err != nil {
		tb.Fatal(err)
	}
}

func question(name string, qtype uint16) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	return m
}

// exchange sends m over network ("udp" or "tcp") and returns the reply.
func exchange(tb testing.TB, s *Server, network string, m *mdns.Msg) *mdns.Msg {
	tb.Helper()
	c := &mdns.Client{Net: network, Timeout: 10 * time.Second}
	r, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		tb.Fatalf("%s query %s: %v", network, m.Question[0].String(), err)
	}
	return r
}

func ask(tb testing.TB, s *Server, name string, qtype uint16) *mdns.Msg {
	tb.Helper()
	return exchange(tb, s, UDP, question(name, qtype))
}

// records renders a section the way the log does.
func records(rrs []mdns.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	return out
}

func lastQuery(tb testing.TB, s *Server) Query {
	tb.Helper()
	log := s.Log()
	if len(log) == 0 {
		tb.Fatal("query log is empty, want at least one entry")
	}
	return log[len(log)-1]
}

// fakeClock is set by the test and read by the server's goroutines.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func TestProgramKindsPickSteps(t *testing.T) {
	public, loopback, other := Records(0, "A 203.0.113.10"), Records(0, "A 127.0.0.1"), Records(0, "A 203.0.113.20")
	tests := []struct {
		name    string
		program Program
		want    []string // the A record served per query, in order
		steps   []int
	}{
		{"static", Static(public), []string{"203.0.113.10", "203.0.113.10", "203.0.113.10"}, []int{0, 0, 0}},
		{"sequence after one", Sequence(public, 1, loopback), []string{"203.0.113.10", "127.0.0.1", "127.0.0.1"}, []int{0, 1, 1}},
		{"sequence after two", Sequence(public, 2, loopback), []string{"203.0.113.10", "203.0.113.10", "127.0.0.1", "127.0.0.1"}, []int{0, 0, 1, 1}},
		{"sequence after zero", Sequence(public, 0, loopback), []string{"127.0.0.1", "127.0.0.1"}, []int{1, 1}},
		{"round robin", RoundRobin(public, loopback, other), []string{"203.0.113.10", "127.0.0.1", "203.0.113.20", "203.0.113.10", "127.0.0.1"}, []int{0, 1, 2, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, Config{})
			program(t, s, "rebind.xbcheck.test.", mdns.TypeA, tt.program)
			for i, want := range tt.want {
				r := ask(t, s, "rebind.xbcheck.test.", mdns.TypeA)
				if len(r.Answer) != 1 || r.Answer[0].(*mdns.A).A.String() != want {
					t.Fatalf("query %d: answers %v, want one A %s", i, records(r.Answer), want)
				}
				if q := lastQuery(t, s); q.Step != tt.steps[i] || q.Program != tt.program.Kind {
					t.Fatalf("query %d: log says %s step %d, want %s step %d", i, q.Program, q.Step, tt.program.Kind, tt.steps[i])
				}
			}
		})
	}
}

func TestRandomProgramRepeatsForASeed(t *testing.T) {
	t.Parallel()
	steps := []Step{Records(0, "A 203.0.113.10"), Records(0, "A 127.0.0.1"), Records(0, "A 10.244.0.10")}
	series := func(seed int64) []int {
		s := start(t, Config{})
		program(t, s, "random.xbcheck.test.", mdns.TypeA, Random(seed, steps...))
		for range 24 {
			ask(t, s, "random.xbcheck.test.", mdns.TypeA)
		}
		var out []int
		for _, q := range s.Log() {
			out = append(out, q.Step)
		}
		return out
	}
	first, again, other := series(7), series(7), series(8)
	if !slices.Equal(first, again) {
		t.Fatalf("seed 7 served steps %v, then %v; want the same series", first, again)
	}
	if slices.Equal(first, other) {
		t.Fatalf("seeds 7 and 8 served the same steps %v; want the seed to matter", first)
	}
	for i := range steps {
		if !slices.Contains(first, i) {
			t.Fatalf("24 queries never served step %d (series %v); want every step drawn", i, first)
		}
	}
}

func TestWindowSwitchesOnTheServerClock(t *testing.T) {
	begin := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	first, then := Records(30, "A 203.0.113.10"), Records(0, "A 127.0.0.1")
	tests := []struct {
		name    string
		program Program
	}{
		{"for a duration after installation", Window(first, 10*time.Second, then)},
		{"until an instant", WindowUntil(first, begin.Add(10*time.Second), then)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{now: begin}
			s := start(t, Config{Clock: clock.Now})
			program(t, s, "window.xbcheck.test.", mdns.TypeA, tt.program)
			for _, c := range []struct {
				at   time.Duration
				want string
			}{{0, "203.0.113.10"}, {9 * time.Second, "203.0.113.10"}, {10 * time.Second, "127.0.0.1"}, {time.Hour, "127.0.0.1"}} {
				clock.Set(begin.Add(c.at))
				r := ask(t, s, "window.xbcheck.test.", mdns.TypeA)
				if len(r.Answer) != 1 || r.Answer[0].(*mdns.A).A.String() != c.want {
					t.Fatalf("at +%s: answers %v, want one A %s", c.at, records(r.Answer), c.want)
				}
				if q := lastQuery(t, s); !q.Time.Equal(clock.Now()) {
					t.Fatalf("at +%s: logged time %s, want the server clock %s", c.at, q.Time, clock.Now())
				}
			}
		})
	}
}

func TestStepAnswers(t *testing.T) {
	loop, metadata := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("169.254.169.254")
	tests := []struct {
		name  string
		qtype uint16
		step  Step
		want  []string
	}{
		{"public then loopback", mdns.TypeA, Records(5, "A 203.0.113.10", "A 127.0.0.1"),
			[]string{"a.xbcheck.test. 5 IN A 203.0.113.10", "a.xbcheck.test. 5 IN A 127.0.0.1"}},
		{"loopback then public", mdns.TypeA, Records(5, "A 127.0.0.1", "A 203.0.113.10"),
			[]string{"a.xbcheck.test. 5 IN A 127.0.0.1", "a.xbcheck.test. 5 IN A 203.0.113.10"}},
		{"CNAME chain in the zone with its own TTLs", mdns.TypeA, Records(60, "1 CNAME b.xbcheck.test.", "CNAME c.xbcheck.test.", "A 203.0.113.10"),
			[]string{"a.xbcheck.test. 1 IN CNAME b.xbcheck.test.", "b.xbcheck.test. 60 IN CNAME c.xbcheck.test.", "c.xbcheck.test. 60 IN A 203.0.113.10"}},
		{"CNAME to a cluster service, no glue", mdns.TypeA, Records(0, "CNAME kubernetes.default.svc.cluster.local."),
			[]string{"a.xbcheck.test. 0 IN CNAME kubernetes.default.svc.cluster.local."}},
		{"CNAME to localhost, no glue", mdns.TypeA, Records(0, "CNAME localhost."),
			[]string{"a.xbcheck.test. 0 IN CNAME localhost."}},
		{"in-zone CNAME then out-of-zone CNAME", mdns.TypeA, Records(0, "CNAME b.xbcheck.test.", "CNAME localhost."),
			[]string{"a.xbcheck.test. 0 IN CNAME b.xbcheck.test.", "b.xbcheck.test. 0 IN CNAME localhost."}},
		{"CNAME to localhost, chased as a recursive resolver would", mdns.TypeA, Records(0, "CNAME localhost.", "A 127.0.0.1"),
			[]string{"a.xbcheck.test. 0 IN CNAME localhost.", "localhost. 0 IN A 127.0.0.1"}},
		{"CNAME to a cluster service, chased to a pod", mdns.TypeA, Records(0, "CNAME api.ns.svc.cluster.local.", "30 A 10.244.0.10"),
			[]string{"a.xbcheck.test. 0 IN CNAME api.ns.svc.cluster.local.", "api.ns.svc.cluster.local. 30 IN A 10.244.0.10"}},
		{"IPv4-mapped loopback", mdns.TypeAAAA, Records(0, "AAAA "+IPv4Mapped(loop).String()),
			[]string{"a.xbcheck.test. 0 IN AAAA ::ffff:127.0.0.1"}},
		{"NAT64 metadata", mdns.TypeAAAA, Records(0, "AAAA "+NAT64(metadata).String()),
			[]string{"a.xbcheck.test. 0 IN AAAA 64:ff9b::a9fe:a9fe"}},
		{"6to4 loopback", mdns.TypeAAAA, Records(0, "AAAA "+SixToFour(loop).String()),
			[]string{"a.xbcheck.test. 0 IN AAAA 2002:7f00:1::"}},
		{"IPv6 loopback", mdns.TypeAAAA, Records(0, "AAAA ::1"),
			[]string{"a.xbcheck.test. 0 IN AAAA ::1"}},
	}
	s := start(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			program(t, s, "a.xbcheck.test.", tt.qtype, Static(tt.step))
			r := ask(t, s, "a.xbcheck.test.", tt.qtype)
			if got := records(r.Answer); !slices.Equal(got, tt.want) {
				t.Fatalf("answers %q, want %q", got, tt.want)
			}
			if len(r.Ns) != 0 || len(r.Extra) != 0 {
				t.Fatalf("authority %v, additional %v; want both empty (no glue)", r.Ns, r.Extra)
			}
			if q := lastQuery(t, s); !slices.Equal(q.Answers, tt.want) || q.TTL != tt.step.TTL {
				t.Fatalf("log says answers %q TTL %d, want %q TTL %d", q.Answers, q.TTL, tt.want, tt.step.TTL)
			}
		})
	}
}

func TestEmbeddedIPv4Forms(t *testing.T) {
	tests := []struct {
		v4                      string
		mapped, nat64, sixToFor string
	}{
		{"127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::"},
		{"169.254.169.254", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::"},
		{"::ffff:10.244.0.10", "::ffff:10.244.0.10", "64:ff9b::af4:a", "2002:af4:a::"},
	}
	for _, tt := range tests {
		v4 := netip.MustParseAddr(tt.v4)
		for _, got := range []struct{ form, got, want string }{
			{"IPv4Mapped", IPv4Mapped(v4).String(), tt.mapped},
			{"NAT64", NAT64(v4).String(), tt.nat64},
			{"SixToFour", SixToFour(v4).String(), tt.sixToFor},
		} {
			if got.got != got.want {
				t.Errorf("%s(%s) = %s, want %s", got.form, tt.v4, got.got, got.want)
			}
		}
	}
	v6 := netip.MustParseAddr("2001:db8::1")
	if IPv4Mapped(v6).IsValid() || NAT64(v6).IsValid() || SixToFour(v6).IsValid() {
		t.Error("an IPv6 address gave a valid embedded form, want the zero Addr")
	}
}

func TestResponseCodes(t *testing.T) {
	s := start(t, Config{})
	program(t, s, "www.xbcheck.test.", mdns.TypeA, Static(Records(0, "A 203.0.113.10")))
	program(t, s, "deep.ent.xbcheck.test.", mdns.TypeA, Static(Records(0, "A 203.0.113.10")))
	program(t, s, "alias.xbcheck.test.", mdns.TypeCNAME, Static(Records(0, "CNAME www.xbcheck.test.")))
	program(t, s, "broken.xbcheck.test.", mdns.TypeA, Static(ServFail()))
	program(t, s, "gone.xbcheck.test.", mdns.TypeA, Static(NXDomain()))
	soa := "xbcheck.test. 0 IN SOA ns.xbcheck.test. hostmaster.xbcheck.test. 1 3600 600 86400 0"
	tests := []struct {
		name          string
		qname         string
		qtype         uint16
		class         uint16
		rcode         int
		authoritative bool
		answers       int
		authority     []string
	}{
		{"no program: NXDOMAIN with SOA", "missing.xbcheck.test.", mdns.TypeA, mdns.ClassINET, mdns.RcodeNameError, true, 0, []string{soa}},
		{"other type: NODATA with SOA", "www.xbcheck.test.", mdns.TypeAAAA, mdns.ClassINET, mdns.RcodeSuccess, true, 0, []string{soa}},
		{"empty non-terminal: NODATA with SOA", "ent.xbcheck.test.", mdns.TypeA, mdns.ClassINET, mdns.RcodeSuccess, true, 0, []string{soa}},
		{"apex SOA", "xbcheck.test.", mdns.TypeSOA, mdns.ClassINET, mdns.RcodeSuccess, true, 1, nil},
		{"apex other type: NODATA", "xbcheck.test.", mdns.TypeA, mdns.ClassINET, mdns.RcodeSuccess, true, 0, []string{soa}},
		{"CNAME answers every type", "alias.xbcheck.test.", mdns.TypeAAAA, mdns.ClassINET, mdns.RcodeSuccess, true, 1, nil},
		{"outside the zone: REFUSED", "example.com.", mdns.TypeA, mdns.ClassINET, mdns.RcodeRefused, false, 0, nil},
		{"parent of the zone: REFUSED", "test.", mdns.TypeA, mdns.ClassINET, mdns.RcodeRefused, false, 0, nil},
		{"class CHAOS: REFUSED", "www.xbcheck.test.", mdns.TypeTXT, mdns.ClassCHAOS, mdns.RcodeRefused, false, 0, nil},
		{"programmed SERVFAIL", "broken.xbcheck.test.", mdns.TypeA, mdns.ClassINET, mdns.RcodeServerFailure, true, 0, nil},
		{"programmed NXDOMAIN with SOA", "gone.xbcheck.test.", mdns.TypeA, mdns.ClassINET, mdns.RcodeNameError, true, 0, []string{soa}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := question(tt.qname, tt.qtype)
			m.Question[0].Qclass = tt.class
			r := exchange(t, s, UDP, m)
			if r.Rcode != tt.rcode || r.Authoritative != tt.authoritative || len(r.Answer) != tt.answers {
				t.Fatalf("rcode %s AA %v answers %v; want %s AA %v and %d answers",
					mdns.RcodeToString[r.Rcode], r.Authoritative, records(r.Answer), mdns.RcodeToString[tt.rcode], tt.authoritative, tt.answers)
			}
			if got := records(r.Ns); !slices.Equal(got, tt.authority) {
				t.Fatalf("authority %q, want %q", got, tt.authority)
			}
			if q := lastQuery(t, s); q.Rcode != mdns.RcodeToString[tt.rcode] || q.Name != tt.qname {
				t.Fatalf("log says %s for %s, want %s for %s", q.Rcode, q.Name, mdns.RcodeToString[tt.rcode], tt.qname)
			}
		})
	}
}

func TestOtherOpcodesAreNotImplemented(t *testing.T) {
	s := start(t, Config{})
	m := question("xbcheck.test.", mdns.TypeSOA)
	m.Opcode = mdns.OpcodeNotify
	r := exchange(t, s, UDP, m)
	if r.Rcode != mdns.RcodeNotImplemented || r.Opcode != mdns.OpcodeNotify {
		t.Fatalf("NOTIFY got %s with opcode %s, want NOTIMP echoing the opcode", mdns.RcodeToString[r.Rcode], mdns.OpcodeToString[r.Opcode])
	}
}

func TestTruncationFallsBackToTCP(t *testing.T) {
	var many []string
	for i := range 60 {
		many = append(many, "A 203.0.113."+strconv.Itoa(100+i))
	}
	tests := []struct {
		name    string
		step    Step
		edns    uint16 // 0: no OPT record
		answers int
	}{
		{"truncate step", Step{Answers: []string{"A 203.0.113.10", "A 127.0.0.1"}, Truncate: true}, 0, 2},
		{"truncate step despite a large EDNS size", Step{Answers: []string{"A 203.0.113.10"}, Truncate: true}, 4096, 1},
		{"answer larger than 512 bytes", Records(0, many...), 0, 60},
		{"answer larger than the EDNS size", Records(0, many...), 600, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, Config{})
			program(t, s, "big.xbcheck.test.", mdns.TypeA, Static(tt.step))
			m := question("big.xbcheck.test.", mdns.TypeA)
			if tt.edns > 0 {
				m.SetEdns0(tt.edns, false)
			}
			r := exchange(t, s, UDP, m)
			if !r.Truncated || len(r.Answer) >= tt.answers {
				t.Fatalf("over UDP: TC %v with %d answers; want TC set and fewer than %d answers", r.Truncated, len(r.Answer), tt.answers)
			}
			r = exchange(t, s, TCP, m) // what a resolver does on seeing TC
			if r.Truncated || len(r.Answer) != tt.answers {
				t.Fatalf("over TCP: TC %v with %d answers; want the full answer of %d", r.Truncated, len(r.Answer), tt.answers)
			}
			log := s.Log()
			if len(log) != 2 || log[0].Transport != UDP || !log[0].Truncated || log[1].Transport != TCP || log[1].Truncated || len(log[1].Answers) != tt.answers {
				t.Fatalf("log %+v; want a truncated UDP entry then a TCP entry with %d answers", log, tt.answers)
			}
		})
	}
}

func TestQuestionCaseIsPreserved(t *testing.T) {
	s := start(t, Config{})
	program(t, s, "rebind.xbcheck.test.", mdns.TypeA, Static(Records(0, "A 203.0.113.10")))
	for _, name := range []string{"ReBiNd.XbChEcK.TeSt.", "REBIND.XBCHECK.TEST.", "MiSsInG.xbcheck.test."} {
		r := ask(t, s, name, mdns.TypeA)
		if r.Question[0].Name != name {
			t.Fatalf("question came back as %s, want %s", r.Question[0].Name, name)
		}
		for _, rr := range r.Answer {
			if rr.Header().Name != name {
				t.Fatalf("answer owner %s, want the name as asked %s", rr.Header().Name, name)
			}
		}
		if q := lastQuery(t, s); q.Name != name {
			t.Fatalf("log has name %s, want %s", q.Name, name)
		}
	}
}

func TestEDNSIsEchoed(t *testing.T) {
	s := start(t, Config{})
	program(t, s, "www.xbcheck.test.", mdns.TypeA, Static(Records(0, "A 203.0.113.10")))
	tests := []struct {
		name string
		size uint16 // 0: no OPT record
		do   bool
	}{
		{"no EDNS", 0, false},
		{"1232 with DO", 1232, true},
		{"4096 without DO", 4096, false},
		{"below 512", 256, false},
	}
	for _, tt := range tests {
		for _, network := range []string{UDP, TCP} {
			t.Run(tt.name+" over "+network, func(t *testing.T) {
				m := question("www.xbcheck.test.", mdns.TypeA)
				if tt.size > 0 {
					m.SetEdns0(tt.size, tt.do)
				}
				r := exchange(t, s, network, m)
				opt := r.IsEdns0()
				if (opt != nil) != (tt.size > 0) {
					t.Fatalf("reply OPT %v, want one only when the query has one", opt)
				}
				if opt != nil && (opt.UDPSize() != tt.size || opt.Do() != tt.do) {
					t.Fatalf("reply OPT size %d DO %v, want %d and %v", opt.UDPSize(), opt.Do(), tt.size, tt.do)
				}
				if q := lastQuery(t, s); q.EDNS != (tt.size > 0) || q.UDPSize != tt.size || q.DO != tt.do || q.Transport != network {
					t.Fatalf("log %+v, want EDNS %v size %d DO %v over %s", q, tt.size > 0, tt.size, tt.do, network)
				}
			})
		}
	}
}

func TestIPv6Listener(t *testing.T) {
	s, err := Start(context.Background(), Config{Addr: "[::1]:0"})
	if err != nil {
		t.Skipf("no IPv6 loopback here, so the IPv6 listener cannot be tested: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	program(t, s, "v6.xbcheck.test.", mdns.TypeAAAA, Static(Records(0, "AAAA ::1")))
	for _, network := range []string{UDP, TCP} {
		r := exchange(t, s, network, question("v6.xbcheck.test.", mdns.TypeAAAA))
		if len(r.Answer) != 1 {
			t.Fatalf("over %s: answers %v, want one AAAA", network, records(r.Answer))
		}
		if q := lastQuery(t, s); !strings.HasPrefix(q.Peer, "[::1]:") {
			t.Fatalf("over %s: logged peer %s, want [::1]:port", network, q.Peer)
		}
	}
}

func TestDelayAndDrop(t *testing.T) {
	const delay = time.Second
	tests := []struct {
		name    string
		network string
		step    Step
	}{
		{"delay over UDP", UDP, Step{Answers: []string{"A 203.0.113.10"}, Delay: delay}},
		{"delay over TCP", TCP, Step{Answers: []string{"A 203.0.113.10"}, Delay: delay}},
		{"drop over UDP", UDP, Step{Answers: []string{"A 203.0.113.10"}, Drop: true}},
		{"drop over TCP", TCP, Step{Answers: []string{"A 203.0.113.10"}, Drop: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, Config{})
			program(t, s, "slow.xbcheck.test.", mdns.TypeA, Static(tt.step))
			impatient := &mdns.Client{Net: tt.network, Timeout: 50 * time.Millisecond}
			_, _, err := impatient.Exchange(question("slow.xbcheck.test.", mdns.TypeA), s.Addr())
			var netErr net.Error
			if !errors.As(err, &netErr) || !netErr.Timeout() {
				t.Fatalf("impatient client got %v, want a timeout", err)
			}
			// The client gave up first, so the entry may still be on its way.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			q, err := s.Wait(ctx, func(Query) bool { return true })
			if err != nil {
				t.Fatal(err)
			}
			if q.Dropped != tt.step.Drop || q.Delay != tt.step.Delay {
				t.Fatalf("log %+v, want dropped %v delay %s", q, tt.step.Drop, tt.step.Delay)
			}
			if tt.step.Drop {
				return
			}
			began := time.Now()
			r := exchange(t, s, tt.network, question("slow.xbcheck.test.", mdns.TypeA))
			if waited := time.Since(began); len(r.Answer) != 1 || waited < delay {
				t.Fatalf("patient client got %v after %s, want one A after at least %s", records(r.Answer), waited, delay)
			}
		})
	}
}

func TestMalformedPacketsAreLoggedAndSurvived(t *testing.T) {
	s := start(t, Config{})
	program(t, s, "www.xbcheck.test.", mdns.TypeA, Static(Records(0, "A 203.0.113.10")))
	valid, err := question("www.xbcheck.test.", mdns.TypeA).Pack()
	if err != nil {
		t.Fatal(err)
	}
	twoQuestions := question("www.xbcheck.test.", mdns.TypeA)
	twoQuestions.Question = append(twoQuestions.Question, twoQuestions.Question[0])
	packedTwo, err := twoQuestions.Pack()
	if err != nil {
		t.Fatal(err)
	}
	response := slices.Clone(valid)
	response[2] |= 0x80
	tests := []struct {
		name  string
		raw   []byte
		reply bool // a FORMERR reply is expected
	}{
		{"shorter than a header", []byte{0x12, 0x34, 0x01}, false},
		{"a response", response, false},
		{"cut in the question", valid[:len(valid)-3], true},
		{"two questions", packedTwo, true},
		{"header claims records that are absent", append(slices.Clone(valid[:12]), 0xff, 0xff), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, _ := s.handle(tt.raw, "127.0.0.1:5353", UDP)
			if (reply != nil) != tt.reply {
				t.Fatalf("reply %x, want one: %v", reply, tt.reply)
			}
			if reply != nil {
				var m mdns.Msg
				if err := m.Unpack(reply); err != nil || m.Rcode != mdns.RcodeFormatError || m.Id != uint16(tt.raw[0])<<8|uint16(tt.raw[1]) || !m.Response {
					t.Fatalf("reply %v (unpack error %v), want a FORMERR response with the query's ID", m, err)
				}
			}
			if q := lastQuery(t, s); !q.Malformed || q.Error == "" {
				t.Fatalf("log %+v, want a malformed entry saying why", q)
			}
		})
	}
	t.Run("over the wire, then a valid query is still answered", func(t *testing.T) {
		c, err := net.Dial("udp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte{0xde, 0xad}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := s.Wait(ctx, func(q Query) bool { return q.Malformed && q.Transport == UDP && q.Peer == c.LocalAddr().String() }); err != nil {
			t.Fatal(err)
		}
		if r := ask(t, s, "www.xbcheck.test.", mdns.TypeA); len(r.Answer) != 1 {
			t.Fatalf("answers %v after a malformed packet, want one A", records(r.Answer))
		}
	})
}

func TestTCPConnectionCarriesSeveralQueries(t *testing.T) {
	s := start(t, Config{})
	program(t, s, "rr.xbcheck.test.", mdns.TypeA, RoundRobin(Records(0, "A 203.0.113.10"), Records(0, "A 203.0.113.20")))
	c := &mdns.Client{Net: TCP, Timeout: 10 * time.Second}
	conn, err := c.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i, want := range []string{"203.0.113.10", "203.0.113.20", "203.0.113.10"} {
		r, _, err := c.ExchangeWithConn(question("rr.xbcheck.test.", mdns.TypeA), conn)
		if err != nil {
			t.Fatalf("query %d on one connection: %v", i, err)
		}
		if len(r.Answer) != 1 || r.Answer[0].(*mdns.A).A.String() != want {
			t.Fatalf("query %d: answers %v, want A %s", i, records(r.Answer), want)
		}
	}
}

func TestProgramRejectsWhatItCannotServe(t *testing.T) {
	s := start(t, Config{})
	good := Records(0, "A 203.0.113.10")
	tests := []struct {
		name    string
		qname   string
		program Program
		hint    string // a piece of the error that tells the user what to do
	}{
		{"not a domain name", "a..xbcheck.test.", Static(good), "not a domain name"},
		{"the root", ".", Static(good), "not a domain name"},
		{"unknown kind", "a.xbcheck.test.", Program{Kind: "sometimes", Steps: []Step{good}}, "use static"},
		{"static with two steps", "a.xbcheck.test.", Program{Kind: KindStatic, Steps: []Step{good, good}}, "takes 1 step"},
		{"round robin without steps", "a.xbcheck.test.", RoundRobin(), "at least one step"},
		{"negative sequence count", "a.xbcheck.test.", Sequence(good, -1, good), "after >= 0"},
		{"window without an end", "a.xbcheck.test.", Window(good, 0, good), "exactly one of"},
		{"not a record", "a.xbcheck.test.", Static(Records(0, "A 999.0.0.1")), "[TTL] TYPE RDATA"},
		{"type only", "a.xbcheck.test.", Static(Records(0, "A")), "[TTL] TYPE RDATA"},
		{"rcode beyond 4 bits", "a.xbcheck.test.", Static(Step{Rcode: 16}), "4-bit"},
		{"negative delay", "a.xbcheck.test.", Static(Step{Delay: -time.Second}), "negative"},
		{"OPT as an answer", "a.xbcheck.test.", Static(Records(0, `TYPE41 \# 0`)), "pseudo-record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Program(tt.qname, mdns.TypeA, tt.program)
			if err == nil || !strings.Contains(err.Error(), tt.hint) {
				t.Fatalf("error %v, want one containing %q", err, tt.hint)
			}
		})
	}
}

func TestProgramReplaceAndClear(t *testing.T) {
	s := start(t, Config{})
	program(t, s, "www.xbcheck.test", mdns.TypeA, Sequence(Records(0, "A 203.0.113.10"), 1, Records(0, "A 127.0.0.1")))
	ask(t, s, "www.xbcheck.test.", mdns.TypeA)
	// Replacing starts the counters afresh: the first step serves again.
	program(t, s, "WWW.xbcheck.test.", mdns.TypeA, Sequence(Records(0, "A 203.0.113.20"), 1, Records(0, "A 127.0.0.1")))
	if r := ask(t, s, "www.xbcheck.test.", mdns.TypeA); len(r.Answer) != 1 || r.Answer[0].(*mdns.A).A.String() != "203.0.113.20" {
		t.Fatalf("after replacing: answers %v, want A 203.0.113.20", records(r.Answer))
	}
	s.Clear()
	if r := ask(t, s, "www.xbcheck.test.", mdns.TypeA); r.Rcode != mdns.RcodeNameError {
		t.Fatalf("after Clear: rcode %s, want NXDOMAIN", mdns.RcodeToString[r.Rcode])
	}
}

func TestOtherZone(t *testing.T) {
	s := start(t, Config{Zone: "Example.ORG"})
	if s.Zone() != "example.org." {
		t.Fatalf("zone %s, want example.org.", s.Zone())
	}
	program(t, s, "www.example.org.", mdns.TypeA, Static(Records(0, "A 203.0.113.10")))
	if r := ask(t, s, "www.example.org.", mdns.TypeA); len(r.Answer) != 1 {
		t.Fatalf("answers %v, want one A", records(r.Answer))
	}
	if r := ask(t, s, "www.xbcheck.test.", mdns.TypeA); r.Rcode != mdns.RcodeRefused {
		t.Fatalf("the default zone got %s, want REFUSED", mdns.RcodeToString[r.Rcode])
	}
	if _, err := Start(context.Background(), Config{Zone: "bad..zone"}); err == nil {
		t.Fatal("zone bad..zone was accepted, want an error")
	}
	if _, err := Start(context.Background(), Config{Addr: "127.0.0.1"}); err == nil || !strings.Contains(err.Error(), "host:port") {
		t.Fatalf("address without a port: error %v, want one asking for host:port", err)
	}
}

func TestCloseEndsEveryGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	program(t, s, "slow.xbcheck.test.", mdns.TypeA, Static(Step{Answers: []string{"A 203.0.113.10"}, Delay: time.Hour}))
	// A delayed UDP reply and an idle TCP connection are in flight when the context ends.
	udp, err := net.Dial("udp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	packed, err := question("slow.xbcheck.test.", mdns.TypeA).Pack()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := udp.Write(packed); err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	waitCtx, waitCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer waitCancel()
	if _, err := s.Wait(waitCtx, func(q Query) bool { return q.Delay == time.Hour }); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-s.done:
	case <-waitCtx.Done():
		t.Fatal("the server did not start closing when its context ended")
	}
	if err := s.Close(); err != nil { // waits for the close the context began
		t.Fatal(err)
	}
	// A goroutine that has signalled its end may still be returning: give it the CPU.
	for runtime.NumGoroutine() > before && waitCtx.Err() == nil {
		runtime.Gosched()
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before Start, %d after Close, want no more:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
	if _, err := tcp.Read(make([]byte, 1)); err == nil {
		t.Fatal("the TCP connection stayed open after Close")
	}
}

// The server plays the recursive resolver where a rebinding leads out of its zone:
// it answers the chased names it has programs for, with AA clear and RA set, and
// still refuses every other name outside the zone.
func TestRecursiveAnswersOutsideTheZone(t *testing.T) {
	s := start(t, Config{})
	program(t, s, "localhost.", mdns.TypeA, Static(Records(0, "A 127.0.0.1")))
	program(t, s, "Api.NS.svc.cluster.local", mdns.TypeA, Static(Records(5, "A 10.244.0.10")))
	program(t, s, "chain.xbcheck.test.", mdns.TypeA, Static(Records(0, "CNAME localhost.", "A 127.0.0.1")))
	program(t, s, "inside.xbcheck.test.", mdns.TypeA, Static(Records(0, "CNAME b.xbcheck.test.", "A 203.0.113.10")))
	tests := []struct {
		name        string
		qname       string
		qtype       uint16
		rcode       int
		aa, ra      bool
		answers     []string
		noAuthority bool
	}{
		{"a chased name with a program", "localhost.", mdns.TypeA, mdns.RcodeSuccess, false, true,
			[]string{"localhost. 0 IN A 127.0.0.1"}, true},
		{"a chased name in any case", "api.ns.SVC.cluster.local.", mdns.TypeA, mdns.RcodeSuccess, false, true,
			[]string{"api.ns.SVC.cluster.local. 5 IN A 10.244.0.10"}, true},
		{"a chased name asked another type: NODATA without SOA", "localhost.", mdns.TypeAAAA, mdns.RcodeSuccess, false, true, nil, true},
		{"a parent of a chased name: REFUSED", "cluster.local.", mdns.TypeA, mdns.RcodeRefused, false, false, nil, true},
		{"a chain leaving the zone with the chased records", "chain.xbcheck.test.", mdns.TypeA, mdns.RcodeSuccess, false, true,
			[]string{"chain.xbcheck.test. 0 IN CNAME localhost.", "localhost. 0 IN A 127.0.0.1"}, true},
		{"a chain inside the zone stays authoritative", "inside.xbcheck.test.", mdns.TypeA, mdns.RcodeSuccess, true, false,
			[]string{"inside.xbcheck.test. 0 IN CNAME b.xbcheck.test.", "b.xbcheck.test. 0 IN A 203.0.113.10"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ask(t, s, tt.qname, tt.qtype)
			if r.Rcode != tt.rcode || r.Authoritative != tt.aa || r.RecursionAvailable != tt.ra {
				t.Fatalf("rcode %s AA %v RA %v; want %s AA %v RA %v", mdns.RcodeToString[r.Rcode], r.Authoritative, r.RecursionAvailable,
					mdns.RcodeToString[tt.rcode], tt.aa, tt.ra)
			}
			if got := records(r.Answer); !slices.Equal(got, tt.answers) {
				t.Fatalf("answers %q, want %q", got, tt.answers)
			}
			if tt.noAuthority && len(r.Ns) != 0 {
				t.Fatalf("authority %v, want none", records(r.Ns))
			}
		})
	}
}
