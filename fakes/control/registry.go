package control

import (
	"context"
	"errors"
	"net/netip"
)

// errStopped ends a wait on a fake that was stopped meanwhile.
var errStopped = errors.New("stopped")

// entry is one fake in a registry. A starting entry holds its name and addresses, so
// that no other start takes them, but is invisible to lookups until it runs.
type entry[T any] struct {
	name    string
	hosts   []netip.Addr // where it listens, for the address allocation to skip
	fake    T
	running bool
	gone    context.Context // ends when the fake is stopped
	stop    context.CancelFunc
}

// untilStopped is ctx, also ended (with cause errStopped) when the fake is stopped.
func (e *entry[T]) untilStopped(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	unhook := context.AfterFunc(e.gone, func() { cancel(errStopped) })
	return ctx, func() { unhook(); cancel(nil) }
}

// registry is the fakes of one kind, in start order. Its caller holds the lock that
// guards it (Local.mu).
type registry[T any] struct {
	fake    string // "upstream" or "canary", for NotFoundError
	field   string // the spec field naming one, for InvalidError
	entries []*entry[T]
}

// reserve adds a starting entry for name, unless a running or starting fake has it.
func (r *registry[T]) reserve(name string, hosts []netip.Addr) (*entry[T], error) {
	for _, e := range r.entries {
		if e.name == name {
			return nil, &InvalidError{Field: r.field, Reason: "\"" + name + "\" is in use by a running " + r.fake + "; stop it first, or choose another " + r.field}
		}
	}
	e := &entry[T]{name: name, hosts: hosts}
	e.gone, e.stop = context.WithCancel(context.Background())
	r.entries = append(r.entries, e)
	return e, nil
}

// release forgets e, whether it runs or not.
func (r *registry[T]) release(e *entry[T]) {
	for i, x := range r.entries {
		if x == e {
			r.entries = append(r.entries[:i:i], r.entries[i+1:]...)
			return
		}
	}
}

// get returns the running fake with this name.
func (r *registry[T]) get(name string) (*entry[T], error) {
	for _, e := range r.entries {
		if e.running && e.name == name {
			return e, nil
		}
	}
	return nil, r.notFound(name)
}

func (r *registry[T]) notFound(name string) *NotFoundError {
	return &NotFoundError{Fake: r.fake, Name: name, Known: r.names()}
}

// names lists the running fakes, in start order.
func (r *registry[T]) names() []string {
	names := []string{}
	for _, e := range r.entries {
		if e.running {
			names = append(names, e.name)
		}
	}
	return names
}

// running lists the running fakes, in start order.
func (r *registry[T]) running() []T {
	var fakes []T
	for _, e := range r.entries {
		if e.running {
			fakes = append(fakes, e.fake)
		}
	}
	return fakes
}

// takeRunning forgets every running fake and returns them, for Close; starting ones
// stay, for their starter to find the registry closed.
func (r *registry[T]) takeRunning() []*entry[T] {
	var taken, kept []*entry[T]
	for _, e := range r.entries {
		if e.running {
			taken = append(taken, e)
		} else {
			kept = append(kept, e)
		}
	}
	r.entries = kept
	return taken
}
