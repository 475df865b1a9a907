package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/evidence"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

//go:embed report.html.tmpl
var pageText string

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"seconds": func(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) },
	"join":    strings.Join,
}).Parse(pageText))

// page is what the template shows.
type page struct {
	Run     Run
	OK      bool
	Warn    bool
	Passed  int
	Failed  int
	Skipped int
	Levels  []verdict.Level
	Table   []featureRow
	Failing []verdict.Result
	// Vacuous says why the run certifies nothing, when no core spec ran.
	Vacuous   string
	Scenarios []scenarioView
	Chart     *chart
	Listed    []measurement
}

type featureRow struct {
	verdict.FeatureInfo
	Feature   verdict.Feature
	Supported bool
	Cells     []cell
}

type cell struct{ Passed, Failed, Skipped, NotSupported int }

func (c cell) Empty() bool { return c.Passed+c.Failed+c.Skipped+c.NotSupported == 0 }

type scenarioView struct {
	verdict.Result
	Open        bool
	Evidence    *evidence.Doc
	EvidenceErr string
	DNS         []dnsRow
	Upstreams   []upstreamLog
	Canaries    []canaryLog
}

type dnsRow struct {
	At, Transport, Name, Type, Program, Answers, Rcode string
	TTL                                                uint32
}

type upstreamLog struct {
	Role   string
	Events []upstreamRow
}

type upstreamRow struct {
	At, Kind, Remote, Detail string
	Connection               uint64
}

type canaryLog struct {
	Name string
	Hits []canaryRow
}

type canaryRow struct{ At, Peer, Local, Kind, Detail string }

// measurement is one OBSERVE value; Value is set when it is a number.
type measurement struct {
	Scenario, Name, Text string
	Value                float64
	Unit                 string
}

type chart struct {
	Width, Height, LabelWidth int
	Bars                      []bar
}

type bar struct {
	Y, Width, TextY     int
	Label, Short, Value string
}

// Render writes the HTML page of a run whose evidence is in dir.
func Render(w io.Writer, r Run, dir string) error {
	docs, problems := readEvidence(dir, r.Results)
	p := page{
		Run: r, OK: r.OK(), Vacuous: r.Vacuous(),
		Passed: r.Count(verdict.Passed), Failed: r.Count(verdict.Failed), Skipped: r.Count(verdict.Skipped),
		Levels: verdict.Levels(),
	}
	cells := map[verdict.Feature][]cell{}
	for _, f := range verdict.FeatureNames() {
		cells[f] = make([]cell, len(p.Levels))
	}
	var measured []measurement
	for _, f := range verdict.FeatureNames() {
		for _, res := range r.Results {
			if res.Feature != f {
				continue
			}
			c := &cells[f][slices.Index(p.Levels, res.Level)]
			switch res.Outcome {
			case verdict.Passed:
				c.Passed++
			case verdict.Failed:
				c.Failed++
				p.Failing = append(p.Failing, res)
				p.Warn = p.Warn || res.Level != verdict.Must
			case verdict.NotSupported:
				c.NotSupported++
			default:
				c.Skipped++
			}
			v := scenarioView{Result: res, Open: res.Outcome == verdict.Failed || res.Outcome == verdict.NotSupported, Evidence: docs[res.ShortName], EvidenceErr: problems[res.ShortName]}
			if v.Evidence != nil {
				v.fill()
			}
			p.Scenarios = append(p.Scenarios, v)
			measured = append(measured, measurements(res, v.Evidence)...)
		}
	}
	for _, f := range verdict.Features() {
		p.Table = append(p.Table, featureRow{FeatureInfo: f, Feature: f.Name, Supported: r.supports(f.Name), Cells: cells[f.Name]})
	}
	p.Chart, p.Listed = plot(measured)
	return pageTemplate.Execute(w, p)
}

// fill lays the evidence out as rows, times as offsets from its first event.
func (v *scenarioView) fill() {
	e := v.Evidence
	var start time.Time
	first := func(t time.Time) {
		if !t.IsZero() && (start.IsZero() || t.Before(start)) {
			start = t
		}
	}
	for _, q := range e.DNS {
		first(q.Time)
	}
	for _, evs := range e.Upstreams {
		for _, ev := range evs {
			first(ev.Time)
		}
	}
	for _, hits := range e.Canaries {
		for _, h := range hits {
			first(h.Time)
		}
	}
	at := func(t time.Time) string { return fmt.Sprintf("+%.3fs", t.Sub(start).Seconds()) }
	for _, q := range e.DNS {
		answers := strings.Join(q.Answers, "\n")
		if q.Step < 0 {
			answers = "(no program: empty answer)"
		}
		v.DNS = append(v.DNS, dnsRow{At: at(q.Time), Transport: q.Transport, Name: q.Name, Type: q.Type,
			Program: string(q.Program), Answers: answers, Rcode: q.Rcode, TTL: q.TTL})
	}
	for _, role := range slices.Sorted(maps.Keys(e.Upstreams)) {
		l := upstreamLog{Role: role}
		for _, ev := range e.Upstreams[role] {
			l.Events = append(l.Events, upstreamRow{At: at(ev.Time), Kind: string(ev.Kind), Remote: ev.Remote,
				Connection: ev.Connection, Detail: upstreamDetail(ev)})
		}
		v.Upstreams = append(v.Upstreams, l)
	}
	for _, name := range slices.Sorted(maps.Keys(e.Canaries)) {
		l := canaryLog{Name: name}
		for _, h := range e.Canaries[name] {
			l.Hits = append(l.Hits, canaryRow{At: at(h.Time), Peer: h.Peer, Local: h.Local, Kind: string(h.Kind), Detail: canaryDetail(h)})
		}
		v.Canaries = append(v.Canaries, l)
	}
}

func upstreamDetail(ev upstream.Event) string {
	var parts []string
	add := func(label, value string) {
		if value != "" {
			parts = append(parts, label+" "+value)
		}
	}
	add("SNI", ev.SNI)
	add("ALPN offered", strings.Join(ev.ALPNOffered, ","))
	add("ALPN", ev.ALPNNegotiated)
	add("", ev.TLSVersion)
	add("client cert", ev.ClientCertSubject)
	add("reason:", ev.Reason)
	if o := ev.Observation; o != nil {
		add("", fmt.Sprintf("%s %s %s Host %s", o.Protocol, o.Method, o.Path, o.Host))
	}
	return strings.TrimSpace(strings.Join(parts, "; "))
}

func canaryDetail(h canary.Hit) string {
	var parts []string
	if h.SNI != "" {
		parts = append(parts, "SNI "+h.SNI)
	}
	if h.HandshakeError != "" {
		parts = append(parts, "handshake: "+h.HandshakeError)
	}
	for _, rq := range h.Requests {
		parts = append(parts, fmt.Sprintf("%s %s %s Host %s", rq.Protocol, rq.Method, rq.Path, rq.Host))
	}
	if h.TokenSent {
		parts = append(parts, "token sent")
	}
	return strings.Join(parts, "; ")
}

// number is a measurement that is a number, with an optional unit.
var number = regexp.MustCompile(`^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(s|ms|seconds)?\s*$`)

// measurements lists a spec's OBSERVE values, from its evidence when there
// is one (name and value kept apart there), else from the summary's
// "name: value" lines.
func measurements(res verdict.Result, e *evidence.Doc) []measurement {
	var out []measurement
	add := func(name, text string) {
		m := measurement{Scenario: res.ShortName, Name: name, Text: text, Value: -1}
		if g := number.FindStringSubmatch(text); g != nil {
			m.Value, _ = strconv.ParseFloat(g[1], 64)
			m.Unit = g[2]
			if m.Unit == "ms" {
				m.Value, m.Unit = m.Value/1000, "s"
			}
			if m.Unit == "" && strings.Contains(name, "seconds") || m.Unit == "seconds" {
				m.Unit = "s"
			}
		}
		out = append(out, m)
	}
	if e != nil && len(e.Measurements) > 0 {
		for _, name := range slices.Sorted(maps.Keys(e.Measurements)) {
			add(name, e.Measurements[name])
		}
		return out
	}
	for _, line := range res.Measurements {
		name, text, _ := strings.Cut(line, ": ")
		add(name, text)
	}
	return out
}

// plot draws the measurements in seconds as bars; the others are listed.
func plot(ms []measurement) (*chart, []measurement) {
	const width, labelWidth, row = 900, 540, 26
	var secs, listed []measurement
	maxValue := 0.0
	for _, m := range ms {
		if m.Value >= 0 && m.Unit == "s" {
			secs = append(secs, m)
			maxValue = max(maxValue, m.Value)
		} else {
			listed = append(listed, m)
		}
	}
	if len(secs) == 0 {
		return nil, listed
	}
	c := &chart{Width: width, Height: row*len(secs) + 8, LabelWidth: labelWidth}
	for i, m := range secs {
		w := 0
		if maxValue > 0 {
			w = int(m.Value / maxValue * float64(width-labelWidth-70))
		}
		label := m.Scenario + ": " + m.Name
		short := label
		if r := []rune(label); len(r) > 72 {
			short = string(r[:71]) + "…"
		}
		c.Bars = append(c.Bars, bar{Y: 4 + i*row, Width: max(w, 1), TextY: 4 + i*row + 15,
			Label: label, Short: short, Value: strconv.FormatFloat(m.Value, 'f', -1, 64) + " s"})
	}
	return c, listed
}
