package golden

import (
	"flag"
	"os"
	"strings"
	"testing"
)

// update is the -update flag of every test binary importing this package.
var update = flag.Bool("update", false, "rewrite the golden files of the tests run instead of comparing with them")

// Check fails t, showing both, when got differs from the golden file at
// path; with -update it writes got there first.
func Check(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run the test with -update to write it", err)
	}
	if got != string(want) {
		g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		i := 0
		for i < min(len(g), len(w)) && g[i] == w[i] {
			i++
		}
		t.Errorf("%s differs from what the test produced (go test -run '^%s$' -update rewrites it; review the diff if the change is meant); first difference, line %d:\n produced: %q\n file:     %q", path, t.Name(), i+1, lineAt(g, i), lineAt(w, i))
	}
}

// lineAt is lines[i], or "(end of file)".
func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end of file)"
}
