// Package kindtest is the test kit of kind clusters: a fake of kind, a
// kind.Runtime whose clusters are names with the images loaded into them,
// recording every call (its kubeconfig is one the test chooses, an envtest
// API server's so a "kind cluster" answers, or [UnreachableKubeconfig]);
// and [RequireReal], the gate of the tests that create real kind clusters.
//
//	rt := kindtest.New("", "existing")
//	c, err := kind.Start(ctx, kind.Options{Runtime: rt})
//	// rt.Calls(), rt.Has(name), rt.Images(name)
package kindtest
