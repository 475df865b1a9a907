// Package backendtls is catalog group C: TLS from the Gateway to the
// external host (tls.mode ServerOnly and ClientAndServer): which
// certificates must be trusted or refused, the SNI sent, the CA and
// client-certificate references, and failing closed. The manifests each
// spec applies are the YAML files beside this package.
package backendtls
