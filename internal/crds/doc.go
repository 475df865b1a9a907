// Package crds locates and loads the Gateway API CustomResourceDefinitions
// that xbcheck installs: the experimental channel of the gateway-api module
// version pinned in go.mod (found through the Go module cache, never copied
// into this repository), or a folder the user names with --crds.
//
//	dir, err := crds.ModuleDir(ctx)
//	bundle, err := crds.Load(dir)
//	// bundle.CRDs go to envtest; bundle.BundleVersion and bundle.Channel to reports.
package crds
