package mutate

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// withDefaults fills what opts leaves unset: one run at a time, progress
// to nowhere.
func (opts Options) withDefaults() Options {
	if opts.Parallel < 1 {
		opts.Parallel = 1
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	return opts
}

// sayer returns a printer of whole lines to w that runs at once may share.
func sayer(w io.Writer) func(format string, args ...any) {
	var mu sync.Mutex
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// inSlots calls job for every index below n, parallel at a time, each
// worker in its own share of the sandbox's addresses. The first error a
// job returns (the control plane lost) starts no further job; inSlots
// returns it once the jobs under way have ended, or nil.
func inSlots(ctx context.Context, parallel, n int, job func(ctx context.Context, i int, s sandbox.Slot) error) error {
	lost, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for worker := range parallel {
		wg.Go(func() {
			for i := range next {
				if err := job(lost, i, slot(worker, parallel)); err != nil {
					stop(err)
					return
				}
			}
		})
	}
	for i := range n {
		select {
		case next <- i:
		case <-lost.Done():
		}
		if lost.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(lost)
}

// slot is worker's share of the sandbox's addresses; a lone worker has
// them all.
func slot(worker, workers int) sandbox.Slot {
	if workers <= 1 {
		return sandbox.Slot{}
	}
	return sandbox.Slot{Index: worker, Of: workers}
}
