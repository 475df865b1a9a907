package golden

import (
	"flag"
	"os"
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
		t.Errorf("%s differs (go test -run '^%s$' -update rewrites it; review the diff if the change is meant):\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}
