package dataplane

import (
	"context"
	"slices"
	"sync"
	"time"
)

// refreshEvery is how often the unchecked-dns-refresh fault's resolver asks
// again, whatever the TTL: longer than the Never window, as a configured
// refresh rate may be.
const refreshEvery = 10 * time.Second

// refreshIdle ends a host's refresh once no connection has used its answers
// for this long, so a replaced transport leaves no refresher behind for long.
const refreshIdle = time.Minute

// refresher is the unchecked-dns-refresh fault's resolver: it resolves a
// host once when first asked, then again on its own timer in the
// background, and hands out the latest answers, those of a refresh marked
// Refreshed.
type refresher struct {
	resolver Resolver
	every    time.Duration
	idle     time.Duration

	mu    sync.Mutex
	hosts map[string]*refreshedHost
}

type refreshedHost struct {
	answers []Answer
	err     error
	used    time.Time
}

func newRefresher(r Resolver, every time.Duration) *refresher {
	return &refresher{resolver: r, every: every, idle: refreshIdle, hosts: map[string]*refreshedHost{}}
}

// Resolve returns host's latest answers, resolving it first when it is new.
func (r *refresher) Resolve(ctx context.Context, host string) ([]Answer, error) {
	r.mu.Lock()
	h, ok := r.hosts[host]
	if ok {
		h.used = time.Now()
		answers, err := h.answers, h.err
		r.mu.Unlock()
		return answers, err
	}
	r.mu.Unlock()
	answers, err := r.resolver.Resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if _, ok := r.hosts[host]; !ok {
		r.hosts[host] = &refreshedHost{answers: answers, used: time.Now()}
		go r.refresh(host)
	}
	r.mu.Unlock()
	return answers, nil
}

// refresh resolves host every r.every until its answers go unused for r.idle.
func (r *refresher) refresh(host string) {
	t := time.NewTicker(r.every)
	defer t.Stop()
	for range t.C {
		ctx, cancel := context.WithTimeout(context.Background(), r.every)
		answers, err := r.resolver.Resolve(ctx, host)
		cancel()
		answers = slices.Clone(answers) // the resolver's slice is not ours to mark
		for i := range answers {
			answers[i].Refreshed = true
		}
		r.mu.Lock()
		h := r.hosts[host]
		if time.Since(h.used) > r.idle {
			delete(r.hosts, host)
			r.mu.Unlock()
			return
		}
		h.answers, h.err = answers, err
		r.mu.Unlock()
	}
}
