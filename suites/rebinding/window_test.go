package rebinding

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// q is one logged query for the hostname, answered with the records given.
func q(qtype string, answers ...string) dns.Query {
	for i, a := range answers {
		answers[i] = "host.xbcheck.test. 0 IN " + a
	}
	return dns.Query{Name: "host.xbcheck.test.", Type: qtype, Answers: answers}
}

func TestAssessDecidesServedSkipOrBroken(t *testing.T) {
	public := q("A", "A 203.0.113.10")
	before := []dns.Query{public, q("AAAA")}
	tests := []struct {
		name      string
		log       []dns.Query
		forbidden string
		types     []string
		final     bool
		served    int
		skip      string // a piece of the skip reason; "" for none
		broken    bool
	}{
		{"served at once", append(slices.Clone(before), q("A", "A 127.0.0.1")), "127.0.0.1", []string{"A"}, false, 2, "", false},
		{"served before the rebinding does not count", []dns.Query{q("A", "A 127.0.0.1"), q("AAAA"), public}, "127.0.0.1", []string{"A"}, true, -1, "asked A for the hostname 1 time", false},
		{"served in another type does not count", append(slices.Clone(before), q("AAAA", "AAAA ::ffff:127.0.0.1")), "::ffff:127.0.0.1", []string{"A"}, false, -1, "", false},
		{"a CNAME target is served", append(slices.Clone(before), q("AAAA", "CNAME localhost.", "AAAA ::1")), "localhost.", []string{"A", "AAAA"}, false, 2, "", false},
		// A resolver with a minimum TTL asks nothing for a while: not yet decided.
		{"not asked yet", slices.Clone(before), "127.0.0.1", []string{"A"}, false, -1, "", false},
		{"not asked again within DNSRefresh", slices.Clone(before), "127.0.0.1", []string{"A"}, true, -1, "did not ask DNS for the hostname again within DNSRefresh", false},
		// An IPv4-only resolver: only A, before and after the rebinding.
		{"IPv4 only, seen early", []dns.Query{public, public, q("A"), q("A"), q("A")}, "::ffff:127.0.0.1", []string{"AAAA"}, false, -1, "never asks AAAA", false},
		{"IPv4 only, not yet sure", []dns.Query{public, public, q("A"), q("A")}, "::ffff:127.0.0.1", []string{"AAAA"}, false, -1, "", false},
		// A resolver that asks AAAA only when A is empty is no IPv4-only one.
		{"AAAA when A is empty", []dns.Query{public, public, q("A"), q("AAAA", "AAAA ::ffff:127.0.0.1")}, "::ffff:127.0.0.1", []string{"AAAA"}, false, 3, "", false},
		{"asked, never served: the harness failed", append(slices.Clone(before), public, public), "127.0.0.1", []string{"A"}, true, -1, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := assess(tt.log, 2, tt.forbidden, tt.types, tt.final)
			if p.served != tt.served {
				t.Errorf("served %d, want %d", p.served, tt.served)
			}
			if (tt.skip == "") != (p.skip == "") || !strings.Contains(p.skip, tt.skip) {
				t.Errorf("skip %q, want one containing %q", p.skip, tt.skip)
			}
			if (p.broken != "") != tt.broken {
				t.Errorf("broken %q, want broken=%v", p.broken, tt.broken)
			}
		})
	}
}

func TestAgainNeedsALaterQueryOfTheSameType(t *testing.T) {
	log := []dns.Query{q("A", "A 127.0.0.1"), q("AAAA")}
	if again(log, 0) {
		t.Error("the AAAA query of the same lookup counted as asking A again")
	}
	if !again(append(log, q("A")), 0) {
		t.Error("a later A query did not count")
	}
	if again(log, -1) || again(log, 5) {
		t.Error("an index outside the log counted")
	}
}

func TestRangeEdges(t *testing.T) {
	for prefix, want := range map[string][2]string{
		"10.0.0.0/8":     {"10.0.0.1", "10.255.255.254"},
		"172.16.0.0/12":  {"172.16.0.1", "172.31.255.254"},
		"100.64.0.0/10":  {"100.64.0.1", "100.127.255.254"},
		"169.254.0.0/16": {"169.254.0.1", "169.254.255.254"},
		"fc00::/7":       {"fc00::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"},
	} {
		first, last := rangeEdges(netip.MustParsePrefix(prefix))
		if first.String() != want[0] || last.String() != want[1] {
			t.Errorf("rangeEdges(%s) = %s, %s; want %s, %s", prefix, first, last, want[0], want[1])
		}
	}
}

// Every canary of a sandbox-only case is an address the sandbox's plan puts
// on its lo, and every other case's canaries are on loopback: a spec never
// fails for want of an address.
func TestCanariesAreInTheNetworkPlan(t *testing.T) {
	inSandbox := harness.Network{Sandboxed: true, Loopback: sandbox.Harness, Metadata: []netip.Addr{sandbox.MetadataV4, sandbox.MetadataV6}, Pod: sandbox.PodCanary}
	outside := harness.Network{Loopback: netip.MustParseAddr("127.0.0.1")}
	plan := slices.Concat([]netip.Addr{sandbox.MetadataV4, sandbox.MetadataV6, sandbox.PodCanary}, sandbox.Embedded, sandbox.RangeEdges)
	for _, test := range rebindScenarios() {
		c := byName(t, test.ShortName)
		for _, a := range c.targets(attackEnv{n: inSandbox, namespace: "ns"}) {
			if !a.IsValid() && c.absent != "" { // in-cluster only: the spec skips with absent
				continue
			}
			if !a.IsLoopback() && !slices.Contains(plan, a) {
				t.Errorf("%s: canary at %s, which the sandbox's plan does not carry", test.ShortName, a)
			}
		}
		if c.sandbox != "" {
			continue
		}
		for _, a := range c.targets(attackEnv{n: outside, namespace: "ns"}) {
			if a.IsValid() && !a.IsLoopback() { // an invalid target skips the spec
				t.Errorf("%s runs outside the sandbox with a canary at %s, which is not loopback", test.ShortName, a)
			}
		}
	}
}

// rebindCases are the rebinding attacks of every group.
func rebindCases() []rebind {
	var out []rebind
	for _, g := range rebindGroups() {
		out = append(out, g.rs...)
	}
	return out
}

// byName finds the case a rebinding spec plays.
func byName(t *testing.T, shortName string) rebindCase {
	t.Helper()
	for _, r := range rebindCases() {
		if r.shortName == shortName {
			return r.c
		}
	}
	t.Fatalf("no rebinding case %s", shortName)
	return rebindCase{}
}

// Every case serves its forbidden answer in at least one query type, and
// a CNAME case answers the name it leads to.
func TestEveryCaseServesItsForbiddenAnswer(t *testing.T) {
	n := harness.Network{Sandboxed: true, Loopback: sandbox.Harness, Metadata: []netip.Addr{sandbox.MetadataV4, sandbox.MetadataV6}, Pod: sandbox.PodCanary,
		Service: netip.MustParseAddr("10.96.7.7"), Node: netip.MustParseAddr("10.88.0.1")}
	e := attackEnv{n: n, namespace: "ns", public: netip.MustParseAddr("203.0.113.10")}
	for _, r := range rebindCases() {
		a, aaaa := r.c.attack(e)
		if len(servedIn(r.c.forbidden(e), a, aaaa)) == 0 {
			t.Errorf("%s: no program serves %s", r.shortName, r.c.forbidden(e))
		}
		if r.c.chased != nil {
			for _, ch := range r.c.chased(e) {
				if ch.name != r.c.forbidden(e) {
					t.Errorf("%s: chases %s, but the CNAME leads to %s", r.shortName, ch.name, r.c.forbidden(e))
				}
			}
		}
	}
}
