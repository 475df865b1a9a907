// Package kindtest is a fake of kind for tests: a kind.Runtime whose
// clusters are names with the images loaded into them, recording every
// call. Its kubeconfig is one the test chooses (an envtest API server's,
// so a "kind cluster" answers) or [UnreachableKubeconfig].
//
//	rt := kindtest.New("", "existing")
//	c, err := kind.Start(ctx, kind.Options{Runtime: rt})
//	// rt.Calls(), rt.Has(name), rt.Images(name)
package kindtest
