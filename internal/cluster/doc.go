// Package cluster provides the Kubernetes cluster xbcheck runs against,
// behind one interface, Provider: an embedded control plane (envtest:
// kube-apiserver and etcd as child processes), a real single node xbcheck
// builds and starts (node: internal/node), a kind cluster xbcheck creates
// or reuses (kind: internal/kind; its flags are ProviderOptions.Kind), or
// an existing cluster named by a kubeconfig. Each
// gets the Gateway API CRDs installed (or checks they are) and gives the
// caller a rest.Config, a kubeconfig file child processes can use, and
// the schema of the XBackend it serves. A cluster xbcheck did not create
// (a kubeconfig's, a reused kind cluster) may be changed as a whole
// (Cluster.ClusterWide) only with ProviderOptions.AllowClusterChanges.
//
//	p, err := cluster.NewProvider(cluster.ProviderOptions{Name: "node"})
//	err = p.Prepare(ctx, os.Stderr)             // with the network
//	handled, code, err := sandbox.Run(*p.Sandbox(ctx, sandbox.ModeAuto))
//	c, err := p.Start(ctx, os.Stderr)           // inside the sandbox
//	defer c.Stop()
package cluster
