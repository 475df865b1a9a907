// Package cluster provides the Kubernetes control plane xbcheck runs
// against: an embedded one (envtest: kube-apiserver and etcd started as child
// processes, Gateway API CRDs installed) or an existing cluster named by a
// kubeconfig. Either way the caller gets a rest.Config and a kubeconfig file
// that child processes (an implementation under test) can use.
//
//	c, err := cluster.StartEnvtest(ctx, cluster.EnvtestOptions{Binaries: set, CRDs: bundle})
//	defer c.Stop()
package cluster
