package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records failures instead of ending the
// test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	if err := os.WriteFile(path, []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for got, wantFail := range map[string]bool{"same\n": false, "other\n": true} {
		r := &recorder{TB: t}
		Check(r, path, got)
		if r.failed != wantFail {
			t.Errorf("Check(%q) failed %v, want %v", got, r.failed, wantFail)
		}
	}
	*update = true
	defer func() { *update = false }()
	Check(t, path, "new\n")
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Errorf("-update wrote %q, want the output", b)
	}
}
