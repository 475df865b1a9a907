package dns

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// Kind names how a Program picks the Step that answers a query.
type Kind string

// The program kinds.
const (
	KindStatic     Kind = "static"      // always Steps[0]
	KindSequence   Kind = "sequence"    // Steps[0] for the first After queries, then Steps[1]
	KindRoundRobin Kind = "round-robin" // Steps in turn
	KindRandom     Kind = "random"      // a Step drawn by a generator seeded with Seed
	KindWindow     Kind = "window"      // Steps[0] until For has passed (or Until), then Steps[1]
)

// Step is one way of answering: records, a response code, and faults.
//
// Each answer is "[TTL] TYPE RDATA" in zone-file presentation, e.g. "A 203.0.113.10",
// "AAAA ::ffff:127.0.0.1" or "5 CNAME b.xbcheck.test.". The first record is owned by
// the name as asked; after a CNAME the following records are owned by its target, so
// {"CNAME b.xbcheck.test.", "A 203.0.113.10"} is a chain. After a CNAME to a name
// outside the zone, the following records are what a recursive resolver adds once it
// has chased that name ({"CNAME localhost.", "A 127.0.0.1"}): the server then answers
// as the recursive resolver the implementation is pointed at, not as the zone's
// authority (AA clear, RA set). A CNAME out of the zone with nothing after it is the
// authority's answer, which carries no glue.
type Step struct {
	Answers  []string      `json:"answers,omitempty"`
	TTL      uint32        `json:"ttl"`                // for answers that give no TTL of their own
	Rcode    int           `json:"rcode,omitempty"`    // a 4-bit response code such as mdns.RcodeServerFailure
	Delay    time.Duration `json:"delay,omitempty"`    // the reply leaves this long after the query arrived
	Drop     bool          `json:"drop,omitempty"`     // no reply at all
	Truncate bool          `json:"truncate,omitempty"` // over UDP: TC set and no records, so the client retries over TCP
}

// Program says which Step answers each query for one (name, type). It is plain data
// so that it can travel as JSON (durations as nanoseconds, instants as RFC 3339);
// build it with Static, Sequence, RoundRobin, Random, Window or WindowUntil.
// Every query counts toward After and the round-robin turn, a TCP retry after a
// truncated UDP answer included.
type Program struct {
	Kind  Kind          `json:"kind"`
	Steps []Step        `json:"steps"`
	After int           `json:"after,omitempty"` // sequence: how many queries Steps[0] answers
	Seed  int64         `json:"seed,omitempty"`  // random
	For   time.Duration `json:"for,omitempty"`   // window: how long after installation Steps[0] answers
	Until time.Time     `json:"until,omitzero"`  // window: the instant Steps[1] takes over (instead of For)
}

// Records returns a Step answering with the given records, each "[TTL] TYPE RDATA".
func Records(ttl uint32, answers ...string) Step {
	return Step{Answers: answers, TTL: ttl}
}

// ServFail returns a Step answering SERVFAIL.
func ServFail() Step { return Step{Rcode: mdns.RcodeServerFailure} }

// NXDomain returns a Step answering NXDOMAIN (with the zone's SOA).
func NXDomain() Step { return Step{Rcode: mdns.RcodeNameError} }

// Static answers every query with step.
func Static(step Step) Program {
	return Program{Kind: KindStatic, Steps: []Step{step}}
}

// Sequence answers the first n queries with first and every later one with second:
// the shape of DNS rebinding.
func Sequence(first Step, n int, second Step) Program {
	return Program{Kind: KindSequence, Steps: []Step{first, second}, After: n}
}

// RoundRobin answers with each step in turn.
func RoundRobin(steps ...Step) Program {
	return Program{Kind: KindRoundRobin, Steps: steps}
}

// Random answers with a step drawn by a generator seeded with seed, so a run repeats.
func Random(seed int64, steps ...Step) Program {
	return Program{Kind: KindRandom, Steps: steps, Seed: seed}
}

// Window answers with first for d after the program is installed, then with then.
func Window(first Step, d time.Duration, then Step) Program {
	return Program{Kind: KindWindow, Steps: []Step{first, then}, For: d}
}

// WindowUntil answers with first before t (on the server's clock), then with then.
func WindowUntil(first Step, t time.Time, then Step) Program {
	return Program{Kind: KindWindow, Steps: []Step{first, then}, Until: t}
}

// record is one parsed answer; its owner is set when it is served.
type record struct {
	rr     mdns.RR
	ownTTL bool
}

// installed is a validated Program with its counters.
type installed struct {
	program   Program
	steps     [][]record
	since     time.Time
	queries   int
	generator *rand.Rand
}

// install validates p and prepares it to serve from now on.
func install(p Program, now time.Time) (*installed, error) {
	want := map[Kind]int{KindStatic: 1, KindSequence: 2, KindWindow: 2, KindRoundRobin: -1, KindRandom: -1}
	n, ok := want[p.Kind]
	switch {
	case !ok:
		return nil, fmt.Errorf("unknown program kind %q; use static, sequence, round-robin, random or window", p.Kind)
	case n > 0 && len(p.Steps) != n:
		return nil, fmt.Errorf("a %s program takes %d step(s), got %d", p.Kind, n, len(p.Steps))
	case len(p.Steps) == 0:
		return nil, fmt.Errorf("a %s program needs at least one step", p.Kind)
	case p.Kind == KindSequence && p.After < 0:
		return nil, fmt.Errorf("a sequence program needs after >= 0, got %d", p.After)
	case p.Kind == KindWindow && (p.For > 0) == !p.Until.IsZero():
		return nil, errors.New("a window program needs exactly one of for (a positive duration) or until (an instant)")
	}
	p.Steps = slices.Clone(p.Steps) // the caller may reuse its slice
	in := &installed{program: p, since: now}
	if p.Kind == KindRandom {
		in.generator = rand.New(rand.NewPCG(uint64(p.Seed), uint64(p.Seed)))
	}
	for i, step := range p.Steps {
		records, err := parseStep(step)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", i, err)
		}
		in.steps = append(in.steps, records)
	}
	return in, nil
}

func parseStep(step Step) ([]record, error) {
	if step.Rcode < 0 || step.Rcode > 0xF {
		return nil, fmt.Errorf("rcode %d does not fit the 4-bit header field; use 0-15 (e.g. 2 for SERVFAIL)", step.Rcode)
	}
	if step.Delay < 0 {
		return nil, fmt.Errorf("delay %s is negative", step.Delay)
	}
	var records []record
	for _, answer := range step.Answers {
		r, err := parseAnswer(answer)
		if err != nil {
			return nil, err
		}
		records = append(records, r)
	}
	return records, nil
}

func parseAnswer(answer string) (record, error) {
	fields := strings.Fields(answer)
	if len(fields) < 2 {
		return record{}, fmt.Errorf("answer %q: write it as \"[TTL] TYPE RDATA\", e.g. \"A 203.0.113.10\"", answer)
	}
	r := record{}
	if _, err := strconv.ParseUint(fields[0], 10, 32); err == nil {
		r.ownTTL = true
	} else {
		fields = append([]string{"0"}, fields...)
	}
	// The owner "." is a placeholder: the name asked (or a CNAME target) replaces it.
	rr, err := mdns.NewRR(". " + fields[0] + " IN " + strings.Join(fields[1:], " "))
	if err != nil || rr == nil {
		return record{}, fmt.Errorf("answer %q is not a record: %v; write it as \"[TTL] TYPE RDATA\", e.g. \"A 203.0.113.10\"", answer, err)
	}
	if t := rr.Header().Rrtype; t == mdns.TypeOPT || t == mdns.TypeTSIG {
		return record{}, fmt.Errorf("answer %q: %s is a pseudo-record and cannot be an answer", answer, mdns.TypeToString[t])
	}
	r.rr = rr
	return r, nil
}

// next picks the step for one more query and counts it.
func (in *installed) next(now time.Time) int {
	n := in.queries
	in.queries++
	switch in.program.Kind {
	case KindSequence:
		if n < in.program.After {
			return 0
		}
		return 1
	case KindRoundRobin:
		return n % len(in.steps)
	case KindRandom:
		return in.generator.IntN(len(in.steps))
	case KindWindow:
		end := in.program.Until
		if end.IsZero() {
			end = in.since.Add(in.program.For)
		}
		if now.Before(end) {
			return 0
		}
		return 1
	}
	return 0
}

// answer builds the records of step i for the name as asked.
func (in *installed) answer(i int, qname string) []mdns.RR {
	owner := qname
	ttl := in.program.Steps[i].TTL
	var out []mdns.RR
	for _, r := range in.steps[i] {
		rr := mdns.Copy(r.rr)
		rr.Header().Name = owner
		if !r.ownTTL {
			rr.Header().Ttl = ttl
		}
		if cname, ok := rr.(*mdns.CNAME); ok {
			owner = cname.Target
		}
		out = append(out, rr)
	}
	return out
}
