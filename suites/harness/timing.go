package harness

import (
	"context"
	"sync/atomic"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// TimingEntry names the report entry carrying, in nanoseconds, the time a
// spec spent in the harness's own work; the rest of its run time was spent
// waiting for the implementation.
const TimingEntry = "harness-time"

// workClock adds up the time the running spec spends in the harness's own
// work: writing objects to the cluster, starting, stopping and reading the
// fakes. Waiting for the implementation (polls, probes, "never" windows,
// waits on the fakes' logs) is not counted. Specs of a process run one at a
// time, so one clock serves them all, reset as each begins.
type workClock struct{ spent atomic.Int64 }

func (w *workClock) reset() time.Duration { return time.Duration(w.spent.Swap(0)) }

func (w *workClock) add(start time.Time) { w.spent.Add(int64(time.Since(start))) }

// timedClient times the writes of a client.
type timedClient struct {
	client.Client
	clock *workClock
}

func (c timedClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	defer c.clock.add(time.Now())
	return c.Client.Create(ctx, obj, opts...)
}

func (c timedClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	defer c.clock.add(time.Now())
	return c.Client.Update(ctx, obj, opts...)
}

func (c timedClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	defer c.clock.add(time.Now())
	return c.Client.Patch(ctx, obj, patch, opts...)
}

func (c timedClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	defer c.clock.add(time.Now())
	return c.Client.Delete(ctx, obj, opts...)
}

// timedFakes times every operation of the fakes but the waits.
type timedFakes struct {
	control.Fakes
	clock *workClock
}

func (f timedFakes) SetProgram(ctx context.Context, name string, qtype uint16, p dns.Program) error {
	defer f.clock.add(time.Now())
	return f.Fakes.SetProgram(ctx, name, qtype, p)
}

func (f timedFakes) DNSLog(ctx context.Context, names ...string) ([]dns.Query, error) {
	defer f.clock.add(time.Now())
	return f.Fakes.DNSLog(ctx, names...)
}

func (f timedFakes) StartUpstream(ctx context.Context, spec control.UpstreamSpec) (control.UpstreamInfo, error) {
	defer f.clock.add(time.Now())
	return f.Fakes.StartUpstream(ctx, spec)
}

func (f timedFakes) StopUpstream(ctx context.Context, role string) error {
	defer f.clock.add(time.Now())
	return f.Fakes.StopUpstream(ctx, role)
}

func (f timedFakes) DropConnections(ctx context.Context, role string) error {
	defer f.clock.add(time.Now())
	return f.Fakes.DropConnections(ctx, role)
}

func (f timedFakes) UpstreamLog(ctx context.Context, role string) ([]upstream.Event, error) {
	defer f.clock.add(time.Now())
	return f.Fakes.UpstreamLog(ctx, role)
}

func (f timedFakes) StartCanary(ctx context.Context, spec control.CanarySpec) (control.CanaryInfo, error) {
	defer f.clock.add(time.Now())
	return f.Fakes.StartCanary(ctx, spec)
}

func (f timedFakes) StopCanary(ctx context.Context, name string) error {
	defer f.clock.add(time.Now())
	return f.Fakes.StopCanary(ctx, name)
}

func (f timedFakes) CanaryHits(ctx context.Context, name string) ([]canary.Hit, error) {
	defer f.clock.add(time.Now())
	return f.Fakes.CanaryHits(ctx, name)
}

func (f timedFakes) ClearCanary(ctx context.Context, name string) error {
	defer f.clock.add(time.Now())
	return f.Fakes.ClearCanary(ctx, name)
}
