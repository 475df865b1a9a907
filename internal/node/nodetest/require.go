package nodetest

import (
	"os"
	"testing"
)

// Require readies t to start a node. It skips t, saying why, where no node
// can start (check is node.Check, which this package cannot call: node's
// own tests use it) or under -short; in CI (CI=true, as root, after
// `xbcheck setup --provider node`) a host that cannot is a failure
// instead. Then hold (Share, or Exclusive for a test that checks the whole
// host for a node's leftovers) holds the host until t ends.
func Require(t testing.TB, check func() error, hold func(testing.TB)) {
	t.Helper()
	if err := check(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the tests that start a node: %v", err)
		}
		t.Skipf("no node here: %v", err)
	}
	if testing.Short() {
		t.Skip("-short: starts a node, which takes a minute or more")
	}
	hold(t)
}
