// Package binaries finds, downloads or builds the kube-apiserver and etcd
// binaries that the embedded control plane (envtest) runs ([Ensure]), and
// everything else a real single node runs ([EnsureNode]: the kubelet,
// kube-controller-manager, kube-scheduler, kube-proxy, containerd with its
// runc shim and ctr, runc, the CNI bridge, host-local and loopback
// plugins, CoreDNS, and xbcheck's own pause program).
//
// Lookup order: $KUBEBUILDER_ASSETS (control plane only), the cache, then
// the way [Options.Mode] (--binaries) says. Results are cached per
// version, OS and architecture under $XDG_CACHE_HOME/xbcheck/k8s; a cached
// binary is never fetched or built again, and the first line says so
// ("cached in ...").
//
// # Download (--binaries download, and auto first)
//
// Every binary is a pinned release, and each project publishes that
// release's binaries with checksums beside them: dl.k8s.io serves
// kube-apiserver, the kubelet, kube-controller-manager, kube-scheduler and
// kube-proxy one file each with a .sha256 file; GitHub serves etcd's
// archive (SHA256SUMS), containerd's static archive (.sha256sum), runc's
// static binary with libseccomp (runc.sha256sum), the CNI plugins' archive
// (.sha256) and CoreDNS's archive (.sha256). [Sites] holds the two base
// URLs, so tests point them at a local server. These are the files
// controller-tools' envtest archives are made of; xbcheck reads them
// directly rather than through setup-envtest's index because the index
// has no archive for every patch release and its archives carry their own
// etcd (v3.7.0 beside kube-apiserver v1.37.0), where xbcheck pins etcd
// v3.6.16: the binaries downloaded are the versions built, so nothing
// else in xbcheck can tell where they came from. The projects publish
// Linux (amd64, arm64) server binaries only; elsewhere auto builds.
//
// Before downloading, each site is probed once (a HEAD request, 3 s at
// most by default): where only the Go module proxy is reachable, auto
// falls back within that, not after a download's timeouts. A file is
// downloaded to a temporary file in the cache entry, hashed as it is
// written, compared with the published digest, and only then are its
// binaries extracted to temporary files beside their destinations and
// renamed into place; a mismatch, a 404 or a broken connection leaves
// nothing a later run would trust.
//
// # Build (--binaries build, and auto where a download failed)
//
// A throw-away wrapper module requires the upstream module at the pinned
// version (with the replace lines its own go.mod needs) and `go build`
// writes the binary, again to a temporary file renamed into place. In
// auto mode each failed download (unreachable site, refusal, 404,
// checksum mismatch) is said in one line naming the site and why, and
// that binary is built; in download mode it is the error instead.
// xbcheck's pause program has no release: it is always built, from its
// embedded source, in seconds.
//
//	set, err := binaries.Ensure(ctx, binaries.Options{Progress: os.Stderr, Mode: binaries.ModeAuto})
//	// set.Dir holds kube-apiserver and etcd; pass it to envtest.
//	node, err := binaries.EnsureNode(ctx, binaries.Options{Progress: os.Stderr})
//	kubelet := node.Path(binaries.Kubelet)
//
// Node binaries other than the Kubernetes components sit in a subfolder of
// the cache entry named after their version (containerd-v2.4.2/, ...), so
// a version bump fetches afresh; [Set.Path] and [Set.Folder] know where.
package binaries
