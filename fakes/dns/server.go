package dns

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// Config says where the server listens and what it is authoritative for.
// The zero value is valid: see the defaults on each field.
type Config struct {
	Zone  string           // default "xbcheck.test."
	Addr  string           // host:port for both UDP and TCP; default "127.0.0.1:0" (a free port)
	Clock func() time.Time // for log times and time windows; default time.Now
}

func (c Config) withDefaults() Config {
	if c.Zone == "" {
		c.Zone = "xbcheck.test."
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

type key struct {
	name  string // canonical: lower case, fully qualified
	qtype uint16
}

// Server is a rogue authoritative DNS server for one zone. Its methods are safe
// for concurrent use.
type Server struct {
	zone  string
	soa   *mdns.SOA
	clock func() time.Time
	udp   net.PacketConn
	tcp   net.Listener

	done      chan struct{}
	closeOnce sync.Once
	stopCtx   func() bool
	wg        sync.WaitGroup

	mu       sync.Mutex
	programs map[key]*installed
	conns    map[net.Conn]struct{}
	log      []Query
	cleared  int           // entries removed by ClearLog, so Wait can resume after one
	logged   chan struct{} // closed and replaced on every log entry
}

// Start listens on cfg.Addr over UDP and TCP (the same port) and serves until
// Close is called or ctx ends.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	zone := mdns.CanonicalName(cfg.Zone)
	if _, ok := mdns.IsDomainName(zone); !ok || zone == "." {
		return nil, fmt.Errorf("dns zone %q is not a domain name; give one such as xbcheck.test.", cfg.Zone)
	}
	udp, tcp, err := listen(ctx, cfg.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		zone:  zone,
		clock: cfg.Clock,
		udp:   udp,
		tcp:   tcp,
		// Negative answers carry TTL 0 so resolvers do not cache them across a rebinding.
		soa: &mdns.SOA{
			Hdr:    mdns.RR_Header{Name: zone, Rrtype: mdns.TypeSOA, Class: mdns.ClassINET},
			Ns:     "ns." + zone,
			Mbox:   "hostmaster." + zone,
			Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 0,
		},
		done:     make(chan struct{}),
		programs: map[key]*installed{},
		conns:    map[net.Conn]struct{}{},
		logged:   make(chan struct{}),
	}
	s.stopCtx = context.AfterFunc(ctx, func() { s.Close() })
	s.wg.Add(2)
	go s.serveUDP()
	go s.serveTCP()
	return s, nil
}

// listen opens UDP and TCP on one port. With port 0 the kernel picks the UDP port,
// which may be taken for TCP; then it tries again.
func listen(ctx context.Context, addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dns listen address %q: %v; give host:port such as 127.0.0.1:53", addr, err)
	}
	var lc net.ListenConfig
	var lastErr error
	for range 10 {
		udp, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("dns server cannot listen on udp %s: %v; pick a free address", addr, err)
		}
		udpPort := strconv.Itoa(udp.LocalAddr().(*net.UDPAddr).Port)
		tcp, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, udpPort))
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		lastErr = err
		if port != "0" {
			break
		}
	}
	return nil, nil, fmt.Errorf("dns server cannot listen on tcp %s: %v; pick a free address", addr, lastErr)
}

// Addr returns the host:port the server listens on, for UDP and TCP alike.
func (s *Server) Addr() string { return s.udp.LocalAddr().String() }

// Zone returns the zone the server is authoritative for, fully qualified.
func (s *Server) Zone() string { return s.zone }

// Program installs p for queries of qtype (e.g. mdns.TypeA) at name, replacing any
// program there and starting its counters afresh. A name outside the zone is answered
// from then on as the recursive resolver the implementation is pointed at would
// answer it (AA clear, RA set), e.g. localhost. or a cluster-local Service name that a
// rebinding CNAME leads to.
func (s *Server) Program(name string, qtype uint16, p Program) error {
	canonical := mdns.CanonicalName(name)
	if _, ok := mdns.IsDomainName(canonical); !ok || canonical == "." {
		return fmt.Errorf("dns program name %q is not a domain name; use one such as www.%s", name, s.zone)
	}
	in, err := install(p, s.clock())
	if err != nil {
		return fmt.Errorf("dns program for %s %s: %w", canonical, mdns.TypeToString[qtype], err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.programs[key{canonical, qtype}] = in
	return nil
}

// Clear removes every program; the zone then answers NXDOMAIN everywhere but its apex.
func (s *Server) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.programs)
}

// Close stops the listeners, closes open TCP connections, abandons delayed replies
// and returns once every goroutine of the server has ended.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.stopCtx()
		close(s.done)
		err = errors.Join(s.udp.Close(), s.tcp.Close())
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return err
}

func (s *Server) closing() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// sleep waits d, or less if the server closes; it reports whether to go on.
func (s *Server) sleep(d time.Duration) bool {
	if d <= 0 {
		return !s.closing()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

func (s *Server) serveUDP() {
	defer s.wg.Done()
	buf := make([]byte, mdns.MaxMsgSize)
	for {
		n, peer, err := s.udp.ReadFrom(buf)
		if err != nil {
			if s.closing() {
				return
			}
			continue
		}
		reply, delay := s.handle(buf[:n], peer.String(), UDP)
		if reply == nil {
			continue
		}
		if delay == 0 {
			s.udp.WriteTo(reply, peer)
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if s.sleep(delay) {
				s.udp.WriteTo(reply, peer)
			}
		}()
	}
}

func (s *Server) serveTCP() {
	defer s.wg.Done()
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			if s.closing() {
				return
			}
			continue
		}
		s.mu.Lock()
		if s.closing() {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serveConn(c)
	}
}

// serveConn answers length-prefixed queries on one TCP connection, in order.
func (s *Server) serveConn(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	peer := c.RemoteAddr().String()
	buf := make([]byte, mdns.MaxMsgSize)
	for {
		var size [2]byte
		if _, err := io.ReadFull(c, size[:]); err != nil {
			return
		}
		msg := buf[:binary.BigEndian.Uint16(size[:])]
		if _, err := io.ReadFull(c, msg); err != nil {
			return
		}
		reply, delay := s.handle(msg, peer, TCP)
		if reply == nil {
			continue
		}
		if !s.sleep(delay) {
			return
		}
		framed := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reply)), uint16(len(reply)))
		if _, err := c.Write(append(framed, reply...)); err != nil {
			return
		}
	}
}
