package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xbcheck/xbcheck/internal/report"
	"github.com/xbcheck/xbcheck/internal/runner"
)

// The benchmarks of whole runs: `make bench` prints them in one go, so a
// change's effect on speed and memory can be compared run to run. Each
// runs xbcheck as a child process once per iteration (-benchtime 1x) and
// reports wall time, how much of it the specs' own time fills, and the
// peak memory of all the run's processes together.

// BenchmarkRunSerial is the full suite with the specs one at a time.
func BenchmarkRunSerial(b *testing.B) { benchmarkRun(b, "1") }

// BenchmarkRunParallel is the full suite with the default workers.
func BenchmarkRunParallel(b *testing.B) { benchmarkRun(b, strconv.Itoa(runner.DefaultParallel())) }

func benchmarkRun(b *testing.B, parallel string) {
	var wall, specs, suite time.Duration
	var peak uint64
	for b.Loop() {
		dir := b.TempDir()
		start := time.Now()
		p := benchChild(b, "run", "--parallel", parallel, "--report-output", dir)
		wall += time.Since(start)
		peak = max(peak, p)
		run, err := report.ReadRun(dir)
		if err != nil {
			b.Fatal(err)
		}
		if !run.OK() || run.Count("failed") > 0 {
			b.Fatalf("the run against the reference failed: %s %q", run.ClosingLine(), run.HarnessErrors)
		}
		suite += run.Duration
		for _, r := range run.Results {
			specs += r.RunTime
		}
	}
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "wall-s/run")
	b.ReportMetric(suite.Seconds()/n, "suite-s/run")
	b.ReportMetric(specs.Seconds()/suite.Seconds(), "spec-s/suite-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
}

// BenchmarkMutate is mutation testing with its defaults.
func BenchmarkMutate(b *testing.B) {
	var wall time.Duration
	var peak uint64
	for b.Loop() {
		dir := b.TempDir()
		start := time.Now()
		peak = max(peak, benchChild(b, "mutate", "--report-output", dir, "--markdown", filepath.Join(dir, "matrix.md")))
		wall += time.Since(start)
		matrix, err := os.ReadFile(filepath.Join(dir, "matrix.md"))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(strings.Count(string(matrix), "\n| `")), "faults")
	}
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/run")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
}

// benchChild runs xbcheck (this test binary as main) with args and
// returns the peak of the summed resident memory of it and every process
// under it, sampled every 100ms.
func benchChild(b *testing.B, args ...string) uint64 {
	b.Helper()
	cmd := xbcheckCommand(b, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var peak uint64
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, treeRSS(cmd.Process.Pid))
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	err := cmd.Wait()
	close(done)
	wg.Wait()
	if err != nil && args[0] != "mutate" {
		b.Fatalf("xbcheck %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return peak
}

// treeRSS is the resident memory of pid and its descendants, in bytes.
func treeRSS(pid int) uint64 {
	var sum uint64
	for _, p := range append(descendants(pid), pid) {
		status, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/status")
		if err != nil {
			continue
		}
		for line := range strings.SplitSeq(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				sum += kb << 10
			}
		}
	}
	return sum
}
