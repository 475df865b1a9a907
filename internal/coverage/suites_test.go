package coverage_test

import (
	"context"
	"testing"

	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/coverage"
	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/suites"
)

// Every spec's declaration is found in the suites' sources, its manifests
// render on each release, the behaviour classes it names exist, and no
// cell a spec exercises is also said to be out of every spec's reach.
func TestMapOfTheSuites(t *testing.T) {
	classes := map[dimension.Class]bool{}
	for _, d := range dimension.All() {
		classes[d.Class] = true
	}
	for _, schema := range gatewayapi.Schemas() {
		specs, quotes, err := coverage.FromSuites(suites.Families(), suites.Sources, schema)
		if err != nil {
			t.Fatalf("%s: %v", schema.Version, err)
		}
		if len(quotes) < 50 {
			t.Errorf("%s: %d quoted sentences read from package apitext, want its 50 and more", schema.Version, len(quotes))
		}
		withObjects := 0
		for _, s := range specs {
			if len(s.Objects) > 0 {
				withObjects++
			}
			for _, c := range s.Covers {
				if !classes[c] {
					t.Errorf("%s names behaviour class %q, which dimension.All does not list", s.ShortName, c)
				}
			}
		}
		if withObjects < len(specs)/2 {
			t.Errorf("%s: only %d of %d scenarios have manifests found", schema.Version, withObjects, len(specs))
		}
		ctx := context.Background()
		bundle, err := cluster.LoadCRDs(ctx, "", schema.Version)
		if err != nil {
			t.Fatal(err)
		}
		var choices []coverage.Choice
		for _, c := range faults.Choices() {
			choices = append(choices, coverage.Choice{Name: string(c.Name), Sentence: c.Sentence})
		}
		m, err := coverage.Build(ctx, coverage.Input{Bundle: bundle, Specs: specs, Quotes: quotes, NoneCan: coverage.NoneCan, Choices: choices})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range m.Rows {
			if (len(r.Specs) > 0 || len(r.Choices) > 0) && r.NoneCan != "" {
				t.Errorf("%s: cell %q is exercised by %v and said to be out of reach: %s", schema.Version, r.ID, r.Specs, r.NoneCan)
			}
		}
	}
}
