package harness

import (
	"context"
	"fmt"
	"io/fs"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
)

// Scenario declares one scenario: its identity, the requirement it checks,
// the API sentence its level rests on, its gates, and its run function.
// Register makes it one Ginkgo spec.
type Scenario struct {
	verdict.Scenario
	// Description is the requirement, as the spec's text.
	Description string
	// Source is the API sentence the level rests on (package apitext).
	Source apitext.Sentence
	// Sandbox, when set, says why the scenario needs the network sandbox: it is
	// skipped with that reason outside it.
	Sandbox string
	// Releases, when set, limits the scenario to the XBackend schemas of some
	// Gateway API releases; on the others it is skipped, saying why.
	Releases Releases
	// Pods, when set, says why the scenario needs pods behind fake
	// upstreams whose readiness the harness sets (StartPod): played on a
	// control plane with no kubelet, real pods of xbcheck's image where
	// its fakes run in the cluster. In a cluster with nodes where they do
	// not, it is skipped with that reason.
	Pods string
	// Covers names the behaviour classes the scenario exercises that its
	// manifests cannot show (the coverage map, xbcheck coverage).
	Covers []dimension.Class
	// Run is the run function, named after what it checks; s is the
	// running scenario: its own namespace, hostname and fakes.
	Run func(ctx context.Context, s *T)
}

// Family is the scenarios of one package of suites/ and the manifests
// they apply.
type Family struct {
	// Name is the family's, e.g. "TLS": the Ginkgo container of its specs.
	Name string
	// Manifests are the YAML templates the scenarios apply (T.Apply).
	Manifests fs.FS
	Scenarios []Scenario
}

// Releases are the Gateway API releases whose XBackend a scenario checks: from
// Since (when set) up to, not including, Before (when set). Why says what
// those releases have that the others do not.
type Releases struct {
	Since, Before, Why string
}

// Release v1.7.0 changed XBackend and the HTTPRoute CRD's rules for it;
// scenarios of what it changed are limited with these.
var (
	// BackendRefPortAllowed: v1.7.0's HTTPRoute CRD refuses a port on a
	// backendRef to an XBackend.
	BackendRefPortAllowed = Releases{Before: "v1.7.0", Why: "v1.7.0's HTTPRoute CRD forbids a port on a backendRef to an XBackend"}
	// ServerOnlyWithoutValidation: v1.7.0's CRD requires tls.validation
	// whenever tls.mode is not None.
	ServerOnlyWithoutValidation = Releases{Before: "v1.7.0", Why: "v1.7.0's CRD requires tls.validation whenever tls.mode is ServerOnly or ClientAndServer"}
	// H2CWithTLSAdmitted: v1.7.0's CRD refuses protocol H2C with TLS.
	H2CWithTLSAdmitted = Releases{Before: "v1.7.0", Why: "v1.7.0's CRD refuses protocol H2C with tls.mode other than None"}
	// GRPCRefused: v1.7.0's CRD lists GRPC among the protocols.
	GRPCRefused = Releases{Before: "v1.7.0", Why: "v1.7.0's CRD admits protocol GRPC"}
	// V170 is what v1.7.0 added: spec.port.number, status.ancestors,
	// EndpointSelector, sessionPersistence, protocol WSS and new CRD rules.
	V170 = Releases{Since: "v1.7.0", Why: "its XBackend's endpointSelector, sessionPersistence, protocol WSS and CRD rules"}
)

// skip says why a scenario of these releases does not run against schema s,
// or "" when it does.
func (r Releases) skip(s gatewayapi.Schema) string {
	switch {
	case r.Since != "" && !s.AtLeast(r.Since):
		return fmt.Sprintf("needs the XBackend of Gateway API %s or later (%s); the cluster serves %s's", r.Since, r.Why, s.Version)
	case r.Before != "" && s.AtLeast(r.Before):
		return fmt.Sprintf("checks the XBackend of Gateway API releases before %s (%s); the cluster serves %s's", r.Before, r.Why, s.Version)
	}
	return ""
}

// Scenarios lists the scenarios of families, in order.
func Scenarios(families []Family) []verdict.Scenario {
	var out []verdict.Scenario
	for _, f := range families {
		for _, t := range f.Scenarios {
			out = append(out, t.Scenario)
		}
	}
	return out
}

// Select returns the scenarios of families a Ginkgo label filter selects
// (all for an empty filter). A filter that does not parse, or names a
// label no scenario carries, is an error: it would select nothing silently.
func Select(families []Family, filter string) ([]verdict.Scenario, error) {
	all := Scenarios(families)
	if filter == "" {
		return all, nil
	}
	match, err := types.ParseLabelFilter(filter)
	if err != nil {
		return nil, err
	}
	var out []verdict.Scenario
	for _, s := range all {
		if match(s.Labels()) {
			out = append(out, s)
		}
	}
	return out, nil
}

// Schedule says which specs this process runs, and in what order: all of
// them (a serial run) or its share (one worker of a parallel run).
type Schedule struct {
	// Priority orders the specs, higher first; nil keeps the declaration
	// order. Ginkgo honours it when its suite config randomizes all specs.
	Priority func(verdict.Scenario) int
	// Claim is asked as a spec starts; false leaves the spec to another
	// process: it is skipped with NotMine, which is no outcome of the run.
	// Nil runs every spec here.
	Claim func(verdict.Scenario) bool
}

// NotMine is the skip reason of a spec another process runs.
const NotMine = "xbcheck: run by another worker"

// Register declares the families' scenarios as Ginkgo specs, one container per
// family, capturing h, in the order and share sched gives this process.
//
// Gating happens here, in one place: only a scenario of an extended feature
// the user exempted is skipped (never a core or fail-closed one), and a
// scenario that needs the network sandbox is skipped outside it, each with the
// reason. Every other scenario runs; whether a failure counts is judged
// afterwards (verdict.Judge), from what the implementation claims.
func (h *Harness) Register(families []Family, sched Schedule) {
	for _, f := range families {
		Describe(f.Name, func() {
			for _, sc := range f.Scenarios {
				args := []any{Label(sc.Labels()...)}
				if sched.Priority != nil {
					args = append(args, SpecPriority(sched.Priority(sc.Scenario)))
				}
				args = append(args, func(ctx SpecContext) {
					if sched.Claim != nil && !sched.Claim(sc.Scenario) {
						Skip(NotMine)
					}
					if h.Features.Skips(sc.Scenario) {
						Skip(fmt.Sprintf("feature %s is exempted (%s)", sc.Feature, h.Features.Source))
					}
					if n := h.Env.Network; sc.Sandbox != "" && !n.Sandboxed {
						Skip(fmt.Sprintf("needs the network sandbox: %s (%s)", sc.Sandbox, n.NoSandbox))
					}
					if why := sc.Releases.skip(h.Schema); why != "" {
						Skip(why)
					}
					if sc.Pods != "" {
						if why := h.podsUnavailable(ctx); why != "" {
							Skip(fmt.Sprintf("needs pods of its own (%s): %s", sc.Pods, why))
						}
					}
					sc.Run(ctx, h.begin(ctx, f, sc))
				})
				It(sc.Description, args...)
			}
		})
	}
}

// Duplicates lists ShortNames declared more than once.
func Duplicates(families []Family) []string {
	seen := map[string]int{}
	for _, s := range Scenarios(families) {
		seen[s.ShortName]++
	}
	var out []string
	for name, n := range seen {
		if n > 1 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
