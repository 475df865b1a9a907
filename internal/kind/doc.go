// Package kind gives xbcheck a kind cluster (Kubernetes in Docker or
// Podman containers) through sigs.k8s.io/kind's Go packages, with no kind
// binary: it creates one, or reuses one by name, loads images into its
// nodes, runs the install hook of the implementation under test with
// KUBECONFIG set, and deletes what it created unless told to keep it.
//
// Everything it asks of kind goes through [Runtime], a small interface
// over kind's cluster.Provider ([NewRuntime] is the real one), so the
// create, reuse, keep, delete and interrupt paths are tested against a
// fake.
//
//	rt, err := kind.NewRuntime(os.Stderr)        // docker or podman, running
//	c, err := kind.Start(ctx, kind.Options{Runtime: rt, Images: []string{tarball}, InstallCmd: "make deploy", LogDir: "_out"})
//	defer c.Stop()
//	// c.Kubeconfig, c.Config, c.Created
//
// A cluster kind.Start created is deleted by Stop, and also when ctx ends
// during the start (Ctrl-C while kind creates it leaves no container); a
// cluster it reused is never deleted.
//
// testdata/offline-node builds a kind node image with no registry and runs
// Docker in namespaces of its own, which is how the real-cluster tests
// (XBCHECK_KIND_REAL=1) ran on a machine that reaches no registry.
package kind
