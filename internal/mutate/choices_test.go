package mutate

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/reference/faults"
)

func choiceNames(cs []faults.ChoiceInfo) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c.Name)
	}
	return out
}

func TestSelectChoices(t *testing.T) {
	all, err := SelectChoices("")
	if err != nil || len(all) != len(faults.Choices()) {
		t.Fatalf("SelectChoices(\"\") = %d, %v; want every choice (%d)", len(all), err, len(faults.Choices()))
	}
	some, err := SelectChoices("refused-504,mesh-ancestor-entry")
	if err != nil || !slices.Equal(choiceNames(some), []string{"mesh-ancestor-entry", "refused-504"}) {
		t.Errorf("SelectChoices kept %v, %v; want mesh-ancestor-entry then refused-504, in the order of faults.Choices", choiceNames(some), err)
	}
	if _, err := SelectChoices("refused-500,skip-san-check"); err == nil || !strings.Contains(err.Error(), "skip-san-check is a fault") {
		t.Errorf("SelectChoices of a fault: %v, want an error naming it", err)
	}
}

func TestPlanChoices(t *testing.T) {
	chosen, _ := SelectChoices("no-gateway-address,refused-500,refused-503,mesh-ancestor-entry,dns-min-ttl,dns-no-cache")
	plan := PlanChoices(chosen)
	var runs []string
	for _, r := range plan.Runs {
		runs = append(runs, r.Name)
	}
	want := []string{"mesh-ancestor-entry", "refused-500", "refused-503", "dns-min-ttl", "dns-no-cache", AllChoices}
	if !slices.Equal(runs, want) {
		t.Errorf("runs %v, want %v: one per choice that runs alone, then all at once", runs, want)
	}
	if got := choiceNames(plan.Runs[len(plan.Runs)-1].Choices); !slices.Equal(got, []string{"mesh-ancestor-entry", "refused-500", "dns-min-ttl"}) {
		t.Errorf("all at once runs %v, want the first choice of each group and every choice of none", got)
	}
	if got := choiceNames(plan.LeftOut); !slices.Equal(got, []string{"refused-503", "dns-no-cache"}) {
		t.Errorf("left out %v, want refused-503 and dns-no-cache", got)
	}
	if got := choiceNames(plan.NotRun); !slices.Equal(got, []string{"no-gateway-address"}) {
		t.Errorf("not run %v, want no-gateway-address, which needs --gateway-address", got)
	}
}

func TestRunChoicesReportsFalseFailures(t *testing.T) {
	chosen, _ := SelectChoices("refused-500,refused-503,mesh-ancestor-entry,no-gateway-address")
	f := &fakeChildren{
		fail:     map[string][]string{"refused-503": {"RoutingInvalidBackend"}, "mesh-ancestor-entry,refused-500": {"StatusParentPerGatewayOfTwo"}},
		running:  map[string]string{},
		together: make(chan struct{}),
	}
	var progress, table bytes.Buffer
	var args [][]string
	launch := func(ctx context.Context, a, env []string, log io.Writer) error {
		f.mu.Lock()
		args = append(args, a)
		f.mu.Unlock()
		return f.launch(ctx, a, env, log)
	}
	r, err := RunChoices(context.Background(), Options{Kubeconfig: "/k", Parallel: 2, Launch: launch, WorkDir: t.TempDir(), Progress: &progress}, PlanChoices(chosen))
	if err != nil {
		t.Fatalf("RunChoices: %v", err)
	}
	if len(f.overlap) > 0 {
		t.Errorf("runs shared a slot at once: %v", f.overlap)
	}
	if len(args) != 4 {
		t.Fatalf("%d children, want one per choice and one of all at once: %q", len(args), args)
	}
	for _, a := range args {
		if slices.ContainsFunc(a, func(s string) bool { return strings.HasPrefix(s, "--fail-fast") }) {
			t.Errorf("a run of choices stops early: %q", a)
		}
		if name := flagValue(a, "--controller-name"); !strings.HasPrefix(name, "xbcheck.dev/mutant-") || strings.Contains(name, ",") {
			t.Errorf("controller name %q, want one per run, named after it", name)
		}
	}
	if passed, failed := r.Counts(); passed != 2 || failed != 2 {
		t.Errorf("Counts = %d passed, %d failed; want 2 and 2", passed, failed)
	}
	r.WriteTable(&table)
	out := table.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if last := lines[len(lines)-1]; last != "choices: 2 passed, 2 failed" {
		t.Errorf("last line %q, want the counts", last)
	}
	for _, want := range []string{
		"FALSE FAILURE (SHOULD): RoutingInvalidBackend", "FALSE FAILURE (SHOULD): StatusParentPerGatewayOfTwo",
		"refused-503: left out of all-choices", "no-gateway-address: not run: it needs --gateway-address", "the 2 choices above at once",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
