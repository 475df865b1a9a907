package node

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// Cluster is a running single-node cluster inside the node sandbox.
type Cluster struct {
	// Config reaches the API server as a cluster admin (system:masters).
	Config *rest.Config
	// Kubeconfig is the same as a file, for child processes. It lies in
	// the sandbox's work folder on the host's file system, but its server
	// address is only reachable inside the sandbox.
	Kubeconfig string
	// NodeName is the Node object's name; NodeIP its InternalIP, on the
	// pods' bridge, where the API server listens (port 6443).
	NodeName string
	NodeIP   netip.Addr
	// APIServer is the API server's address inside the sandbox.
	APIServer netip.AddrPort
	// PodCIDR holds the pods' addresses, ServiceCIDR the ClusterIPs.
	PodCIDR, ServiceCIDR netip.Prefix
	// DNS is the ClusterIP of CoreDNS (Service kube-system/kube-dns);
	// ClusterDomain its domain for Services.
	DNS           netip.Addr
	ClusterDomain string
	// LogDir holds a log file per daemon (etcd.log, kubelet.log, ...).
	LogDir string
	// StartTime is how long Start took, to a Ready node with CoreDNS
	// answering.
	StartTime time.Duration

	ctr    string
	socket string
	cgroup string
	stop   func() error
}

// ImportImage imports an image tarball into the node's container runtime
// (namespace k8s.io, where the kubelet looks), so pods can run it with
// imagePullPolicy Never or IfNotPresent.
func (c *Cluster) ImportImage(ctx context.Context, tarball string) error {
	return importImage(ctx, c.ctr, c.socket, tarball)
}

func importImage(ctx context.Context, ctr, socket, tarball string) error {
	out, err := exec.CommandContext(ctx, ctr, "--address", socket, "--namespace", "k8s.io", "images", "import", tarball).CombinedOutput()
	if err != nil {
		return fmt.Errorf("import image %s into the node: %w: %s", tarball, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// PeakMemory returns the most memory the sandbox (the node, its pods and
// xbcheck) has used so far, in bytes, from its cgroup.
func (c *Cluster) PeakMemory() (uint64, error) {
	for _, f := range []string{
		filepath.Join("/sys/fs/cgroup/memory", c.cgroup, "memory.max_usage_in_bytes"),
		filepath.Join("/sys/fs/cgroup", c.cgroup, "memory.peak"),
	} {
		if b, err := os.ReadFile(f); err == nil {
			return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		}
	}
	return 0, errors.New("the sandbox's cgroup has no memory accounting")
}

// Stop ends every process of the node (the daemons, container shims and
// pods: every process of the sandbox but xbcheck itself and the sandbox's
// first process), unmounts its state and removes its bridge. It is safe
// to call more than once. Whatever Stop misses ends with the sandbox.
func (c *Cluster) Stop() error {
	if c == nil || c.stop == nil {
		return nil
	}
	stop := c.stop
	c.stop = nil
	return stop()
}
