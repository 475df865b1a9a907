// Package routing is catalog family B: routing to an external host, the
// route conditions of unresolvable references, and the status an
// implementation keeps on an XBackend (status.go). The manifests each spec
// applies are the YAML files beside this package.
package routing
