package conns

import (
	"net"
	"sync"
)

// Set is the open connections of one server. The zero Set is ready.
type Set struct {
	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Go runs serve for c in a goroutine of its own, closes c when serve
// returns and forgets it. Once the set is closed it closes c at once and
// reports false, so the caller stops accepting.
func (s *Set) Go(c net.Conn, serve func()) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = c.Close()
		return false
	}
	if s.open == nil {
		s.open = map[net.Conn]struct{}{}
	}
	s.open[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		serve()
		_ = c.Close()
		s.mu.Lock()
		delete(s.open, c)
		s.mu.Unlock()
	}()
	return true
}

// Drop closes the connections open now; their serve functions return as
// they notice. New connections are still taken: this is a server hanging
// up on its clients, not one going away.
func (s *Set) Drop() {
	s.mu.Lock()
	open := make([]net.Conn, 0, len(s.open))
	for c := range s.open {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		_ = c.Close()
	}
}

// Close refuses new connections, closes the open ones and waits until
// every serve function has returned.
func (s *Set) Close() {
	s.mu.Lock()
	s.closed = true
	open := s.open
	s.open = nil
	s.mu.Unlock()
	for c := range open {
		_ = c.Close()
	}
	s.wg.Wait()
}
