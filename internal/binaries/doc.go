// Package binaries finds or builds the kube-apiserver and etcd binaries that
// the embedded control plane (envtest) runs ([Ensure]), and everything else
// a real single node runs ([EnsureNode]: the kubelet, kube-controller-manager,
// kube-scheduler, kube-proxy, containerd with its runc shim and ctr, runc,
// the CNI bridge, host-local and loopback plugins, CoreDNS, and xbcheck's own
// pause program).
//
// No download site is reachable from where xbcheck runs, so both binaries are
// built from the Go module proxy: a throw-away wrapper module requires the
// upstream module at a pinned version (with the replace lines its own go.mod
// needs) and `go build` writes the binary. Results are cached per version,
// OS and architecture under $XDG_CACHE_HOME/xbcheck/k8s. Lookup order:
// $KUBEBUILDER_ASSETS, the cache, a build.
//
// Builds write to a temporary file next to the cache entry and rename it
// into place only when the build succeeded, so an interrupted build never
// leaves a binary a later run would trust.
//
//	set, err := binaries.Ensure(ctx, binaries.Options{Progress: os.Stderr})
//	// set.Dir holds kube-apiserver and etcd; pass it to envtest.
//	node, err := binaries.EnsureNode(ctx, binaries.Options{Progress: os.Stderr})
//	kubelet := node.Path(binaries.Kubelet)
//
// Node binaries other than the Kubernetes components sit in a subfolder of
// the cache entry named after their version (containerd-v2.4.2/, ...), so
// a version bump builds afresh; [Set.Path] and [Set.Folder] know where.
package binaries
