package dns

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// The transports a query can arrive on.
const (
	UDP = "udp"
	TCP = "tcp"
)

// Query is one entry of the query log: what was asked and what was served.
type Query struct {
	Time      time.Time     `json:"time"`
	Peer      string        `json:"peer"`
	Transport string        `json:"transport"`      // UDP or TCP
	Name      string        `json:"name,omitempty"` // as asked, case and all
	Type      string        `json:"type,omitempty"` // e.g. "A", "AAAA"
	EDNS      bool          `json:"edns"`
	UDPSize   uint16        `json:"udpSize,omitempty"` // from the query's OPT record
	DO        bool          `json:"do,omitempty"`      // DNSSEC OK bit of the query
	Program   Kind          `json:"program,omitempty"` // kind of the program that answered
	Step      int           `json:"step"`              // index of the step served; -1 when no program answered
	Answers   []string      `json:"answers,omitempty"` // the answer records sent, in order
	TTL       uint32        `json:"ttl"`               // the step's TTL
	Rcode     string        `json:"rcode,omitempty"`   // e.g. "NOERROR", "NXDOMAIN"; empty when no reply was sent
	Delay     time.Duration `json:"delay,omitempty"`
	Truncated bool          `json:"truncated,omitempty"` // TC bit set in the reply
	Dropped   bool          `json:"dropped,omitempty"`   // no reply sent on purpose
	Malformed bool          `json:"malformed,omitempty"` // the packet was not a well-formed query
	Error     string        `json:"error,omitempty"`     // why it was malformed, or why the reply degraded
}

// Log returns a copy of the query log, oldest first.
func (s *Server) Log() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// ClearLog empties the query log. Programs and their counters are kept.
func (s *Server) ClearLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleared += len(s.log)
	s.log = nil
}

// Wait returns the first logged query, past or future, that match accepts.
// It gives up with an error when ctx ends.
func (s *Server) Wait(ctx context.Context, match func(Query) bool) (Query, error) {
	seen := 0 // entries ever logged that match has been shown
	for {
		s.mu.Lock()
		seen = max(seen, s.cleared)
		pending := slices.Clone(s.log[seen-s.cleared:])
		seen = s.cleared + len(s.log)
		changed := s.logged
		s.mu.Unlock()
		// match runs without the lock, so it may call back into the server.
		for _, q := range pending {
			if match(q) {
				return q, nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Query{}, fmt.Errorf("no matching DNS query logged before %w", context.Cause(ctx))
		}
	}
}

// appendLog appends q to the log and wakes waiters. The caller holds s.mu.
func (s *Server) appendLog(q Query) {
	s.log = append(s.log, q)
	close(s.logged)
	s.logged = make(chan struct{})
}
