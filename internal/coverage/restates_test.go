package coverage

import (
	"context"
	"slices"
	"testing"

	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

// Every listed restatement still names a sentence and cells the CRDs
// generate: its sentence is a cell of some release, every cell it names is
// a cell of some release, and a release whose CRDs state the sentence has
// at least one refused and one held cell of its constraint.
func TestRestatementsResolve(t *testing.T) {
	ctx := context.Background()
	sentenceSeen := map[string]bool{}
	cellSeen := map[string]bool{}
	for _, schema := range gatewayapi.Schemas() {
		b, err := cluster.LoadCRDs(ctx, "", schema.Version)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Build(ctx, Input{Bundle: b})
		if err != nil {
			t.Fatal(err)
		}
		has := func(id string) bool {
			return slices.ContainsFunc(m.Rows, func(r Row) bool { return r.ID == id })
		}
		for _, r := range restatements() {
			stated := slices.ContainsFunc(m.Rows, func(row Row) bool { return row.Group == GroupSentence && row.Source == r.Sentence })
			sentenceSeen[r.Sentence] = sentenceSeen[r.Sentence] || stated
			for _, id := range append(slices.Clone(r.Refused), r.Held...) {
				cellSeen[id] = cellSeen[id] || has(id)
			}
			if stated && (!slices.ContainsFunc(r.Refused, has) || !slices.ContainsFunc(r.Held, has)) {
				t.Errorf("%s: the CRDs state %q but none of its refused cells %v or none of its held cells %v", schema.Version, r.Sentence, r.Refused, r.Held)
			}
		}
	}
	for _, r := range restatements() {
		if !sentenceSeen[r.Sentence] {
			t.Errorf("no release's CRDs state the listed sentence %q any more: update restatements()", r.Sentence)
		}
		for _, id := range append(slices.Clone(r.Refused), r.Held...) {
			if !cellSeen[id] {
				t.Errorf("no release's map has the cell %q that %q is listed with: update restatements()", id, r.Sentence)
			}
		}
	}
}

// A restated sentence takes the specs of its constraint's refusal only
// when the constraint is exercised both ways.
func TestRestatementNeedsBothDirections(t *testing.T) {
	r := restatements()[0]
	sentence := Row{Cell: Cell{ID: "spec.externalHostname: " + r.Sentence, Group: GroupSentence, Source: r.Sentence}}
	for _, tc := range []struct {
		name          string
		refused, held []string
		want          []string
	}{
		{"both", []string{"Refuses"}, []string{"Admits"}, []string{"Refuses"}},
		{"refused only", []string{"Refuses"}, nil, nil},
		{"held only", nil, []string{"Admits"}, nil},
	} {
		rows := []Row{sentence,
			{Cell: Cell{ID: r.Refused[0], Group: GroupXBackendRule}, Specs: tc.refused},
			{Cell: Cell{ID: r.Held[0], Group: GroupXBackendRule}, Specs: tc.held},
		}
		rows[0].Specs = nil
		index := map[string]int{rows[0].ID: 0, rows[1].ID: 1, rows[2].ID: 2}
		markRestatements(rows, index)
		if !slices.Equal(rows[0].Specs, tc.want) {
			t.Errorf("%s: the sentence got specs %v, want %v", tc.name, rows[0].Specs, tc.want)
		}
	}
}
