package mutant

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ActivePackage is the import path of the switch every site reads.
const ActivePackage = "github.com/xbcheck/xbcheck/internal/mutant/active"

// activeName is the switch package's name in the rewritten files.
const activeName = "xbmutant"

// edit replaces text[start:end] with text (an insertion when start == end).
type edit struct {
	start, end int
	text       string
}

// apply returns text[start:end] with edits, sorted and inside it, applied.
func apply(text []byte, start, end int, edits []edit) string {
	var b strings.Builder
	pos := start
	for _, e := range edits {
		b.Write(text[pos:e.start])
		b.WriteString(e.text)
		pos = e.end
	}
	b.Write(text[pos:end])
	return b.String()
}

// site is one mutant at its place in a file: a statement it removes, or
// an expression it changes.
type site struct {
	mutant Mutant
	// start and end are the byte offsets of the statement or expression.
	start, end int
	// stmt is a statement's removal; else typ is the expression's type.
	stmt bool
	typ  string
	// mutated is the statement or expression as the mutant has it.
	mutated string
}

// group is the sites of one statement or expression, and the groups
// inside it.
type group struct {
	sites    []*site
	children []*group
}

func (g *group) start() int { return g.sites[0].start }
func (g *group) end() int   { return g.sites[0].end }
func (g *group) stmt() bool { return g.sites[0].stmt }

// nest groups sites by place and nests the groups; it returns the
// outermost ones in file order.
func nest(sites []*site) []*group {
	sorted := slices.Clone(sites)
	slices.SortStableFunc(sorted, func(a, b *site) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		if c := cmp.Compare(b.end, a.end); c != 0 {
			return c
		}
		if a.stmt != b.stmt { // a statement holds the expression it is
			if a.stmt {
				return -1
			}
			return 1
		}
		return 0
	})
	var roots []*group
	var stack []*group
	for _, s := range sorted {
		if n := len(stack); n > 0 {
			top := stack[n-1]
			if top.start() == s.start && top.end() == s.end && top.stmt() == s.stmt {
				top.sites = append(top.sites, s)
				continue
			}
		}
		for len(stack) > 0 && !(s.start >= stack[len(stack)-1].start() && s.end <= stack[len(stack)-1].end()) {
			stack = stack[:len(stack)-1]
		}
		g := &group{sites: []*site{s}}
		if len(stack) == 0 {
			roots = append(roots, g)
		} else {
			parent := stack[len(stack)-1]
			parent.children = append(parent.children, g)
		}
		stack = append(stack, g)
	}
	return roots
}

// schema rewrites text with every site behind its switch: a removed
// statement runs only while its mutant is off, an expression becomes a
// closure that returns the mutated form while its mutant is on. Lines keep
// their numbers: the import of the switch joins the package clause's line.
func schema(text []byte, packageEnd int, sites []*site) []byte {
	var b strings.Builder
	b.Write(text[:packageEnd])
	fmt.Fprintf(&b, "; import %s %q", activeName, ActivePackage)
	writeRange(&b, text, packageEnd, len(text), nest(sites))
	return []byte(b.String())
}

// writeRange writes text[start:end] with the groups in it switched.
func writeRange(b *strings.Builder, text []byte, start, end int, groups []*group) {
	pos := start
	for _, g := range groups {
		b.Write(text[pos:g.start()])
		writeGroup(b, text, g)
		pos = g.end()
	}
	b.Write(text[pos:end])
}

// writeGroup writes the switch of g's sites; the original form keeps the
// switches of the groups inside it. A mutated form has none: with its
// mutant on, every other one is off.
func writeGroup(b *strings.Builder, text []byte, g *group) {
	if g.stmt() {
		fmt.Fprintf(b, "if !%s.On(%s) { ", activeName, strconv.Quote(g.sites[0].mutant.ID))
		writeRange(b, text, g.start(), g.end(), g.children)
		b.WriteString(" }")
		return
	}
	fmt.Fprintf(b, "func() %s { ", g.sites[0].typ)
	for _, s := range g.sites {
		fmt.Fprintf(b, "if %s.On(%s) { return %s }; ", activeName, strconv.Quote(s.mutant.ID), s.mutated)
	}
	b.WriteString("return ")
	writeRange(b, text, g.start(), g.end(), g.children)
	b.WriteString(" }()")
}
