package suites

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	"sigs.k8s.io/yaml"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// MeasurementEntry names the report entries that carry OBSERVE values.
const MeasurementEntry = "measurement"

// Evidence is what a spec saw, kept per spec as evidence/<ShortName>.json
// and shown with a failure: the DNS answers the implementation was served,
// what the fake upstreams and canaries saw, status seen over time, the
// manifests applied and any measurement.
type Evidence struct {
	ShortName    string                      `json:"shortName"`
	Notes        []string                    `json:"notes,omitempty"`
	Manifests    []string                    `json:"manifests,omitempty"`
	DNS          []dns.Query                 `json:"dns,omitempty"`
	Upstreams    map[string][]upstream.Event `json:"upstreams,omitempty"`
	Canaries     map[string][]canary.Hit     `json:"canaries,omitempty"`
	Measurements map[string]string           `json:"measurements,omitempty"`
}

// evidence gathers a spec's Evidence as it runs.
type evidence struct {
	mu        sync.Mutex
	start     time.Time
	names     []string
	upstreams []*upstream.Server
	canaries  []*canary.Canary
	doc       Evidence
}

func (e *evidence) note(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.doc.Notes = append(e.doc.Notes, fmt.Sprintf("+%.2fs ", time.Since(e.start).Seconds())+fmt.Sprintf(format, args...))
}

func (e *evidence) manifest(text string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.doc.Manifests = append(e.doc.Manifests, text)
}

func (e *evidence) dnsName(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.names = append(e.names, strings.ToLower(mdns.Fqdn(name)))
}

func (e *evidence) upstream(u *upstream.Server) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.upstreams = append(e.upstreams, u)
}

func (e *evidence) canary(c *canary.Canary) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.canaries = append(e.canaries, c)
}

// observe records an OBSERVE measurement; it is printed with the spec and
// in the run's summary, and never fails anything.
func (s *spec) observe(name, value string) {
	s.evidence.mu.Lock()
	if s.evidence.doc.Measurements == nil {
		s.evidence.doc.Measurements = map[string]string{}
	}
	s.evidence.doc.Measurements[name] = value
	s.evidence.mu.Unlock()
	AddReportEntry(MeasurementEntry, ReportEntryVisibilityAlways, name+": "+value)
}

// collect snapshots the logs of everything the spec used.
func (e *evidence) collect(shortName string) Evidence {
	e.mu.Lock()
	defer e.mu.Unlock()
	doc := e.doc
	doc.ShortName = shortName
	if d := config.Environment.DNS; d != nil {
		for _, q := range d.Log() {
			for _, n := range e.names {
				if strings.EqualFold(q.Name, n) {
					doc.DNS = append(doc.DNS, q)
					break
				}
			}
		}
	}
	for _, u := range e.upstreams {
		if doc.Upstreams == nil {
			doc.Upstreams = map[string][]upstream.Event{}
		}
		doc.Upstreams[u.Role()] = u.Log().Entries()
	}
	for _, c := range e.canaries {
		if doc.Canaries == nil {
			doc.Canaries = map[string][]canary.Hit{}
		}
		doc.Canaries[c.Name()] = c.Hits()
	}
	return doc
}

// recordEvidence runs when a spec ends: it writes the spec's evidence file
// and, when the spec failed, shows the evidence with the failure.
func (s *spec) recordEvidence() {
	doc := s.evidence.collect(s.shortName)
	if CurrentSpecReport().Failed() {
		if text, err := yaml.Marshal(doc); err == nil {
			AddReportEntry("evidence", ReportEntryVisibilityFailureOrVerbose, string(text))
		}
	}
	if config.EvidenceDir == "" {
		return
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err == nil {
		err = os.WriteFile(filepath.Join(config.EvidenceDir, s.shortName+".json"), data, 0o644)
	}
	if err != nil {
		AddReportEntry("evidence", ReportEntryVisibilityAlways, "could not write evidence: "+err.Error())
	}
}
