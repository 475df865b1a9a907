package dns

import (
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// FuzzHandlePacket feeds arbitrary bytes to the packet handling both listeners use.
// Whatever arrives, the server must not panic or block, and any reply it sends must
// be a well-formed response to the query's ID that fits the client's UDP size.
func FuzzHandlePacket(f *testing.F) {
	s := start(f, Config{})
	for _, p := range []struct {
		name    string
		qtype   uint16
		program Program
	}{
		{"www.xbcheck.test.", mdns.TypeA, Static(Records(30, "A 203.0.113.10", "A 127.0.0.1"))},
		{"rebind.xbcheck.test.", mdns.TypeA, Sequence(Records(0, "A 203.0.113.10"), 2, Records(0, "A 127.0.0.1"))},
		{"chain.xbcheck.test.", mdns.TypeAAAA, RoundRobin(Records(0, "CNAME next.xbcheck.test.", "AAAA ::ffff:127.0.0.1"), Records(0, "CNAME localhost."))},
		{"faults.xbcheck.test.", mdns.TypeA, Random(1, ServFail(), NXDomain(), Step{Truncate: true, Answers: []string{"A 203.0.113.10"}}, Step{Drop: true}, Step{Delay: time.Hour})},
		{"later.xbcheck.test.", mdns.TypeTXT, Window(Records(0, `TXT "first"`), time.Hour, Records(0, `TXT "then"`))},
	} {
		program(f, s, p.name, p.qtype, p.program)
	}
	for _, seed := range []struct {
		name  string
		qtype uint16
		edns  uint16
	}{
		{"www.xbcheck.test.", mdns.TypeA, 0},
		{"WwW.XbChEcK.tEsT.", mdns.TypeA, 1232},
		{"rebind.xbcheck.test.", mdns.TypeA, 4096},
		{"chain.xbcheck.test.", mdns.TypeAAAA, 0},
		{"faults.xbcheck.test.", mdns.TypeA, 512},
		{"later.xbcheck.test.", mdns.TypeTXT, 0},
		{"missing.xbcheck.test.", mdns.TypeMX, 0},
		{"xbcheck.test.", mdns.TypeSOA, 0},
		{"example.com.", mdns.TypeA, 0},
	} {
		m := question(seed.name, seed.qtype)
		if seed.edns > 0 {
			m.SetEdns0(seed.edns, true)
		}
		raw, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, false)
		f.Add(raw, true)
	}
	f.Add([]byte{0xde, 0xad, 0xbe, 0xef}, false)

	f.Fuzz(func(t *testing.T, raw []byte, overTCP bool) {
		transport := UDP
		if overTCP {
			transport = TCP
		}
		reply, _ := s.handle(raw, "127.0.0.1:5353", transport)
		s.ClearLog() // keep memory flat over millions of inputs
		if reply == nil {
			return
		}
		var m mdns.Msg
		if err := m.Unpack(reply); err != nil {
			t.Fatalf("reply %x does not parse: %v", reply, err)
		}
		if !m.Response || m.Id != uint16(raw[0])<<8|uint16(raw[1]) {
			t.Fatalf("reply %v is not a response to query ID %x", m, raw[:2])
		}
		limit := mdns.MaxMsgSize
		if transport == UDP {
			limit = mdns.MinMsgSize
			var req mdns.Msg
			if req.Unpack(raw) == nil && req.IsEdns0() != nil {
				limit = max(limit, int(req.IsEdns0().UDPSize()))
			}
		}
		if len(reply) > limit {
			t.Fatalf("reply of %d bytes over %s, want at most %d", len(reply), transport, limit)
		}
	})
}
