package dns

import (
	"fmt"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

const headerLen = 12

// handle answers one raw DNS message that arrived from peer over transport. It
// returns the reply to send after delay, or nil to send nothing. Both listeners use
// it, and it never panics or blocks on bytes it cannot parse: those are logged as
// malformed.
func (s *Server) handle(raw []byte, peer, transport string) (reply []byte, delay time.Duration) {
	req := new(mdns.Msg)
	err := req.Unpack(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	q := Query{Time: s.clock(), Peer: peer, Transport: transport, Step: -1}
	switch {
	case len(raw) < headerLen:
		return s.malformed(q, fmt.Sprintf("%d bytes, shorter than a DNS header", len(raw)), nil)
	case raw[2]&0x80 != 0:
		// Never answer a response: two servers would echo each other forever.
		return s.malformed(q, "a response, not a query", nil)
	case err != nil:
		return s.malformed(q, err.Error(), bareReply(raw, mdns.RcodeFormatError))
	case len(req.Question) != 1:
		return s.malformed(q, fmt.Sprintf("%d questions, want 1", len(req.Question)), bareReply(raw, mdns.RcodeFormatError))
	}
	question := req.Question[0]
	q.Name = question.Name
	q.Type = mdns.Type(question.Qtype).String()

	m := new(mdns.Msg)
	m.SetReply(req)
	opt := req.IsEdns0()
	if opt != nil {
		q.EDNS, q.UDPSize, q.DO = true, opt.UDPSize(), opt.Do()
		m.SetEdns0(opt.UDPSize(), opt.Do())
	}
	name := mdns.CanonicalName(question.Name)
	switch {
	case req.Opcode != mdns.OpcodeQuery:
		m.Rcode = mdns.RcodeNotImplemented
	case question.Qclass != mdns.ClassINET || !s.inZone(name) && !s.owns(name):
		m.Rcode = mdns.RcodeRefused
	default:
		if !s.serveProgram(m, &q, name) {
			return s.drop(q)
		}
	}
	delay = q.Delay
	limit := mdns.MaxMsgSize
	if transport == UDP {
		limit = mdns.MinMsgSize
		if opt != nil {
			limit = max(limit, int(opt.UDPSize()))
		}
	}
	m.Truncate(limit)
	q.Truncated = m.Truncated
	for _, rr := range m.Answer {
		q.Answers = append(q.Answers, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	q.Rcode = rcodeString(m.Rcode)
	packed, err := m.Pack()
	if err != nil {
		// Keep the client from waiting: a header-only SERVFAIL with its ID.
		q.Error = "reply could not be packed: " + err.Error()
		q.Answers, q.Rcode = nil, rcodeString(mdns.RcodeServerFailure)
		packed = bareReply(raw, mdns.RcodeServerFailure)
	}
	s.appendLog(q)
	return packed, delay
}

// serveProgram fills m for a name in the zone, or outside it with a program of its
// own. It returns false when the step says drop.
func (s *Server) serveProgram(m *mdns.Msg, q *Query, name string) bool {
	question := m.Question[0]
	in := s.programs[key{name, question.Qtype}]
	if in == nil && question.Qtype != mdns.TypeCNAME {
		// A CNAME answers every type at its name.
		in = s.programs[key{name, mdns.TypeCNAME}]
	}
	// In the zone the server is its authority; outside it, and for a chain that
	// leaves it, it plays the recursive resolver that chased the names.
	m.Authoritative = s.inZone(name)
	m.RecursionAvailable = !m.Authoritative
	if in == nil {
		switch {
		case name == s.zone && question.Qtype == mdns.TypeSOA:
			m.Answer = []mdns.RR{s.soaFor(question.Name)}
		case !s.exists(name):
			m.Rcode = mdns.RcodeNameError
		}
		s.negative(m)
		return true
	}
	i := in.next(q.Time)
	step := in.program.Steps[i]
	q.Program, q.Step, q.TTL, q.Delay = in.program.Kind, i, step.TTL, step.Delay
	if step.Drop {
		return false
	}
	m.Rcode = step.Rcode
	if q.Transport == UDP && step.Truncate {
		m.Truncated = true
		return true
	}
	m.Answer = in.answer(i, question.Name)
	for _, rr := range m.Answer {
		if !s.inZone(mdns.CanonicalName(rr.Header().Name)) {
			m.Authoritative, m.RecursionAvailable = false, true
		}
	}
	s.negative(m)
	return true
}

// inZone reports whether the canonical name is in the server's zone.
func (s *Server) inZone(name string) bool { return mdns.IsSubDomain(s.zone, name) }

// owns reports whether a program answers the canonical name itself.
func (s *Server) owns(name string) bool {
	for k := range s.programs {
		if k.name == name {
			return true
		}
	}
	return false
}

// negative adds the zone's SOA to NXDOMAIN and NODATA replies (RFC 2308) for
// names in the zone; outside it the server has no SOA to give.
func (s *Server) negative(m *mdns.Msg) {
	if !s.inZone(mdns.CanonicalName(m.Question[0].Name)) {
		return
	}
	if m.Rcode == mdns.RcodeNameError || m.Rcode == mdns.RcodeSuccess && len(m.Answer) == 0 {
		m.Ns = []mdns.RR{s.soaFor(s.zone)}
	}
}

func (s *Server) soaFor(owner string) mdns.RR {
	soa := mdns.Copy(s.soa)
	soa.Header().Name = owner
	return soa
}

// exists reports whether name owns a program or lies above one (an empty
// non-terminal, which answers NODATA rather than NXDOMAIN).
func (s *Server) exists(name string) bool {
	if name == s.zone {
		return true
	}
	for k := range s.programs {
		if k.name == name || strings.HasSuffix(k.name, "."+name) {
			return true
		}
	}
	return false
}

func (s *Server) malformed(q Query, why string, reply []byte) ([]byte, time.Duration) {
	q.Malformed, q.Error = true, why
	if reply != nil {
		q.Rcode = rcodeString(int(reply[3] & 0xF))
	}
	s.appendLog(q)
	return reply, 0
}

func (s *Server) drop(q Query) ([]byte, time.Duration) {
	q.Dropped = true
	s.appendLog(q)
	return nil, 0
}

// bareReply returns a header-only reply with rcode to the query header in raw.
func bareReply(raw []byte, rcode byte) []byte {
	reply := make([]byte, headerLen)
	copy(reply, raw[:4])            // ID, opcode and RD
	reply[2] = reply[2]&0x79 | 0x80 // QR set, AA and TC clear
	reply[3] = rcode                // RA, Z, AD and CD clear
	return reply
}

func rcodeString(rcode int) string {
	if s, ok := mdns.RcodeToString[rcode]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rcode)
}
