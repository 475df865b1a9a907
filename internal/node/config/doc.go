// Package config renders the configuration files of a single-node
// Kubernetes cluster: containerd's TOML, the CNI network, the kubelet's and
// kube-proxy's configurations, kubeconfig files and CoreDNS's Corefile.
// It only renders text from a [Node]; package node writes the files and
// starts the programs that read them.
//
//	n := config.Node{State: dir, Name: "xbcheck-node", IP: ip, ...}
//	os.WriteFile(n.Path("containerd.toml"), []byte(config.Containerd(n, bins)), 0o644)
package config
