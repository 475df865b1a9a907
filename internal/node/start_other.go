//go:build !linux

package node

import (
	"context"
	"fmt"
	"runtime"
)

// Start fails on this OS: a node needs Linux namespaces and cgroups.
func Start(context.Context, Options) (*Cluster, error) {
	return nil, fmt.Errorf("a node needs Linux and this is %s", runtime.GOOS)
}
