// Package backendtls is catalog family C: TLS from the Gateway to the
// external host (tls.mode ServerOnly and ClientAndServer): which
// certificates must be trusted or refused, the SNI sent, the CA and
// client-certificate references, and failing closed. Each negative serves a
// certificate that is right in every respect but the one it names, with and
// without subjectAltNames, with one or several CA references, under a
// ConfigMap CA or the run's system CA; transitions take a served XBackend
// to refused (its CA replaced or deleted) and back. A refusal is an HTTP 5xx
// from the Gateway or one reported in status, never a TCP accept at the
// upstream. The manifests each spec applies are the YAML files beside this
// package.
package backendtls
