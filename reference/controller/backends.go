package controller

import (
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/xbcheck/xbcheck/reference/dataplane"
)

// Backends holds the data-plane transport of every XBackend, rebuilt when
// the XBackend or an object it refers to changes. Routing tables look
// XBackends up here per request.
type Backends struct {
	options dataplane.Options

	mu      sync.Mutex
	entries map[types.NamespacedName]*backendEntry
}

type backendEntry struct {
	fingerprint string
	transport   *dataplane.Transport // nil: refused
	refusal     string
	proxies     map[string]*dataplane.Proxy // by URLRewrite hostname
}

// NewBackends builds transports with o (resolver, guardrail, data-plane faults).
func NewBackends(o dataplane.Options) *Backends {
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
	e := &backendEntry{fingerprint: fingerprint, proxies: map[string]*dataplane.Proxy{}}
	if refusal != nil {
		e.refusal = refusal.Message
	} else if t, err := dataplane.NewTransport(b, s.options); err != nil {
		e.refusal = err.Error()
	} else {
		e.transport = t
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

// proxy returns the proxy to key with Host rewriteHost, or why there is none.
func (s *Backends) proxy(key types.NamespacedName, rewriteHost string) (*dataplane.Proxy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	switch {
	case !ok:
		return nil, fmt.Errorf("XBackend %s not found", key)
	case e.transport == nil:
		return nil, fmt.Errorf("XBackend %s is not Accepted: %s", key, e.refusal)
	}
	p, ok := e.proxies[rewriteHost]
	if !ok {
		p = dataplane.NewProxy(e.transport, rewriteHost)
		e.proxies[rewriteHost] = p
	}
	return p, nil
}
