package controller

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Addresses hands out the data-plane IPs: each Gateway gets its own from
// the pool for as long as it exists.
type Addresses struct {
	mu     sync.Mutex
	pool   []netip.Addr
	assign map[types.NamespacedName]netip.Addr
}

// NewAddresses makes a pool of addrs.
func NewAddresses(addrs []netip.Addr) *Addresses {
	return &Addresses{pool: slices.Clone(addrs), assign: map[types.NamespacedName]netip.Addr{}}
}

// Assign returns gw's address, taking prefer (its address in an earlier
// status) when it is free, else the first free one; false when the pool is
// exhausted.
func (a *Addresses) Assign(gw types.NamespacedName, prefer netip.Addr) (netip.Addr, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if addr, ok := a.assign[gw]; ok {
		return addr, true
	}
	used := map[netip.Addr]bool{}
	for _, addr := range a.assign {
		used[addr] = true
	}
	free := slices.DeleteFunc(slices.Clone(a.pool), func(addr netip.Addr) bool { return used[addr] })
	if len(free) == 0 {
		return netip.Addr{}, false
	}
	pick := free[0]
	if slices.Contains(free, prefer) {
		pick = prefer
	}
	a.assign[gw] = pick
	return pick, true
}

// Lookup returns gw's address, if it has one.
func (a *Addresses) Lookup(gw types.NamespacedName) (netip.Addr, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	addr, ok := a.assign[gw]
	return addr, ok
}

// Release returns gw's address to the pool.
func (a *Addresses) Release(gw types.NamespacedName) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.assign, gw)
}

// Listeners runs one http.Server per Gateway listener port, on the
// Gateway's address, serving that port's routing Table.
type Listeners struct {
	errorLog *log.Logger

	mu        sync.Mutex
	byGateway map[types.NamespacedName]map[netip.AddrPort]*portServer
}

type portServer struct {
	srv    *http.Server
	stream *streamServer // a TCP listener's, instead of srv
	table  atomic.Pointer[Table]
	done   chan struct{}
}

// NewListeners makes an empty set; errorLog receives http.Server errors.
func NewListeners(errorLog *log.Logger) *Listeners {
	return &Listeners{errorLog: errorLog, byGateway: map[types.NamespacedName]map[netip.AddrPort]*portServer{}}
}

// Program makes gw serve exactly tables: it swaps the table of ports
// already bound, binds new ports and closes ports no longer wanted. The
// result says, per address, why it could not be bound.
func (l *Listeners) Program(gw types.NamespacedName, tables map[netip.AddrPort]*Table) map[netip.AddrPort]error {
	l.mu.Lock()
	defer l.mu.Unlock()
	have := l.byGateway[gw]
	if have == nil {
		have = map[netip.AddrPort]*portServer{}
		l.byGateway[gw] = have
	}
	for ap, ps := range have {
		if _, ok := tables[ap]; !ok {
			ps.close()
			delete(have, ap)
		}
	}
	failed := map[netip.AddrPort]error{}
	for ap, t := range tables {
		ps, ok := have[ap]
		if !ok {
			var err error
			if ps, err = l.serve(ap, t); err != nil {
				failed[ap] = err
				continue
			}
			have[ap] = ps
		}
		ps.table.Store(t)
	}
	return failed
}

// serve binds ap and serves t (stored before the first request can arrive).
func (l *Listeners) serve(ap netip.AddrPort, t *Table) (*portServer, error) {
	ln, err := net.Listen("tcp", ap.String())
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", ap, err)
	}
	ps := &portServer{done: make(chan struct{})}
	ps.table.Store(t)
	if t.stream {
		ps.stream = serveStreams(ln, &ps.table, ps.done)
		return ps, nil
	}
	// gRPC clients speak HTTP/2 with prior knowledge to an HTTP listener.
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	ps.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ps.table.Load().ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          l.errorLog,
		Protocols:         &protocols,
	}
	go func() {
		defer close(ps.done)
		if err := ps.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			l.errorLog.Printf("listener %s stopped: %v", ap, err)
		}
	}()
	return ps, nil
}

// close stops the server and waits until its listener is closed.
func (ps *portServer) close() {
	if ps.stream != nil {
		ps.stream.close()
		<-ps.done
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if ps.srv.Shutdown(ctx) != nil {
		ps.srv.Close()
	}
	<-ps.done
}

// Remove closes every listener of gw.
func (l *Listeners) Remove(gw types.NamespacedName) {
	l.Program(gw, nil)
	l.mu.Lock()
	delete(l.byGateway, gw)
	l.mu.Unlock()
}

// Close closes every listener of every Gateway.
func (l *Listeners) Close() {
	l.mu.Lock()
	gateways := make([]types.NamespacedName, 0, len(l.byGateway))
	for gw := range l.byGateway {
		gateways = append(gateways, gw)
	}
	l.mu.Unlock()
	for _, gw := range gateways {
		l.Remove(gw)
	}
}
