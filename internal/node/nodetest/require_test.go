package nodetest

import (
	"errors"
	"testing"
)

// A host that cannot run a node skips the test, saying why, and never
// reaches the lock.
func TestRequireSkipsWhereNoNodeStarts(t *testing.T) {
	t.Setenv("CI", "")
	held := false
	t.Run("no node", func(t *testing.T) {
		Require(t, func() error { return errors.New("not root") }, func(testing.TB) { held = true })
		t.Error("Require went on where no node can start")
	})
	if held {
		t.Error("Require held the host where no node can start")
	}
}
