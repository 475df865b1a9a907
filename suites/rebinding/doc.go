// Package rebinding is catalog group E: DNS resolution and egress safety.
// The implementation resolves the XBackend's hostname through the rogue
// DNS server (dns.go); rebinding.go makes that server point the name at
// addresses the implementation must never connect to, where canaries
// listen. The manifests each spec applies are the YAML files beside this
// package.
package rebinding
