package cluster

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkEnvtestStart measures starting the embedded control plane with
// the CRDs installed and established, until the kubeconfig is usable; it
// reports the median start time besides the mean (ns/op).
//
//	go test -run '^$' -bench EnvtestStart -benchtime 5x ./internal/cluster/
func BenchmarkEnvtestStart(b *testing.B) {
	ctx := context.Background()
	set, bundle := pinned(b)
	var starts []time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		c, err := StartEnvtest(ctx, EnvtestOptions{Binaries: set, CRDs: bundle})
		if err != nil {
			b.Fatal(err)
		}
		starts = append(starts, time.Since(t0))
		b.StopTimer()
		if err := c.Stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	slices.Sort(starts)
	b.ReportMetric(starts[len(starts)/2].Seconds(), "median-start-s")
}
