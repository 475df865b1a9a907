package mutant

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func listOf(n int) List {
	l := make(List, n)
	for i := range l {
		l[i] = Mutant{ID: fmt.Sprintf("reference/a.go:%d:1:remove-call", i+1), File: "reference/a.go", Line: i + 1}
	}
	return l
}

func ids(l List) []string {
	var out []string
	for _, m := range l {
		out = append(out, m.ID)
	}
	return out
}

// A sample is reproducible from its seed, of the size asked, drawn from
// the list in its order; another seed draws another sample.
func TestSampleIsReproducible(t *testing.T) {
	l := listOf(200)
	a, b := l.Sample(60, 1), l.Sample(60, 1)
	if !slices.Equal(ids(a), ids(b)) {
		t.Error("two samples of seed 1 differ")
	}
	if len(a) != 60 {
		t.Errorf("sample of %d, want 60", len(a))
	}
	if !slices.IsSortedFunc(a, compareIDs) {
		t.Error("the sample is not in the list's order")
	}
	if slices.Equal(ids(a), ids(l.Sample(60, 2))) {
		t.Error("seeds 1 and 2 drew the same sample")
	}
	seen := map[string]bool{}
	for _, m := range a {
		if seen[m.ID] || !slices.Contains(ids(l), m.ID) {
			t.Errorf("%s drawn twice or not from the list", m.ID)
		}
		seen[m.ID] = true
	}
	if len(l.Sample(0, 1)) != 200 || len(l.Sample(500, 1)) != 200 {
		t.Error("a sample of 0, or of more than the list, is not the whole list")
	}
}

// The shards of a list are disjoint and together hold every mutant once.
func TestShardsAreDisjointAndComplete(t *testing.T) {
	l := listOf(101)
	count := map[string]int{}
	for i := 1; i <= 4; i++ {
		for _, m := range l.Shard(i, 4) {
			count[m.ID]++
		}
	}
	for _, m := range l {
		if count[m.ID] != 1 {
			t.Errorf("%s is in %d shards, want 1", m.ID, count[m.ID])
		}
	}
	if len(count) != len(l) {
		t.Errorf("the shards hold %d mutants, the list %d", len(count), len(l))
	}
}

func TestParseShard(t *testing.T) {
	if i, n, err := ParseShard("2/4"); err != nil || i != 2 || n != 4 {
		t.Errorf("ParseShard(2/4) = %d, %d, %v", i, n, err)
	}
	for _, bad := range []string{"", "2", "0/4", "5/4", "a/b", "1/0"} {
		if _, _, err := ParseShard(bad); err == nil || !strings.Contains(err.Error(), "i/n") {
			t.Errorf("ParseShard(%q) error %v; want one saying i/n", bad, err)
		}
	}
}

func TestOnlyNamesTheUnknownID(t *testing.T) {
	l := listOf(3)
	got, err := l.Only([]string{l[2].ID, l[0].ID})
	if err != nil || !slices.Equal(ids(got), []string{l[2].ID, l[0].ID}) {
		t.Errorf("Only = %v, %v", ids(got), err)
	}
	if _, err := l.Only([]string{"reference/x.go:1:1:nothing"}); err == nil || !strings.Contains(err.Error(), "reference/x.go:1:1:nothing") {
		t.Errorf("error %v; want one naming the unknown ID", err)
	}
}
