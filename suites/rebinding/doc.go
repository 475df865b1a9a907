// Package rebinding is catalog family E: DNS resolution and egress safety.
// The implementation resolves the XBackend's hostname through the rogue
// DNS server (dns.go); rebinding.go makes that server point the name at
// addresses the implementation must never connect to, where canaries
// listen. The manifests each spec applies are the YAML files beside this
// package.
//
// # The window a rebinding spec watches
//
// Once the implementation has reached the public upstream, the hostname is
// rebound (TTL 0) and the spec probes the Gateway on fresh connections.
// Canaries are watched, after every probe, from the rebinding until the
// implementation has been served the rebinding answer and has asked DNS
// again (the same query type) after it: by then any connection based on
// that answer, made for a probe or by a refresh in the background, has
// happened. After the answer is served the spec watches at least the Never
// window and at most DNSRefresh; the canaries are read once more at the
// very end. Waiting for the answer to be served is bounded by DNSRefresh
// too, so a resolver with a minimum TTL or a refresh timer (Envoy's default
// is every 5s) is given its time rather than treated as broken.
//
// The positive control is that the DNS log shows the rebinding answer was
// served; a case the implementation legitimately never meets is skipped
// with the reason, never reported as a harness error: an IPv4-only
// resolver never asks AAAA, so the AAAA cases do not apply to it, and an
// implementation that does not ask again within DNSRefresh never used the
// answer. A harness error remains for the harness's own failure: the
// implementation asked, but the rogue DNS did not serve the program.
//
// Where a CNAME leads out of the zone (localhost., a cluster-local Service
// name), the rogue DNS answers as the recursive resolver the implementation
// is pointed at would: with the chased name's records in the same answer,
// and for the chased name itself.
package rebinding
