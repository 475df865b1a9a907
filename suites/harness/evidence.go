package harness

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	"sigs.k8s.io/yaml"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/evidence"
)

// evidenceLog gathers a spec's evidence.Doc as it runs. Logs of fakes are
// copied in when each fake stops, since a stopped fake is forgotten.
type evidenceLog struct {
	mu    sync.Mutex
	start time.Time
	names []string
	doc   evidence.Doc
}

func newEvidence(sc Scenario) *evidenceLog {
	return &evidenceLog{start: time.Now(), doc: evidence.Doc{
		ShortName: sc.ShortName, Requirement: sc.Description, Source: string(sc.Source),
	}}
}

func (e *evidenceLog) note(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.doc.Notes = append(e.doc.Notes, fmt.Sprintf("+%.2fs ", time.Since(e.start).Seconds())+fmt.Sprintf(format, args...))
}

func (e *evidenceLog) manifest(text string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.doc.Manifests = append(e.doc.Manifests, text)
}

func (e *evidenceLog) dnsName(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.names = append(e.names, strings.ToLower(mdns.Fqdn(name)))
}

func (e *evidenceLog) upstreamLog(role string, events []upstream.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.doc.Upstreams == nil {
		e.doc.Upstreams = map[string][]upstream.Event{}
	}
	e.doc.Upstreams[role] = events
}

func (e *evidenceLog) canaryHits(name string, hits []canary.Hit) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.doc.Canaries == nil {
		e.doc.Canaries = map[string][]canary.Hit{}
	}
	e.doc.Canaries[name] = hits
}

func (e *evidenceLog) measure(name, value string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.doc.Measurements == nil {
		e.doc.Measurements = map[string]string{}
	}
	e.doc.Measurements[name] = value
}

// recordEvidence runs when the spec ends, after its fakes stopped: it adds
// the DNS queries for the spec's names, writes the evidence file and, when
// the spec failed, shows the evidence with the failure.
func (s *T) recordEvidence(ctx SpecContext) {
	e := s.evidence
	e.mu.Lock()
	names := e.names
	e.mu.Unlock()
	queries, err := s.h.Fakes.DNSLog(context.WithoutCancel(ctx), names...)
	e.mu.Lock()
	e.doc.DNS = queries
	doc := e.doc
	e.mu.Unlock()
	if err != nil {
		s.Note("could not read the DNS log: %v", err)
	}
	if CurrentSpecReport().Failed() {
		if text, err := yaml.Marshal(doc); err == nil {
			AddReportEntry("evidence", ReportEntryVisibilityFailureOrVerbose, string(text))
		}
	}
	if s.h.EvidenceDir == "" {
		return
	}
	if err := evidence.Write(s.h.EvidenceDir, doc); err != nil {
		AddReportEntry("evidence", ReportEntryVisibilityAlways, "could not write evidence: "+err.Error())
	}
}
