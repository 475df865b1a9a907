package mutant

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// List is mutants in ID order.
type List []Mutant

// Sample returns n mutants of l picked at random from seed, in l's order:
// the same l, n and seed give the same sample. n <= 0 or n >= len(l) keeps
// them all.
func (l List) Sample(n int, seed uint64) List {
	if n <= 0 || n >= len(l) {
		return slices.Clone(l)
	}
	idx := rand.New(rand.NewPCG(seed, 0)).Perm(len(l))[:n]
	slices.Sort(idx)
	out := make(List, n)
	for i, j := range idx {
		out[i] = l[j]
	}
	return out
}

// Shard returns shard i (from 1) of n of l: every n-th mutant from the
// i-th. The n shards are disjoint and together hold all of l.
func (l List) Shard(i, n int) List {
	var out List
	for j := i - 1; j < len(l); j += n {
		out = append(out, l[j])
	}
	return out
}

// ParseShard reads --shard i/n.
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, errI := strconv.Atoi(a)
	n, errN := strconv.Atoi(b)
	if !ok || errI != nil || errN != nil || n < 1 || i < 1 || i > n {
		return 0, 0, fmt.Errorf("%q is not i/n with 1 <= i <= n (e.g. 2/4, the second of four shards)", s)
	}
	return i, n, nil
}

// Only returns the mutants of l with the given IDs; an unknown ID is an
// error naming it.
func (l List) Only(ids []string) (List, error) {
	byID := map[string]Mutant{}
	for _, m := range l {
		byID[m.ID] = m
	}
	var out List
	for _, id := range ids {
		m, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("no mutant %q: IDs are file:line:col:operator, as xbcheck mutate --operators --list prints them", id)
		}
		out = append(out, m)
	}
	return out, nil
}
