package coverage

import (
	"cmp"
	"slices"
)

// Group is the part of the surface a cell belongs to.
type Group string

// The groups, in the order the map prints them.
const (
	GroupXBackendField Group = "XBackend field"
	GroupXBackendRule  Group = "XBackend CEL rule"
	GroupRouteField    Group = "HTTPRoute backendRef to an XBackend"
	GroupRouteRule     Group = "HTTPRoute CEL rule on a backendRef"
	GroupSentence      Group = "Normative sentence"
	GroupBehaviour     Group = "Behaviour dimension"
)

func groups() []Group {
	return []Group{GroupXBackendField, GroupXBackendRule, GroupRouteField, GroupRouteRule, GroupSentence, GroupBehaviour}
}

// Cell is one value class of the API surface: a field's value, a CEL
// rule's direction, a normative sentence, or a class of a behaviour the
// API implies.
type Cell struct {
	// ID names the cell; specs annotate behaviour cells with it.
	ID    string
	Group Group
	// Source is the sentence, rule or reference the cell comes from.
	Source string
}

// Row is a cell with the specs that exercise it or, where none can, why.
type Row struct {
	Cell
	// Specs are the ShortNames of the specs that exercise the cell.
	Specs []string
	// NoneCan says, with the sentence, why no spec can exercise the cell.
	NoneCan string
	// Choices are the reference gateway's choices that take the behaviour a
	// sentence leaves open (`xbcheck mutate --choices` runs the suite with
	// each).
	Choices []string
}

// Covered reports whether a spec exercises the cell, a choice takes the
// behaviour it leaves open, or a reason says why none can.
func (r Row) Covered() bool { return len(r.Specs) > 0 || len(r.Choices) > 0 || r.NoneCan != "" }

// Map is the coverage map of one Gateway API release.
type Map struct {
	// Release is the Gateway API release whose CRDs the map comes from.
	Release string
	Rows    []Row
}

// Uncovered counts the cells no spec exercises and no reason excuses.
func (m Map) Uncovered() int {
	n := 0
	for _, r := range m.Rows {
		if !r.Covered() {
			n++
		}
	}
	return n
}

// Count is the number of cells of a group, and how many are covered.
type Count struct {
	Group          Group
	Cells, Covered int
}

// Counts counts cells by group, in the order of the groups.
func (m Map) Counts() []Count {
	var out []Count
	for _, g := range groups() {
		c := Count{Group: g}
		for _, r := range m.Rows {
			if r.Group == g {
				c.Cells++
				if r.Covered() {
					c.Covered++
				}
			}
		}
		if c.Cells > 0 {
			out = append(out, c)
		}
	}
	return out
}

// sortRows orders rows by group, then ID.
func sortRows(rows []Row) {
	order := map[Group]int{}
	for i, g := range groups() {
		order[g] = i
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(order[a.Group], order[b.Group]), cmp.Compare(a.ID, b.ID))
	})
}
