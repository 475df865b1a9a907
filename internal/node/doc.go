// Package node starts a real single-node Kubernetes cluster (v1.37.2)
// inside xbcheck's network sandbox, with no Docker and no registry:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler, the
// kubelet, kube-proxy (iptables mode), containerd with runc and the CNI
// bridge plugin, and CoreDNS as the cluster DNS in a pod.
//
// Every binary is built once from the Go module proxy and cached
// (internal/binaries); the pause and CoreDNS images are one-layer OCI
// images written with go-containerregistry (internal/node/image) and
// imported into containerd, as can be any executable, xbcheck included
// ([ExecutableImage], [Cluster.ImportImage]). From Debian the node needs
// only iptables (kube-proxy runs iptables-restore; no Go module provides
// it), and building runc needs gcc, libc6-dev, libseccomp-dev and
// pkg-config (its nsexec is C; seccomp profiles go through libseccomp):
// [MissingPackages] names what is absent and `xbcheck setup --provider
// node` installs it.
//
// The node needs real root and its own network, mount and PID namespaces
// (the node variant of internal/sandbox). Its addresses (the pods'
// bridge 10.88.0.0/24 with the node at 10.88.0.1, Services in
// 10.96.0.0/16, CoreDNS at 10.96.0.10) live in that network namespace
// alone, its state in a tmpfs of that mount namespace, its processes in
// that PID namespace and its pods under the sandbox's cgroup, so the end
// of the sandbox, however it comes (Stop, Ctrl-C, a crash), leaves nothing
// in the host. The kubelet never touches the host's sysctls: those it
// wants are shadowed, in the sandbox's mount namespace only.
//
// The cluster is like a real one where it matters: x509 clients, Node and
// RBAC authorization, service-account tokens (pods reach the API server
// through the kubernetes Service at 10.96.0.1 with a serving certificate
// for its names), Service names resolved by CoreDNS, container logs
// through the API server.
//
//	assets, err := node.Prepare(ctx, os.Stderr, binaries.ModeAuto) // outside: may build for minutes, once
//	handled, code, err := sandbox.Run(node.SandboxOptions(ctx))
//	if handled { os.Exit(code) }
//	c, err := node.Start(ctx, node.Options{Assets: assets})
//	defer c.Stop()
//	// c.Config, c.Kubeconfig, c.ImportImage(ctx, tarball)
package node
