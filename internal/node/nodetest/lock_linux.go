package nodetest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// lockFile is the host-wide lock; its name stays outside the
// xbcheck-node-* pattern a node's own folders have.
func lockFile() string { return filepath.Join(os.TempDir(), "xbcheck-nodetests.lock") }

// Share holds the host for a test that starts a node but looks only at
// its own cluster: any number share it, until the test ends.
func Share(t testing.TB) { hold(t, syscall.LOCK_SH) }

// Exclusive holds the host alone for a test that checks the whole host
// for what a node left behind, until the test ends.
func Exclusive(t testing.TB) { hold(t, syscall.LOCK_EX) }

func hold(t testing.TB, how int) {
	t.Helper()
	f, err := os.OpenFile(lockFile(), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("the node tests' lock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		t.Fatalf("the node tests' lock %s: %v", f.Name(), err)
	}
	t.Cleanup(func() { f.Close() })
}
