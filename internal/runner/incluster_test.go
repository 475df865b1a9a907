package runner

import (
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/cluster"
)

func TestFakesGoWhereTheImplementationRuns(t *testing.T) {
	for _, c := range []struct {
		opts     Options
		provider string
		want     string
	}{
		{Options{}, "envtest", FakesLocal},
		{Options{}, "node", FakesCluster},
		{Options{}, "kind", FakesCluster},
		{Options{}, "existing", FakesCluster},
		{Options{ImplementationCmd: "gw"}, "node", FakesLocal},
		{Options{FakesURL: "http://127.0.0.1:1"}, "node", FakesLocal},
		{Options{Fakes: FakesLocal}, "node", FakesLocal},
		{Options{Fakes: FakesCluster, ImplementationCmd: "gw"}, "node", FakesCluster},
	} {
		if got := placeFakes(c.opts, &cluster.Cluster{Provider: c.provider}); got != c.want {
			t.Errorf("fakes of %+v on %s: %s, want %s", c.opts, c.provider, got, c.want)
		}
	}
}

func TestFakesInClusterNeedACluster(t *testing.T) {
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Fakes: "pod"}, `--fakes "pod"`},
		{Options{Fakes: FakesCluster}, "needs a cluster that runs pods"},
		{Options{Fakes: FakesCluster, Provider: "envtest"}, "needs a cluster that runs pods"},
		{Options{Fakes: FakesCluster, Provider: "node", FakesURL: "http://127.0.0.1:1"}, "both say where the fakes are"},
	} {
		err := c.opts.validateFakes()
		if _, usage := err.(UsageError); !usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("validate %+v: %v, want a usage error saying %q", c.opts, err, c.want)
		}
	}
	if err := (&Options{Fakes: FakesCluster, Provider: "node"}).validateFakes(); err != nil {
		t.Errorf("fakes in a node's cluster: %v", err)
	}
}
