package reference

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

// BenchmarkTimeToFirst200 measures the time from creating an XBackend to
// the first 200 through a route that already pointed at it (and answered
// 500 until then). Run it with -benchtime=20x: it reports the median as
// ms-median besides the mean per op.
func BenchmarkTimeToFirst200(b *testing.B) {
	e := startEnv(b, gatewayapi.Newest().Version)
	const ns = "gateway-bench"
	e.namespace(b, ns)
	v := e.vars(ns)
	e.apply(b, gatewayYAML, v)
	e.apply(b, caYAML, v)
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		v.Name, v.Host = fmt.Sprintf("xb%d", i), fmt.Sprintf("xb%d.gateway.test", i)
		e.apply(b, routeYAML, v)
		waitFor(b, e, v.Host, http.StatusInternalServerError)
		b.StartTimer()
		start := time.Now()
		e.apply(b, xbackendYAML, v)
		waitFor(b, e, v.Host, http.StatusOK)
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
}

// waitFor polls host through the Gateway until it answers code.
func waitFor(b *testing.B, e *env, host string, code int) {
	b.Helper()
	deadline := time.After(convergence)
	poll := time.NewTicker(5 * time.Millisecond) // the resolution of the measurement
	defer poll.Stop()
	last := ""
	for {
		got, body, err := e.get(host, "/")
		if err == nil && got == code {
			return
		}
		last = fmt.Sprintf("%d %s %v", got, body, err)
		select {
		case <-poll.C:
			continue
		case <-deadline:
		}
		break
	}
	b.Fatalf("%s did not answer %d within %s; last answer: %s", host, code, convergence, last)
}
