package mutate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xbcheck/xbcheck/internal/mutant/active"
	"github.com/xbcheck/xbcheck/internal/report"
	"github.com/xbcheck/xbcheck/internal/sandbox"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/reference/faults"
)

func result(name string, level verdict.Level, outcome verdict.Outcome) verdict.Result {
	return verdict.Result{Scenario: verdict.Scenario{ShortName: name, Level: level, Feature: verdict.FeatureResourceBackend}, Outcome: outcome}
}

func runOf(results ...verdict.Result) report.Run {
	return report.Run{Run: verdict.Run{Results: results}}
}

func TestKillersAreFailedMustAndShouldSpecs(t *testing.T) {
	run := runOf(
		result("PassesMust", verdict.Must, verdict.Passed),
		result("FailsMust", verdict.Must, verdict.Failed),
		result("FailsObserve", verdict.Observe, verdict.Failed),
		result("SkippedShould", verdict.Should, verdict.Skipped),
		result("FailsShould", verdict.Should, verdict.Failed),
	)
	got := names(killers(run))
	want := []string{"FailsMust", "FailsShould"}
	if !slices.Equal(got, want) {
		t.Errorf("killers = %v, want %v", got, want)
	}
	if k := killers(runOf(run.Results[:1]...)); len(k) != 0 {
		t.Errorf("a passing run has killers %v", k)
	}
}

func TestChildArgs(t *testing.T) {
	base := Child{Kubeconfig: "/k/config", ReportDir: "/w/baseline"}
	want := []string{"run", "--kubeconfig", "/k/config", "--fakes", "local", "--controller-name", "xbcheck.dev/mutant-baseline",
		"--label-filter", "MUST || SHOULD", "--fail-fast=MUST", "--parallel", "1", "--report-output", "/w/baseline"}
	if got := base.Args(); !slices.Equal(got, want) {
		t.Errorf("baseline args\n got %q\nwant %q", got, want)
	}
	m := base
	m.Fault, m.Slot = faults.NoSNI, sandbox.Slot{Index: 1, Of: 2}
	got := m.Args()
	if !slices.Equal(got[len(got)-4:], []string{"--slot", "1/2", "--faults", "no-sni"}) {
		t.Errorf("mutant args %q must end with --slot 1/2 --faults no-sni", got)
	}
	if i := slices.Index(got, "--controller-name"); got[i+1] != "xbcheck.dev/mutant-no-sni" {
		t.Errorf("mutant controller name %q, want xbcheck.dev/mutant-no-sni", got[i+1])
	}
	names := map[string]bool{}
	for _, info := range faults.All() {
		names[Child{Fault: info.Name}.ControllerName()] = true
	}
	if len(names) != len(faults.All()) || names[base.ControllerName()] {
		t.Errorf("controller names must differ per fault and from the baseline's: %v", names)
	}
}

func TestSelect(t *testing.T) {
	all, err := Select("")
	bugs := slices.DeleteFunc(faults.All(), func(i faults.Info) bool { return faults.Choice(i.Name) })
	if err != nil || len(all) != len(bugs) || len(bugs) == len(faults.All()) {
		t.Fatalf("Select(\"\") = %d faults, %v; want every fault but the choices: %d of %d", len(all), err, len(bugs), len(faults.All()))
	}
	if chosen, err := Select(string(faults.NoGatewayAddress)); err != nil || len(chosen) != 1 {
		t.Errorf("Select of a choice by name: %v, %v; want it", chosen, err)
	}
	some, err := Select("no-sni,skip-san-check")
	if err != nil || len(some) != 2 || some[0].Name != faults.SkipSANCheck || some[1].Name != faults.NoSNI {
		t.Errorf("Select kept %v, %v; want skip-san-check then no-sni in the order of faults.All", some, err)
	}
	if _, err := Select("no-such-fault"); err == nil {
		t.Error("Select accepted an unknown fault")
	}
}

func sampleReport() Report {
	all := faults.All()
	return Report{Baseline: Outcome{Duration: 115 * time.Second}, Duration: 318 * time.Second, Mutants: []Outcome{
		{Fault: all[0], Duration: 20 * time.Second, Killers: []verdict.Scenario{
			{ShortName: "TLSSANHostnameMismatch", Level: verdict.Should}, {ShortName: "TLSSANURIMismatch", Level: verdict.Must}}},
		{Fault: all[1], Duration: 35 * time.Second, HarnessErrors: []string{"BeforeSuite: boom"}},
		{Fault: all[2], Duration: 10 * time.Second},
		{Fault: all[3], Duration: 12 * time.Second, Killers: []verdict.Scenario{{ShortName: "RebindLoopback", Level: verdict.Should}}},
	}}
}

func TestTableEndsWithTheCounts(t *testing.T) {
	var b bytes.Buffer
	sampleReport().WriteTable(&b)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if last := lines[len(lines)-1]; last != "mutants: 2 killed (1 by a MUST scenario, 1 only by a SHOULD scenario), 2 survived" {
		t.Errorf("last line %q, want the counts alone", last)
	}
	out := b.String()
	all := faults.All()
	for _, want := range []string{
		string(all[0].Name), all[0].Description, "MUST: TLSSANHostnameMismatch, TLSSANURIMismatch", "SHOULD: RebindLoopback",
		"SURVIVED (" + verdict.HarnessErrorf("BeforeSuite: boom").Error() + ")",
		fmt.Sprintf("baseline: 1m55s; total wall time: 5m18s; slowest mutant: %s (35s)", all[1].Name),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "SURVIVED") != 2 {
		t.Errorf("table must mark the two surviving mutants SURVIVED:\n%s", out)
	}
}

func TestMarkdownMatrix(t *testing.T) {
	var b bytes.Buffer
	sampleReport().WriteMarkdown(&b)
	out := b.String()
	all := faults.All()
	for _, want := range []string{
		"| fault | bug it imitates | killed at | killed by |",
		fmt.Sprintf("| `%s` | %s | MUST | `TLSSANHostnameMismatch`, `TLSSANURIMismatch` |", all[0].Name, all[0].Description),
		fmt.Sprintf("| `%s` | %s | **SURVIVED** |  |", all[2].Name, all[2].Description),
		fmt.Sprintf("| `%s` | %s | SHOULD only | `RebindLoopback` |", all[3].Name, all[3].Description),
		// The document says how long the run that generated it took.
		fmt.Sprintf("\n\nbaseline: 1m55s; total wall time: 5m18s; slowest mutant: %s (35s)\n\n", all[1].Name),
		"mutants: 2 killed (1 by a MUST scenario, 1 only by a SHOULD scenario), 2 survived",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

func TestReplaceSection(t *testing.T) {
	doc := "# Title\n\n" + StartMarker + "\nold table\n" + EndMarker + "\n\nafter\n"
	got, ok := ReplaceSection(doc, "| new |\n")
	want := "# Title\n\n" + StartMarker + "\n| new |\n" + EndMarker + "\n\nafter\n"
	if !ok || got != want {
		t.Errorf("ReplaceSection = %q, %v; want %q", got, ok, want)
	}
	again, _ := ReplaceSection(got, "| new |\n")
	if again != got {
		t.Errorf("regenerating the same matrix changed the document: %q", again)
	}
	for _, bad := range []string{"no markers", EndMarker + " " + StartMarker, StartMarker + " only"} {
		if out, ok := ReplaceSection(bad, "x"); ok || out != bad {
			t.Errorf("ReplaceSection(%q) = %q, %v; want it unchanged and false", bad, out, ok)
		}
	}
}

func TestWriteMarkdownFile(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "matrix.md")
	if err := WriteMarkdownFile(fresh, sampleReport()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(fresh); !strings.HasPrefix(string(b), "| fault |") {
		t.Errorf("a new file must be the matrix alone, got %q", b)
	}
	doc := filepath.Join(dir, "kill-matrix.md")
	os.WriteFile(doc, []byte("intro\n"+StartMarker+"\n"+EndMarker+"\n"), 0o644)
	if err := WriteMarkdownFile(doc, sampleReport()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(doc); !strings.HasPrefix(string(b), "intro\n"+StartMarker+"\n| fault |") || !strings.HasSuffix(string(b), "survived\n"+EndMarker+"\n") {
		t.Errorf("the document's section not regenerated in place:\n%s", b)
	}
	plain := filepath.Join(dir, "notes.md")
	os.WriteFile(plain, []byte("keep me\n"), 0o644)
	err := WriteMarkdownFile(plain, sampleReport())
	if b, _ := os.ReadFile(plain); err == nil || string(b) != "keep me\n" || !strings.Contains(err.Error(), StartMarker) {
		t.Errorf("a file without markers must be left alone with an error naming them; err %v, content %q", err, b)
	}
}

// killMatrixDoc is where `make kill-matrix` writes the matrix.
var killMatrixDoc = filepath.Join("..", "..", "docs", "kill-matrix.md")

// The generated matrix in docs/ has a row for every fault mutate runs, in
// its order, and its counts add up to them: a fault added, renamed or
// removed without `make kill-matrix` fails here.
func TestKillMatrixDocListsEveryFault(t *testing.T) {
	b, err := os.ReadFile(killMatrixDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), StartMarker)
	section, _, ok2 := strings.Cut(section, EndMarker)
	if !ok || !ok2 {
		t.Fatalf("%s has no %s ... %s section", killMatrixDoc, StartMarker, EndMarker)
	}
	var rows []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|").FindAllStringSubmatch(section, -1) {
		rows = append(rows, m[1])
	}
	all, err := Select("")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range all {
		want = append(want, string(f.Name))
	}
	if !slices.Equal(rows, want) {
		t.Errorf("%s lists the faults\n%v\nbut mutate runs\n%v\n(make kill-matrix regenerates it)", killMatrixDoc, rows, want)
	}
	counts := regexp.MustCompile(`(?m)^mutants: (\d+) killed \(\d+ by a MUST scenario, \d+ only by a SHOULD scenario\), (\d+) survived$`).FindStringSubmatch(section)
	if counts == nil {
		t.Fatalf("%s's matrix does not end with the counts line", killMatrixDoc)
	}
	if killed, survived := atoi(t, counts[1]), atoi(t, counts[2]); killed+survived != len(want) {
		t.Errorf("%s counts %d killed and %d survived, of %d faults", killMatrixDoc, killed, survived, len(want))
	}
	if !strings.Contains(section, "baseline: ") {
		t.Errorf("%s's matrix does not say how long the run that made it took", killMatrixDoc)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// fakeChildren plays `xbcheck run`: it writes a summary in which the
// specs named in fail[fault] fail, and records what ran at once.
type fakeChildren struct {
	fail map[string][]string
	// noSummary are faults whose child crashes before writing one.
	noSummary map[string]bool

	mu      sync.Mutex
	running map[string]string // slot -> fault
	active  int
	overlap []string
	started []string
	// together, when set, is closed once two mutants run at once: every
	// mutant waits for it, so a parallel run must overlap.
	together chan struct{}
}

func flagValue(args []string, name string) string {
	if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

func (f *fakeChildren) launch(ctx context.Context, args, env []string, log io.Writer) error {
	fault, slot := flagValue(args, "--faults"), flagValue(args, "--slot")
	for _, e := range env {
		if id, ok := strings.CutPrefix(e, active.Env+"="); ok {
			fault = "mutant " + id
		}
	}
	f.mu.Lock()
	if other, busy := f.running[slot]; busy {
		f.overlap = append(f.overlap, fmt.Sprintf("%s and %s in slot %q", other, fault, slot))
	}
	f.running[slot] = fault
	f.active++
	f.started = append(f.started, fault)
	if f.active == 2 && f.together != nil {
		close(f.together)
		f.together = nil
	}
	together := f.together
	f.mu.Unlock()
	if together != nil && fault != "" {
		select {
		case <-together:
		case <-time.After(time.Minute):
			return errors.New("no second mutant ran alongside this one")
		}
	}
	defer func() {
		f.mu.Lock()
		delete(f.running, slot)
		f.active--
		f.mu.Unlock()
	}()
	fmt.Fprintln(log, "fake run", args)
	if f.noSummary[fault] {
		return errors.New("exit status 2")
	}
	run := runOf(result("Always", verdict.Must, verdict.Passed))
	for _, name := range f.fail[fault] {
		run.Results = append(run.Results, result(name, verdict.Should, verdict.Failed))
	}
	b, err := json.Marshal(run)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(flagValue(args, "--report-output"), report.SummaryFile), b, 0o644); err != nil {
		return err
	}
	if len(f.fail[fault]) > 0 {
		return errors.New("exit status 1")
	}
	return nil
}

func TestRunKillsAndSurvives(t *testing.T) {
	f := &fakeChildren{
		fail:      map[string][]string{"no-sni": {"TLSSendsSNI"}, "wrong-sni": {"TLSSendsSNI", "TLSSNIFromValidation"}},
		noSummary: map[string]bool{"follow-rebind": true},
		running:   map[string]string{},
		together:  make(chan struct{}),
	}
	infos, _ := Select("no-sni,wrong-sni,follow-rebind,skip-chain-check")
	var progress bytes.Buffer
	r, err := Run(context.Background(), Options{
		Kubeconfig: "/k", Faults: infos, Parallel: 2, Launch: f.launch, WorkDir: t.TempDir(), Progress: &progress,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(f.overlap) > 0 {
		t.Errorf("runs shared a slot at once: %v", f.overlap)
	}
	if f.started[0] != "" {
		t.Errorf("the first run was %q, want the baseline", f.started[0])
	}
	got := map[faults.Fault]string{}
	for _, m := range r.Mutants {
		got[m.Fault.Name] = m.verdict()
	}
	if got[faults.NoSNI] != "SHOULD: TLSSendsSNI" || got[faults.WrongSNI] != "SHOULD: TLSSendsSNI, TLSSNIFromValidation" ||
		got[faults.SkipChainCheck] != "SURVIVED" || !strings.HasPrefix(got[faults.FollowRebind], "SURVIVED (run broke: exit status 2") {
		t.Errorf("verdicts %v", got)
	}
	if must, should, survived := r.Counts(); must != 0 || should != 2 || survived != 2 {
		t.Errorf("Counts = %d by MUST, %d by SHOULD only, %d survived; want 0, 2, 2", must, should, survived)
	}
	if r.Mutants[0].Fault.Name != faults.SkipChainCheck {
		t.Errorf("mutants out of the order given: first is %s", r.Mutants[0].Fault.Name)
	}
}

func TestRunStopsWhenTheBaselineFails(t *testing.T) {
	f := &fakeChildren{fail: map[string][]string{"": {"RoutingPlainHTTP"}}, running: map[string]string{}}
	infos, _ := Select("")
	_, err := Run(context.Background(), Options{Kubeconfig: "/k", Faults: infos, Parallel: 2, Launch: f.launch, WorkDir: t.TempDir()})
	if !errors.Is(err, ErrBaselineFails) || !strings.Contains(err.Error(), "RoutingPlainHTTP") {
		t.Errorf("Run error %v; want ErrBaselineFails naming RoutingPlainHTTP", err)
	}
	if len(f.started) != 1 {
		t.Errorf("%d runs started, want only the baseline", len(f.started))
	}
}

func TestRunStopsWhenTheControlPlaneIsLost(t *testing.T) {
	f := &fakeChildren{fail: map[string][]string{"no-sni": {"TLSSendsSNI"}}, running: map[string]string{}}
	infos, _ := Select("")
	var mu sync.Mutex
	checks := 0
	r, err := Run(context.Background(), Options{
		Kubeconfig: "/k", Faults: infos, Parallel: 1, Launch: f.launch, WorkDir: t.TempDir(),
		Alive: func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			if checks++; checks > 2 { // the baseline and one mutant, then gone
				return errors.New("connection refused")
			}
			return nil
		},
	})
	if !errors.Is(err, ErrControlPlaneLost) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Run error %v; want ErrControlPlaneLost with the cause", err)
	}
	if len(f.started) != 3 || len(r.Mutants) != len(infos) {
		t.Errorf("%d runs started after the loss was found at the third check; want 3 (baseline and two mutants)", len(f.started))
	}
}

func TestHistoryStartsAMutantWithItsLastKillers(t *testing.T) {
	h := &History{path: filepath.Join(t.TempDir(), "killers.json"), Killed: map[faults.Fault]Killers{}}
	all := faults.All()
	h.record(Report{Mutants: []Outcome{
		{Fault: all[0], Killers: []verdict.Scenario{{ShortName: "A", Level: verdict.Should}, {ShortName: "B", Level: verdict.Must}}},
		{Fault: all[1]},
		{Fault: all[2], Killers: []verdict.Scenario{{ShortName: "C", Level: verdict.Should}}},
	}})
	if got := h.first(all[0]); !slices.Equal(got, []string{"B", "A"}) {
		t.Errorf("first scenarios of %s: %v, want its killers, MUST first: B, A", all[0].Name, got)
	}
	if got := h.first(all[1]); len(got) != 0 {
		t.Errorf("a surviving fault has first scenarios %v", got)
	}
	args := Child{Fault: all[0].Name, First: h.first(all[0]), FirstKill: h.shouldOnly(all[0])}.Args()
	if i := slices.Index(args, "--first"); i < 0 || args[i+1] != "B,A" || !slices.Contains(args, "--fail-fast=MUST") {
		t.Errorf("child args %q do not start with the killers and stop at the first failed MUST scenario", args)
	}
	args = Child{Fault: all[2].Name, First: h.first(all[2]), FirstKill: h.shouldOnly(all[2])}.Args()
	if !slices.Contains(args, "--fail-fast") {
		t.Errorf("child args %q of a fault only a SHOULD scenario killed do not stop at its first kill", args)
	}
}

// A machine with no history (a CI runner) starts every mutant from the
// recorded killers; the user's history overrides them fault by fault, and
// WriteKillers writes what LoadHistory reads.
func TestHistoryStartsFromTheRecordedKillers(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	var recorded map[faults.Fault]Killers
	if err := json.Unmarshal(seed, &recorded); err != nil || len(recorded) == 0 {
		t.Fatalf("killers.json holds %d faults (%v); make kill-matrix records them", len(recorded), err)
	}
	h := LoadHistory()
	for f, k := range recorded {
		if want := append(append([]string{}, k.Must...), k.Should...); !slices.Equal(h.first(faults.Info{Name: f}), want) {
			t.Errorf("no history: %s starts with %v, want the recorded %v", f, h.first(faults.Info{Name: f}), want)
		}
	}
	all := faults.All()
	h.record(Report{Mutants: []Outcome{{Fault: all[0], Killers: []verdict.Scenario{{ShortName: "Mine", Level: verdict.Must}}}}})
	if got := LoadHistory().first(all[0]); !slices.Equal(got, []string{"Mine"}) {
		t.Errorf("after a run, %s starts with %v, want this machine's killer Mine", all[0].Name, got)
	}
	path := filepath.Join(t.TempDir(), "killers.json")
	if err := WriteKillers(path, Report{Mutants: []Outcome{{Fault: all[0], Killers: []verdict.Scenario{{ShortName: "K", Level: verdict.Should}}}, {Fault: all[1]}}}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var written map[faults.Fault]Killers
	if err := json.Unmarshal(data, &written); err != nil || len(written) != 1 || !slices.Equal(written[all[0].Name].Should, []string{"K"}) {
		t.Errorf("WriteKillers wrote %s (%v); want only the killed fault's killer, as SHOULD", data, err)
	}
}

// Mechanical mutants run without --faults: each child has its mutant's ID
// in its environment, its own folder and controllerName; the baseline has
// none.
func TestRunMechanicalMutants(t *testing.T) {
	f := &fakeChildren{fail: map[string][]string{"mutant ref/a.go:3:4:flip-comparison": {"RoutingPlainHTTP"}}, running: map[string]string{}}
	infos := []faults.Info{{Name: "ref/a.go:3:4:flip-comparison"}, {Name: "ref/a.go:5:1:remove-call"}}
	dir := t.TempDir()
	r, err := Run(context.Background(), Options{Kubeconfig: "/k", Faults: infos, Mechanical: true, Parallel: 1, Launch: f.launch, WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.started, []string{"", "mutant ref/a.go:3:4:flip-comparison", "mutant ref/a.go:5:1:remove-call"}) {
		t.Errorf("runs started %q; want the baseline, then each mutant by its environment", f.started)
	}
	if !r.Mutants[0].Killed() || r.Mutants[1].Killed() {
		t.Errorf("verdicts %s, %s; want the first killed, the second survived", r.Mutants[0].verdict(), r.Mutants[1].verdict())
	}
	c := Child{Mutant: "ref/a.go:3:4:flip-comparison"}
	if c.Name() != "ref_a.go:3:4:flip-comparison" || slices.Contains(c.Args(), "--faults") {
		t.Errorf("child %q with args %q; want its ID without slashes and no --faults", c.Name(), c.Args())
	}
	if _, err := os.Stat(filepath.Join(dir, c.Name(), "log")); err != nil {
		t.Errorf("no log in the mutant's folder: %v", err)
	}
}
