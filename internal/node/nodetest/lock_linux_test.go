package nodetest

import (
	"os"
	"syscall"
	"testing"
)

// An exclusive holder keeps a sharer out and sharers keep an exclusive
// holder out, until their tests end.
func TestExclusiveKeepsOthersOut(t *testing.T) {
	t.Run("holder", func(t *testing.T) {
		Exclusive(t)
		if tryLock(t, syscall.LOCK_SH) {
			t.Fatal("a sharer got in while a test held the host alone")
		}
	})
	t.Run("sharers", func(t *testing.T) {
		Share(t)
		if !tryLock(t, syscall.LOCK_SH) {
			t.Fatal("a second sharer was kept out")
		}
		if tryLock(t, syscall.LOCK_EX) {
			t.Fatal("an exclusive holder got in beside a sharer")
		}
	})
	if !tryLock(t, syscall.LOCK_EX) {
		t.Fatal("the host is still held after the tests ended")
	}
}

// tryLock reports whether another open file description of the lock gets
// it at once, and lets go of it again.
func tryLock(t *testing.T, how int) bool {
	t.Helper()
	f, err := os.OpenFile(lockFile(), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB) == nil
}
