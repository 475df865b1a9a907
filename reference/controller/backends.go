package controller

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/xbcheck/xbcheck/reference/dataplane"
	"github.com/xbcheck/xbcheck/reference/faults"
)

// Backends holds the data-plane transport of every XBackend, rebuilt when
// the XBackend or an object it refers to changes. Routing tables look
// XBackends up here per request.
type Backends struct {
	options dataplane.Options
	// keepOnRefusal is the keep-transport-on-refusal fault.
	keepOnRefusal bool

	mu      sync.Mutex
	entries map[types.NamespacedName]*backendEntry
}

type backendEntry struct {
	fingerprint string
	transport   *dataplane.Transport // nil: refused
	refusal     string
	proxies     map[proxyKey]*dataplane.Proxy
}

// proxyKey tells the proxies of one XBackend apart: by URLRewrite hostname,
// and by port for the port-from-route fault (0: the XBackend's own).
type proxyKey struct {
	rewriteHost string
	port        int
}

// NewBackends builds transports with o (resolver, guardrail, data-plane
// faults). The resume-skips-verify fault gets one TLS session cache for
// every transport, so sessions outlive a rebuilt XBackend.
func NewBackends(o dataplane.Options) *Backends {
	if o.Faults.Has(faults.ResumeSkipsVerify) && o.SessionCache == nil {
		o.SessionCache = tls.NewLRUClientSessionCache(256)
	}
	return &Backends{options: o, entries: map[types.NamespacedName]*backendEntry{}}
}

// update installs b under key unless fingerprint is unchanged; a refusal
// (or a Backend the data plane refuses) leaves key with no transport, so its
// requests get 500 and nothing is sent. The error says why key has no
// transport.
func (s *Backends) update(key types.NamespacedName, fingerprint string, b dataplane.Backend, refusal *Refusal) error {
	s.mu.Lock()
	old := s.entries[key]
	s.mu.Unlock()
	if old != nil && old.fingerprint == fingerprint {
		return old.err()
	}
	e := &backendEntry{fingerprint: fingerprint, proxies: map[proxyKey]*dataplane.Proxy{}}
	if refusal != nil {
		e.refusal = refusal.Message
	} else if t, err := dataplane.NewTransport(b, s.options); err != nil {
		e.refusal = err.Error()
	} else {
		e.transport = t
	}
	if e.transport == nil && s.keepOnRefusal && old != nil && old.transport != nil {
		// The fault: status says refused, the data plane serves the last good configuration.
		e.transport, e.proxies = old.transport, old.proxies
		s.mu.Lock()
		s.entries[key] = e
		s.mu.Unlock()
		return errors.New(e.refusal)
	}
	s.mu.Lock()
	s.entries[key] = e
	s.mu.Unlock()
	if old != nil && old.transport != nil {
		old.transport.CloseIdleConnections()
	}
	return e.err()
}

func (e *backendEntry) err() error {
	if e.transport == nil {
		return errors.New(e.refusal)
	}
	return nil
}

// remove forgets a deleted XBackend.
func (s *Backends) remove(key types.NamespacedName) {
	s.mu.Lock()
	old := s.entries[key]
	delete(s.entries, key)
	s.mu.Unlock()
	if old != nil && old.transport != nil {
		old.transport.CloseIdleConnections()
	}
}

// proxy returns the proxy to key with Host rewriteHost, or why there is
// none. port is 0 but for the port-from-route fault, which dials there.
func (s *Backends) proxy(key types.NamespacedName, rewriteHost string, port int) (*dataplane.Proxy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	switch {
	case !ok:
		return nil, fmt.Errorf("XBackend %s not found", key)
	case e.transport == nil:
		return nil, fmt.Errorf("XBackend %s is not Accepted: %s", key, e.refusal)
	}
	pk := proxyKey{rewriteHost: rewriteHost, port: port}
	p, ok := e.proxies[pk]
	if !ok {
		t := e.transport
		if port != 0 {
			var err error
			if t, err = t.OnPort(port); err != nil {
				return nil, fmt.Errorf("XBackend %s on port %d: %w", key, port, err)
			}
		}
		p = dataplane.NewProxy(t, rewriteHost)
		e.proxies[pk] = p
	}
	return p, nil
}
