package kindtest

import (
	"os"
	"testing"
)

// Real is what a test of a real kind cluster is given: the node image
// (XBCHECK_KIND_NODE_IMAGE) and the kind Cluster configuration file
// (XBCHECK_KIND_CONFIG) to create it with; empty is kind's default.
type Real struct {
	NodeImage, ConfigFile string
}

// RequireReal skips t, saying how to run it, unless XBCHECK_KIND_REAL=1:
// a real kind cluster needs Docker or Podman able to run kind's node
// image (internal/kind/testdata/offline-node/run.sh provides both on a
// machine that reaches no registry).
func RequireReal(t testing.TB) Real {
	t.Helper()
	if os.Getenv("XBCHECK_KIND_REAL") != "1" {
		t.Skip("set XBCHECK_KIND_REAL=1 to create real kind clusters (needs Docker or Podman able to run kind's node image)")
	}
	return Real{NodeImage: os.Getenv("XBCHECK_KIND_NODE_IMAGE"), ConfigFile: os.Getenv("XBCHECK_KIND_CONFIG")}
}
