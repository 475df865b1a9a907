package dns

import (
	"testing"

	mdns "github.com/miekg/dns"
)

// BenchmarkQueryUDP measures A queries answered per second over UDP on loopback,
// one query in flight at a time, through a real client connection.
func BenchmarkQueryUDP(b *testing.B) {
	s := start(b, Config{})
	program(b, s, "www.xbcheck.test.", mdns.TypeA, Static(Records(30, "A 203.0.113.10")))
	conn, err := mdns.Dial(UDP, s.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	m := question("www.xbcheck.test.", mdns.TypeA)
	b.ReportAllocs()
	for b.Loop() {
		if err := conn.WriteMsg(m); err != nil {
			b.Fatal(err)
		}
		r, err := conn.ReadMsg()
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Answer) != 1 {
			b.Fatalf("answers %v, want one A", r.Answer)
		}
		s.ClearLog() // the log would otherwise grow with b.N
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}
