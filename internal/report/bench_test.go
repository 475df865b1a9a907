package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/evidence"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

// fullRun is a run the size of the whole catalog: 90 specs over every
// feature and level, one failing, each with evidence about the size a real
// run writes (two manifests, a dozen DNS queries, upstream and canary logs).
func fullRun(b *testing.B, dir string) Run {
	s := Run{Implementation: vendor, Date: time.Now(), FeatureSource: "--all-features"}
	at := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	manifest := "apiVersion: gateway.networking.x-k8s.io/v1alpha1\nkind: XBackend\nmetadata:\n  name: external\n" + strings.Repeat("  # padding to a real manifest's size\n", 20)
	for i := range 90 {
		name := fmt.Sprintf("Spec%02d", i)
		level, feature := verdict.Levels()[i%3], verdict.FeatureNames()[i%len(verdict.FeatureNames())]
		state := verdict.Passed
		if i == 7 {
			state = verdict.Failed
		}
		var ms []string
		if level == verdict.Observe {
			ms = []string{fmt.Sprintf("seconds until DNS changes were followed: %d.0", i%5)}
		}
		s.Results = append(s.Results, result(name, level, feature, state, "", ms...))
		e := evidence.Doc{ShortName: name, Manifests: []string{manifest, manifest}, Upstreams: map[string][]upstream.Event{}, Canaries: map[string][]canary.Hit{}}
		for j := range 12 {
			e.DNS = append(e.DNS, dns.Query{Time: at.Add(time.Duration(j) * time.Second), Transport: "udp", Name: strings.ToLower(name) + ".xbcheck.test.",
				Type: "A", Program: "static", Answers: []string{strings.ToLower(name) + ".xbcheck.test. 3 IN A 203.0.113.24"}, TTL: 3, Rcode: "NOERROR"})
			e.Notes = append(e.Notes, fmt.Sprintf("+%d.00s status Accepted=True", j))
		}
		for j := range 15 {
			e.Upstreams["first"] = append(e.Upstreams["first"], upstream.Event{Seq: uint64(j), Time: at.Add(time.Duration(j) * 100 * time.Millisecond),
				Kind: upstream.KindRequest, Connection: 1, Remote: "203.0.113.1:40000",
				Observation: &upstream.Observation{Protocol: "HTTP/1.1", Method: "GET", Path: "/", Host: "example"}})
		}
		e.Canaries["loopback"] = []canary.Hit{}
		writeEvidence(b, dir, e)
	}
	return s
}

// BenchmarkWrite writes the three reports of a 90-spec run and reports
// their sizes.
func BenchmarkWrite(b *testing.B) {
	dir := b.TempDir()
	s := fullRun(b, dir)
	for b.Loop() {
		if _, err := Write(dir, s); err != nil {
			b.Fatal(err)
		}
	}
	for name, unit := range map[string]string{HTMLFile: "html-bytes", ConformanceFile: "yaml-bytes", SummaryFile: "summary-bytes"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Size()), unit)
	}
}
