// Package dns is the rogue DNS server of xbcheck: an authoritative server for one
// test zone (default xbcheck.test.) whose answers follow scripted programs, and which
// logs every query it sees, so that a spec can prove which answer a gateway was served
// before checking where the gateway connected.
//
// Start a server, install a program per (name, type), read the log:
//
//	srv, err := dns.Start(ctx, dns.Config{}) // UDP and TCP on 127.0.0.1, a free port
//	defer srv.Close()
//	// rebinding: the upstream once, then loopback, TTL 0
//	err = srv.Program("rebind.xbcheck.test.", mdns.TypeA, dns.Sequence(
//		dns.Records(0, "A 203.0.113.10"), 1, dns.Records(0, "A 127.0.0.1")))
//	q, err := srv.Wait(ctx, func(q dns.Query) bool { return q.Step == 1 })
//
// Programs (Static, Sequence, RoundRobin, Random, Window, WindowUntil) pick a Step per
// query. A Step holds answers written "[TTL] TYPE RDATA" (several, in order; CNAME
// chains), a response code, and faults: Delay, Drop, and Truncate (TC over UDP, the
// full answer over TCP). IPv4Mapped, NAT64 and SixToFour build the AAAA forms that
// embed an IPv4 address. Programs and log entries are plain data that marshal to
// JSON, so a control API can carry them.
//
// The server answers like an authoritative one: AA set, the question's case kept,
// EDNS0 echoed (UDP size and DO bit), replies too large for the client's UDP size
// truncated. A name in the zone without a program gets NXDOMAIN with the SOA, an
// existing name asked for another type NODATA with the SOA, a name outside the zone
// REFUSED.
//
// Where a rebinding leads out of the zone, the server also plays the recursive
// resolver the implementation is pointed at, since a stub resolver never chases a
// CNAME itself: a step may go on after a CNAME to an out-of-zone name with that name's
// records ({"CNAME localhost.", "A 127.0.0.1"}), and a program may be installed for a
// name outside the zone (localhost., x.svc.cluster.local.), which is then answered
// from it. Such replies clear AA and set RA, as a recursive resolver's do, and their
// negative answers carry no SOA. Malformed packets are logged (Query.Malformed) and answered FORMERR when
// their header allows, never trusted. Close ends every goroutine the server started;
// so does the end of the context given to Start.
package dns
