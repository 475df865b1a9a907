package roletest

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedCopy copies this test binary, as name, into a new folder every
// user may enter, for a test that runs it as an unprivileged user (who
// cannot reach the go tool's own temporary folder). The folder is removed
// when the test ends.
func SharedCopy(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "xbcheck-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}
