package mutant

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Mutant is one mechanical mutation of the reference gateway.
type Mutant struct {
	// ID is file:line:col:operator of the original source: stable while the
	// code there does not change, so samples and triage are reproducible.
	ID       string
	Operator Operator
	File     string
	Line     int
	// Original and Mutated are the code before and after, on one line.
	Original, Mutated string
}

// Description is the change, for reports: "`a == b` → `a != b`".
func (m Mutant) Description() string {
	return fmt.Sprintf("%s: `%s` → `%s`", m.Operator, m.Original, m.Mutated)
}

// Set is every mutant of the reference and its schemata.
type Set struct {
	// Mutants are in ID order (file, then position).
	Mutants List
	// files are the rewritten sources by path from the module root.
	files map[string][]byte
}

// Generate applies every operator to the reference's sources under root,
// the module root, and writes the schemata in memory.
func Generate(ctx context.Context, root string) (*Set, error) {
	sources, err := load(ctx, root)
	if err != nil {
		return nil, err
	}
	set := &Set{files: map[string][]byte{}}
	seen := map[string]bool{}
	for _, src := range sources {
		sites := newFinder(src).find()
		if len(sites) == 0 {
			continue
		}
		for _, s := range sites {
			if seen[s.mutant.ID] {
				return nil, fmt.Errorf("two mutants with the ID %s", s.mutant.ID)
			}
			seen[s.mutant.ID] = true
			set.Mutants = append(set.Mutants, s.mutant)
		}
		packageEnd := src.pkg.Fset.Position(src.file.Name.End()).Offset
		set.files[src.rel] = schema(src.text, packageEnd, sites)
	}
	slices.SortFunc(set.Mutants, func(a, b Mutant) int { return compareIDs(a, b) })
	return set, nil
}

// compareIDs orders mutants by file, line, then ID.
func compareIDs(a, b Mutant) int {
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	return strings.Compare(a.ID, b.ID)
}

// Files are the paths, from the module root, of the rewritten sources.
func (s *Set) Files() []string {
	var out []string
	for p := range s.files {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
