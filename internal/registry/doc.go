// Package registry pushes xbcheck's own image to a registry the nodes of a
// cluster pull from (`--image-registry`), for clusters xbcheck cannot load
// an image into itself (any `--kubeconfig`). The image holds the running
// executable, so it runs on nodes of its own architecture only: Push is
// refused for nodes of another, with what to build instead.
//
// Credentials come from the user's keychain, as docker and crane find
// them (~/.docker/config.json, credential helpers).
//
//	ref, err := registry.Push(ctx, img.Path, "registry.example.com/ci")
//	// ref is registry.example.com/ci/xbcheck@sha256:...
package registry
