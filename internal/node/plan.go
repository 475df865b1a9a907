package node

import (
	"context"
	"io"
	"net/netip"
	"time"

	"github.com/xbcheck/xbcheck/internal/node/config"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// The node's plan. Its addresses exist only inside the sandbox: the pods'
// bridge, their veth pairs and the Services' iptables rules live in the
// sandbox's network namespace, which has no route out. They avoid the
// sandbox's own plan (internal/sandbox: 127.0.0.0/8, 192.0.2.0/24,
// 203.0.113.0/24, 169.254.169.254, 10.244.0.10), which stays on lo, so pods
// reach those addresses through the node, their gateway.
const (
	nodeName      = "xbcheck-node"
	bridgeName    = "xbnode0"
	podCIDR       = "10.88.0.0/24"
	serviceCIDR   = "10.96.0.0/16"
	clusterDNS    = "10.96.0.10"
	clusterDomain = "cluster.local"
	apiServerPort = 6443
)

// plan is the node's plan with its state under state and its pods under
// cgroup.
func plan(state, cgroup string) config.Node {
	pods := netip.MustParsePrefix(podCIDR)
	return config.Node{
		State:         state,
		Name:          nodeName,
		IP:            pods.Addr().Next(),
		Bridge:        bridgeName,
		PodCIDR:       pods,
		ServiceCIDR:   netip.MustParsePrefix(serviceCIDR),
		DNS:           netip.MustParseAddr(clusterDNS),
		ClusterDomain: clusterDomain,
		CgroupRoot:    cgroup,
	}
}

// PrivateDirs are the folders the node's daemons write to whatever they are
// told (containerd's shim sockets, the kubelet's plugin sockets and legacy
// log links, the CNI cache): inside the sandbox each is a tmpfs of its own,
// so nothing lands on the host's disk.
func PrivateDirs() []string {
	return []string{"/run/containerd", "/var/run/netns", "/var/lib/cni", "/var/lib/kubelet", "/var/log/containers", "/var/log/pods"}
}

// SandboxOptions are the options of sandbox.Run for a program that calls
// [Start]: the node variant with [PrivateDirs], stopped when ctx ends.
func SandboxOptions(ctx context.Context) sandbox.Options {
	return sandbox.Options{Node: &sandbox.NodeOptions{PrivateDirs: PrivateDirs(), Done: ctx.Done()}}
}

// Options configures [Start]. The zero value is valid.
type Options struct {
	// Assets are what [Prepare] returned; when empty, Start calls Prepare
	// itself (which finds everything cached, or fails: the sandbox has no
	// network to build with).
	Assets Assets
	// Images are imported into the runtime before Start returns.
	Images []Image
	// StubZones are DNS zones CoreDNS forwards to the given servers (for
	// example xbcheck.test to the rogue DNS); every other name outside the
	// cluster domain is refused. A server must be reachable from pods: an
	// address of the node, or of the sandbox's plan on its lo such as
	// 203.0.113.53, never 127.0.0.0/8 (the pod's own loopback).
	StubZones map[string][]netip.AddrPort
	// LogDir receives a log file per daemon; default a folder of the
	// sandbox's work folder, removed with it.
	LogDir string
	// Progress receives a line per step; nil discards them.
	Progress io.Writer
	// Timeout bounds the start; default 3 minutes.
	Timeout time.Duration
}

func (o *Options) defaults() {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Minute
	}
}
