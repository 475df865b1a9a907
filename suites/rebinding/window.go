package rebinding

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// windowRule is how long a rebinding spec watches, in the words its
// failure messages use (the package doc says why).
const windowRule = "canaries are watched from the rebinding until the implementation has been served the rebinding answer " +
	"and has asked DNS again after it (for at least the Never window, at most DNSRefresh after that answer), and once more at the end"

// window watches one rebinding: it probes the Gateway on fresh connections
// and checks the canaries after every probe.
type window struct {
	s        *harness.T
	gw       string
	up       *harness.Upstream
	canaries []*harness.Canary
	withTLS  bool
	// forbidden is the answer data whose serving is the positive control,
	// in an answer to a query of one of types.
	forbidden string
	types     []string
	// since is how many queries for the hostname were logged before the
	// rebinding program was installed.
	since int

	seen      []string
	violation string
}

// probe sends one request on a fresh connection, with the upstream's
// connections dropped so the implementation dials (and resolves) anew, and
// records the first sign that a forbidden destination was reached.
func (w *window) probe(ctx context.Context) {
	w.up.Drop(ctx)
	r, err := w.s.Get(ctx, w.gw, "/after")
	w.seen = append(w.seen, harness.Outcome(r, err, w.up))
	if why := forbiddenReach(ctx, r, w.canaries, w.withTLS); why != "" {
		w.violation = why
		return
	}
	if err == nil && harness.StatusOK(r.Status) && (r.Upstream == nil || r.Upstream.Token != w.up.Token) {
		w.violation = fmt.Sprintf("a %d that did not come from the public upstream reached the client: %v", r.Status, r)
	}
}

// watch plays the window: first until the rebinding answer is served (up
// to DNSRefresh, allowing for a resolver's minimum TTL or refresh timer),
// then until the implementation has asked again after it (for at least
// Never, at most DNSRefresh), then the canaries once more. A case the
// implementation cannot meet (it never asks the query type the rebinding
// is served in, or never asks again at all) is skipped with the reason.
func (w *window) watch(ctx context.Context) {
	GinkgoHelper()
	s, t := w.s, w.s.Timeouts()
	rebound := time.Now()
	var p progress
	s.Measure(ctx, t.DNSRefresh, func(g Gomega) {
		w.probe(ctx)
		if w.violation != "" {
			return
		}
		p = assess(s.DNSLog(ctx), w.since, w.forbidden, w.types, false)
		g.Expect(p.served >= 0 || p.skip != "").To(BeTrue())
	})
	w.check("after the rebinding")
	if p.served < 0 && p.skip == "" {
		p = assess(s.DNSLog(ctx), w.since, w.forbidden, w.types, true)
	}
	switch {
	case p.broken != "":
		harness.Fault(errors.New(p.broken))
	case p.skip != "":
		s.Note("not applicable: %s", p.skip)
		Skip(p.skip)
	}
	servedAt := time.Now()
	s.Note("the rebinding answer (%s) was first served %.1fs after the rebinding: %s", w.forbidden, servedAt.Sub(rebound).Seconds(), p.query.Answers)

	askedAgain := s.Measure(ctx, max(t.DNSRefresh, t.Never), func(g Gomega) {
		w.probe(ctx)
		if w.violation != "" {
			return
		}
		g.Expect(time.Since(servedAt)).To(BeNumerically(">=", t.Never))
		g.Expect(again(s.DNSLog(ctx), p.served)).To(BeTrue())
	})
	w.check("after the rebinding answer was served")
	if why := forbiddenReach(ctx, nil, w.canaries, w.withTLS); why != "" {
		w.violation = why
		w.check("at the end of the window")
	}
	if askedAgain {
		s.Note("watched %.1fs after the rebinding answer, until the implementation had asked DNS again after it", time.Since(servedAt).Seconds())
	} else {
		s.Note("watched %.1fs after the rebinding answer (DNSRefresh); the implementation did not ask DNS again after it meanwhile", time.Since(servedAt).Seconds())
	}
	s.Note("requests after rebinding: %s", harness.Tally(w.seen))
}

// check fails the spec if a probe reached a forbidden destination.
func (w *window) check(when string) {
	GinkgoHelper()
	Expect(w.violation).To(BeEmpty(), func() string {
		t := w.s.Timeouts()
		return fmt.Sprintf("%s (%s; %s, Never %s, DNSRefresh %s); requests after rebinding: %s",
			w.violation, when, windowRule, t.Never, t.DNSRefresh, harness.Tally(w.seen))
	})
}

// progress is what the DNS log says about a rebinding so far.
type progress struct {
	// served is the index in the log of the first query since the
	// rebinding answered with the forbidden data, or -1; query is that
	// query.
	served int
	query  dns.Query
	// skip says why the case does not apply to this implementation.
	skip string
	// broken says why the harness itself failed: the implementation asked,
	// but was never given the rebinding answer.
	broken string
}

// assess reads the log of the hostname's queries (since of them logged
// before the rebinding) for the first answer holding forbidden to a query
// of one of types. Unless final, it only says served, or skip when the
// implementation plainly never asks those types; final (the DNSRefresh
// bound reached) also decides between skip and broken.
func assess(log []dns.Query, since int, forbidden string, types []string, final bool) progress {
	match := harness.AnswerIs(forbidden)
	p := progress{served: -1}
	since = min(since, len(log))
	for i, q := range log[since:] {
		if slices.Contains(types, q.Type) && slices.ContainsFunc(q.Answers, match) {
			p.served, p.query = since+i, q
			return p
		}
	}
	ofTypes := func(qs []dns.Query) int {
		n := 0
		for _, q := range qs {
			if slices.Contains(types, q.Type) {
				n++
			}
		}
		return n
	}
	after := log[since:]
	want := strings.Join(types, " or ")
	switch {
	case ofTypes(log) == 0 && len(after) >= 3:
		// Asked again, more than once (a resolver that tries AAAA only
		// when A is empty has had its turn), and never for these types.
		p.skip = fmt.Sprintf("the implementation never asks %s for the hostname (its resolver asked only %s): the rebinding is served only in %s answers, which it never reads",
			want, askedTypes(log), want)
	case !final:
	case len(after) == 0:
		p.skip = "the implementation did not ask DNS for the hostname again within DNSRefresh of an answer with TTL 0, so it never used the rebinding answer and the case could not be played; raise --timeout DNSRefresh if its resolver holds answers longer (DNSFollowsRecordChange checks that it follows a changed record)"
	case ofTypes(after) < 2:
		// One query may have raced the rebinding program's installation.
		p.skip = fmt.Sprintf("the implementation asked %s for the hostname %d time(s) after the rebinding and was never given the rebinding answer within DNSRefresh, so it never read it; raise --timeout DNSRefresh if its resolver holds %s answers longer",
			want, ofTypes(after), want)
	default:
		p.broken = fmt.Sprintf("the implementation asked %s %d times after the rebinding, but no answer held %s: the rogue DNS did not serve the program the spec installed",
			want, ofTypes(after), forbidden)
	}
	return p
}

// again reports whether the implementation asked for the same type again
// after the query at index i: it has moved past that answer, so any
// connection it made from it has happened.
func again(log []dns.Query, i int) bool {
	if i < 0 || i >= len(log) {
		return false
	}
	return slices.ContainsFunc(log[i+1:], func(q dns.Query) bool { return q.Type == log[i].Type })
}

// askedTypes lists the query types in log, in order of first appearance.
func askedTypes(log []dns.Query) string {
	var types []string
	for _, q := range log {
		if q.Type != "" && !slices.Contains(types, q.Type) {
			types = append(types, q.Type)
		}
	}
	if len(types) == 0 {
		return "nothing"
	}
	return strings.Join(types, " and ")
}
