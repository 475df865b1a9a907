package cluster

import (
	"testing"

	"github.com/xbcheck/xbcheck/internal/binaries"
)

// TestProviderBinariesMode: --binaries reaches the providers that prepare
// binaries (envtest's kube-apiserver and etcd, a node's every binary)
// through ProviderOptions.Binaries.
func TestProviderBinariesMode(t *testing.T) {
	for _, mode := range []binaries.Mode{binaries.ModeDownload, binaries.ModeBuild} {
		p, err := NewProvider(ProviderOptions{Binaries: mode})
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := p.(*envtestProvider); !ok || e.binaries != mode {
			t.Errorf("envtest with Binaries %s: %#v", mode, p)
		}
		p, err = NewProvider(ProviderOptions{Name: "node", Binaries: mode})
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := p.(*nodeProvider); !ok || n.binaries != mode {
			t.Errorf("node with Binaries %s: %#v", mode, p)
		}
	}
}
