package runner

import (
	"context"

	"github.com/xbcheck/xbcheck/internal/cluster"
)

// StartControlPlane brings up the control plane the options ask for (the
// embedded envtest, or the cluster of opts.Kubeconfig), for a caller that
// shares it among several runs, each given its Kubeconfig (xbcheck mutate).
// The caller stops it.
func StartControlPlane(ctx context.Context, opts Options) (*cluster.Cluster, error) {
	opts.defaults()
	return startCluster(ctx, opts)
}
