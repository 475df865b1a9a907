package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/xbcheck/xbcheck/reference/dataplane"
)

// streamServer relays the connections of a TCP listener: each one to a
// backendRef of the attached TCPRoute's rule, picked by weight, through
// the XBackend's transport (guardrail, TLS). A connection with nowhere to
// go is closed at once: TCP has no error page.
type streamServer struct {
	ln    net.Listener
	conns sync.WaitGroup
	mu    sync.Mutex
	open  map[net.Conn]struct{}
}

// serveStreams accepts on ln until close, relaying with the table table
// holds at each accept; done is closed when every relay has ended.
func serveStreams(ln net.Listener, table *atomic.Pointer[Table], done chan struct{}) *streamServer {
	s := &streamServer{ln: ln, open: map[net.Conn]struct{}{}}
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				s.conns.Wait()
				return
			}
			s.track(c, true)
			s.conns.Add(1)
			go func() {
				defer s.conns.Done()
				defer s.track(c, false)
				table.Load().ServeStream(c)
			}()
		}
	}()
	return s
}

func (s *streamServer) track(c net.Conn, open bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if open {
		s.open[c] = struct{}{}
		return
	}
	delete(s.open, c)
	_ = c.Close()
}

// close stops accepting and hangs up on every relayed client.
func (s *streamServer) close() {
	_ = s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.open {
		_ = c.Close()
	}
}

// ServeStream relays client to the XBackend its route's rule picks; the
// first rule of the oldest route attached serves, as TCPRoute rules have
// no matches.
func (t *Table) ServeStream(client net.Conn) {
	defer client.Close()
	var rule tableRule
	found := false
	for _, r := range t.rules {
		if !found || r.before(rule) {
			rule, found = r, true
		}
	}
	if !found {
		return
	}
	tg, ok := rule.pick(t.firstBackendOnly)
	if !ok || tg.invalid != "" {
		return
	}
	tr, err := t.backends.transport(tg.xbackend)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	upstream, err := tr.DialStream(ctx)
	cancel()
	if err != nil {
		return
	}
	defer upstream.Close()
	relay(client, upstream)
}

// relay copies both ways until either side closes, then closes both.
func relay(a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go cp(a, b)
	go cp(b, a)
	<-done
	_ = a.Close()
	_ = b.Close()
	<-done
}

// transport is the XBackend key's transport, or why it has none.
func (s *Backends) transport(key types.NamespacedName) (*dataplane.Transport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	switch {
	case !ok:
		return nil, fmt.Errorf("XBackend %s not found", key)
	case e.transport == nil:
		return nil, errors.New(e.refusal)
	}
	return e.transport, nil
}
