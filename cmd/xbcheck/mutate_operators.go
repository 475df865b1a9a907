package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/xbcheck/xbcheck/internal/mutant"
	"github.com/xbcheck/xbcheck/internal/mutate"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/reference/faults"
)

// operatorFlags select the mechanical mutants of `xbcheck mutate --operators`.
type operatorFlags struct {
	on      bool
	sample  int
	seed    uint64
	shard   string
	mutants string
	list    bool
}

func (o *operatorFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&o.on, "operators", false, "run the mechanical mutants of reference/ (internal/mutant: negated and flipped conditions, shifted boundaries, removed calls, assignments and returns, changed constants, swapped branches) instead of the faults; needs xbcheck's source tree and go")
	f.IntVar(&o.sample, "sample", 0, "with --operators: run only this many mutants, picked at random from --seed (0: all)")
	f.Uint64Var(&o.seed, "seed", 1, "with --sample: the seed of the pick; the same seed picks the same mutants")
	f.StringVar(&o.shard, "shard", "", "with --operators: run only shard i of n (i/n, e.g. 2/4) of the mutants (after --sample); the n shards together run them all")
	f.StringVar(&o.mutants, "mutants", "", "with --operators: run only these comma-separated mutant IDs (file:line:col:operator)")
	f.BoolVar(&o.list, "list", false, "with --operators: print the selected mutants (ID and change) and their count, and run nothing")
}

// check rejects the operator flags given without --operators, or malformed.
func (o *operatorFlags) check(f *pflag.FlagSet, faultList string) error {
	if !o.on {
		for _, name := range []string{"sample", "seed", "shard", "mutants", "list"} {
			if f.Changed(name) {
				return runner.UsageError{Err: fmt.Errorf("--%s: give it with --operators (it selects mechanical mutants)", name)}
			}
		}
		return nil
	}
	if faultList != "" {
		return runner.UsageError{Err: fmt.Errorf("--faults and --operators: give one (faults or mechanical mutants)")}
	}
	for _, name := range []string{"markdown", "killers"} {
		if f.Changed(name) {
			return runner.UsageError{Err: fmt.Errorf("--%s and --operators: the kill matrix and the killers file are the faults'; drop --%s", name, name)}
		}
	}
	if o.sample < 0 {
		return runner.UsageError{Err: fmt.Errorf("--sample %d: give 0 (all) or more", o.sample)}
	}
	if o.shard != "" {
		if _, _, err := mutant.ParseShard(o.shard); err != nil {
			return runner.UsageError{Err: fmt.Errorf("--shard: %w", err)}
		}
	}
	return nil
}

// selected generates the mutants of the module in the current folder and
// returns those the flags select.
func (o *operatorFlags) selected(ctx context.Context) (*mutant.Set, mutant.List, string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	set, err := mutant.Generate(ctx, root)
	if err != nil {
		return nil, nil, "", err
	}
	list := set.Mutants
	if o.mutants != "" {
		if list, err = list.Only(strings.Split(o.mutants, ",")); err != nil {
			return nil, nil, "", runner.UsageError{Err: fmt.Errorf("--mutants: %w", err)}
		}
	}
	list = list.Sample(o.sample, o.seed)
	if o.shard != "" {
		i, n, _ := mutant.ParseShard(o.shard)
		list = list.Shard(i, n)
	}
	return set, list, root, nil
}

// moduleRoot is the folder of xbcheck's go.mod, found from the current one.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == "/dev/null" {
		return "", runner.UsageError{Err: fmt.Errorf("--operators mutates the reference's source: run it in xbcheck's source tree, with go on PATH (go env GOMOD: %q, %v)", gomod, err)}
	}
	return filepath.Dir(gomod), nil
}

// listMutants prints the selected mutants and their count.
func listMutants(w io.Writer, all, list mutant.List) {
	for _, m := range list {
		fmt.Fprintf(w, "%s\t%s\n", m.ID, m.Description())
	}
	fmt.Fprintf(w, "%d of %d mechanical mutants\n", len(list), len(all))
}

// buildSchemata builds the xbcheck binary holding every mutant and says
// how long it took.
func buildSchemata(ctx context.Context, w io.Writer, set *mutant.Set, root string) (string, func(), error) {
	started := time.Now()
	bin, cleanup, err := set.Build(ctx, root, "./cmd/xbcheck")
	if err != nil {
		return "", nil, err
	}
	fmt.Fprintf(w, "mutate: %d mechanical mutants in %d files, schemata built in %s\n", len(set.Mutants), len(set.Files()), time.Since(started).Round(time.Second))
	return bin, cleanup, nil
}

// asFaults names each mutant as mutate.Run takes them.
func asFaults(list mutant.List) []faults.Info {
	out := make([]faults.Info, len(list))
	for i, m := range list {
		out[i] = faults.Info{Name: faults.Fault(m.ID), Description: m.Description()}
	}
	return out
}

// mechanicalLine is the closing line of a mechanical run: the survivors
// the triage holds equivalent are counted apart, and a mutant whose run
// broke because the mutated gateway crashed (a panic or fatal error in the
// child's log; the unmutated gateway passed) counts as killed: every
// client of that gateway would see its connections fail.
func mechanicalLine(w io.Writer, r mutate.Report, triage mutant.Triage) (line string, survived int) {
	killed, equivalent := 0, 0
	for _, m := range r.Mutants {
		crash := crashed(m)
		switch {
		case m.Killed():
			killed++
		case crash != "":
			killed++
			fmt.Fprintf(w, "mutate: %s killed: the mutated gateway crashed (%s)\n", m.Fault.Name, crash)
		case triage.Equivalent(string(m.Fault.Name)):
			equivalent++
		default:
			survived++
		}
	}
	return fmt.Sprintf("mechanical mutants: %d killed, %d survived, %d equivalent", killed, survived, equivalent), survived
}

// crashed is the first panic or fatal error line of a broken run's log.
func crashed(m mutate.Outcome) string {
	if m.Err == nil || m.Log == "" {
		return ""
	}
	data, err := os.ReadFile(m.Log)
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(data)) {
		if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
