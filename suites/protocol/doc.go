// Package protocol is catalog family D: the protocol an implementation
// speaks to the upstream, as the XBackend's protocol field names it. The
// manifests each spec applies are the YAML files beside this package.
package protocol
