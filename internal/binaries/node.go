package binaries

import (
	"context"
	_ "embed"
	"path/filepath"
	"strings"
)

// Pinned versions of what a node runs besides the control plane. Each is
// the newest release whose module Go 1.26 accepts.
const (
	ContainerdVersion = "v2.4.2"
	RuncVersion       = "v1.5.3"
	CNIPluginsVersion = "v1.10.0"
	CoreDNSVersion    = "v1.15.0"
	// PauseVersion names xbcheck's own pause program (pause/main.go); bump
	// it when that program changes, so caches build it again.
	PauseVersion = "v1"
)

// Names of the node's binaries.
const (
	Kubelet               = "kubelet"
	KubeControllerManager = "kube-controller-manager"
	KubeScheduler         = "kube-scheduler"
	KubeProxy             = "kube-proxy"
	Containerd            = "containerd"
	ContainerdShim        = "containerd-shim-runc-v2"
	Ctr                   = "ctr"
	Runc                  = "runc"
	// The CNI plugins live in a folder of their own (see [Set.Dir]),
	// which is the CNI bin_dir.
	CNIBridge    = "bridge"
	CNIHostLocal = "host-local"
	CNILoopback  = "loopback"
	CoreDNS      = "coredns"
	Pause        = "pause"
)

// NodeBinaries lists every binary [EnsureNode] provides, in build order.
func NodeBinaries() []string {
	var out []string
	for _, r := range nodeRecipes() {
		out = append(out, r.binary)
	}
	return out
}

//go:embed pause/main.go
var pauseSource []byte

// nodeRecipes builds what a node runs: the Kubernetes node components from
// the same wrapper module as kube-apiserver, the container runtime
// (containerd, its runc shim, ctr, runc), the CNI plugins the node's
// network needs, CoreDNS, and xbcheck's pause program. Binaries that go
// into container images are static (CGO_ENABLED=0). runc needs cgo (its
// nsexec is C) and libseccomp (its seccomp tag: containerd gives every pod
// sandbox the runtime's default seccomp profile, and pods ask for it).
func nodeRecipes() []recipe {
	containerd := func(binary string) recipe {
		return recipe{
			binary:  binary,
			dir:     "containerd-" + ContainerdVersion,
			module:  "github.com/containerd/containerd/v2",
			version: ContainerdVersion,
			pkg:     "github.com/containerd/containerd/v2/cmd/" + binary,
			ldflags: "-X github.com/containerd/containerd/v2/version.Version=" + ContainerdVersion,
			env:     []string{"CGO_ENABLED=0"},
		}
	}
	cni := func(binary, pkg string) recipe {
		return recipe{
			binary:  binary,
			dir:     "cni-plugins-" + CNIPluginsVersion,
			module:  "github.com/containernetworking/plugins",
			version: CNIPluginsVersion,
			pkg:     "github.com/containernetworking/plugins/plugins/" + pkg,
			env:     []string{"CGO_ENABLED=0"},
		}
	}
	return []recipe{
		containerd(Containerd),
		containerd(ContainerdShim),
		containerd(Ctr),
		{
			binary:  Runc,
			dir:     "runc-" + RuncVersion + "-seccomp",
			module:  "github.com/opencontainers/runc",
			version: RuncVersion,
			pkg:     "github.com/opencontainers/runc",
			ldflags: "-X main.version=" + strings.TrimPrefix(RuncVersion, "v"),
			tags:    "seccomp",
			env:     []string{"CGO_ENABLED=1"},
		},
		cni(CNIBridge, "main/bridge"),
		cni(CNIHostLocal, "ipam/host-local"),
		cni(CNILoopback, "main/loopback"),
		{
			binary:  CoreDNS,
			dir:     "coredns-" + CoreDNSVersion,
			module:  "github.com/coredns/coredns",
			version: CoreDNSVersion,
			pkg:     "github.com/coredns/coredns",
			env:     []string{"CGO_ENABLED=0"},
		},
		{
			binary:  Pause,
			dir:     "pause-" + PauseVersion,
			version: PauseVersion,
			pkg:     ".",
			ldflags: "-s -w",
			env:     []string{"CGO_ENABLED=0"},
			source:  pauseSource,
		},
		// Last: after kube-apiserver, most of their packages are in the Go
		// build cache.
		kubernetesRecipe(Kubelet),
		kubernetesRecipe(KubeControllerManager),
		kubernetesRecipe(KubeScheduler),
		kubernetesRecipe(KubeProxy),
	}
}

// EnsureNode returns the cache entry holding every binary of
// [NodeBinaries], downloading or building whatever it lacks as opts.Mode
// says (kube-apiserver and etcd come from [Ensure]). Binaries other than
// the Kubernetes components sit in a subfolder named after their
// version; [Set.Path] knows which.
func EnsureNode(ctx context.Context, opts Options) (Set, error) {
	if err := opts.defaults(); err != nil {
		return Set{}, err
	}
	source, err := provide(ctx, opts, "the node's binaries", nodeRecipes())
	if err != nil {
		return Set{}, err
	}
	return Set{Dir: opts.CacheEntry(), Source: source}, nil
}

// subfolder is where name sits inside a set's folder.
func subfolder(name string) string {
	for _, r := range nodeRecipes() {
		if r.binary == name {
			return r.dir
		}
	}
	return ""
}

// Folder returns the folder holding the named binary (for the CNI
// plugins: the CNI bin_dir).
func (s Set) Folder(name string) string { return filepath.Join(s.Dir, subfolder(name)) }
