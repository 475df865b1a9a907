package upstream

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// EventKind says what happened on a connection.
type EventKind string

const (
	// KindAccept is recorded as soon as the TCP connection is accepted, before any byte is read.
	KindAccept EventKind = "accept"
	// KindHandshake is a completed TLS handshake.
	KindHandshake EventKind = "handshake"
	// KindHandshakeFailed is a TLS handshake that failed; Reason says why.
	KindHandshakeFailed EventKind = "handshake-failed"
	// KindRejected is a connection closed because it spoke a protocol this upstream is not
	// configured for (for example HTTP/1.1 on an h2c-only upstream); Reason says which.
	KindRejected EventKind = "rejected"
	// KindRequest is an HTTP request that was answered; Observation holds what it showed.
	KindRequest EventKind = "request"
)

// Event is one entry of the connection log. Handshake is filled from the TLS
// ClientHello on for handshake, handshake-failed, rejected and request events.
type Event struct {
	Seq        uint64    `json:"seq"`
	Time       time.Time `json:"time"`
	Kind       EventKind `json:"kind"`
	Connection uint64    `json:"connection"`
	Remote     string    `json:"remote"`
	Local      string    `json:"local"`
	Handshake
	Reason      string       `json:"reason,omitempty"`
	Observation *Observation `json:"observation,omitempty"`
}

// Log is an upstream's connection log. It is safe for concurrent use. Entries share
// their slices and maps with the log: read them, do not modify them.
type Log struct {
	role string

	mu      sync.Mutex
	events  []Event
	seq     uint64
	changed chan struct{} // closed and cleared by add when a waiter made it
}

func newLog(role string) *Log {
	return &Log{role: role}
}

func (l *Log) add(e Event) {
	e.Time = time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	e.Seq = l.seq
	l.events = append(l.events, e)
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// Entries returns the events recorded since the start or the last Reset, oldest first.
func (l *Log) Entries() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// Reset forgets every event recorded so far. Sequence numbers keep increasing.
func (l *Log) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = nil
}

// Wait returns the first event, already recorded or yet to come, for which match is
// true. It gives up with an error when ctx ends.
func (l *Log) Wait(ctx context.Context, match func(Event) bool) (Event, error) {
	var seen uint64
	for {
		l.mu.Lock()
		start := sort.Search(len(l.events), func(i int) bool { return l.events[i].Seq > seen })
		pending := slices.Clone(l.events[start:])
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		changed := l.changed
		l.mu.Unlock()

		for _, e := range pending {
			if match(e) {
				return e, nil
			}
			seen = e.Seq
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("upstream %q: no matching connection event: %w", l.role, ctx.Err())
		}
	}
}
