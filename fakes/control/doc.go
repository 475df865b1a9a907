// Package control runs the fakes (DNS, upstreams, canaries) as one standalone process
// with an HTTP control API, and gives the harness one interface, Fakes, to use them
// whether they run in its own process or elsewhere (a pod of a cluster provider).
//
// Two implementations of Fakes return the same types (dns.Program, dns.Query,
// upstream.Event, canary.Hit) and the same errors (*NotFoundError, *InvalidError):
//
//	var f control.Fakes = &control.Local{DNS: d, Upstreams: ups, Canaries: cs, Authority: ca, Client: leaf}
//	var f control.Fakes = &control.Remote{URL: "http://127.0.0.1:41234"}
//
//	err := f.SetProgram(ctx, "rebind.xbcheck.test.", mdns.TypeA, dns.Sequence(
//		dns.Records(0, "A 203.0.113.10"), 1, dns.Records(0, "A 127.0.0.1")))
//	q, err := f.WaitDNS(ctx, func(q dns.Query) bool { return q.Step == 1 })
//	hits, err := f.CanaryHits(ctx, "admin")
//
// Local waits on the fakes' own logs; Remote polls the control API with a growing
// pause (10ms doubling up to Remote.MaxPoll).
//
// # Standalone mode
//
// Run (the `xbcheck fakes --config FILE` command) starts what a Config describes,
// prints "control-api http://HOST:PORT" as its first line, then one line per fake,
// and serves until its context ends. Start does the same without printing, for
// tests and in-process use. At start the process makes a CA (it signs every upstream
// certificate except UntrustedCA ones, and verifies the client certificates of
// ClientCertRequired upstreams) and a client certificate it signed; both are served
// by the API, so the harness can put them into a ConfigMap and a Secret. The control
// API has no authentication: it serves private keys of throw-away test certificates
// and lets anyone reprogram the DNS, so keep it on loopback or a private network.
//
// A config file, YAML or JSON; unknown fields are refused, and every field but an
// upstream's role and a canary's name and addrs has a default:
//
//	control:
//	  addr: 127.0.0.1:0           # default; port 0 picks a free one, printed at start
//	pki:
//	  caCommonName: xbcheck fakes CA
//	  clientCommonName: xbcheck gateway client
//	dns:
//	  zone: xbcheck.test.         # default
//	  addr: 127.0.0.53:53         # default 127.0.0.1:0
//	upstreams:
//	- role: api
//	  addr: 127.0.0.1:8443        # default 127.0.0.1:0
//	  hostname: api.xbcheck.test  # needed with TLS
//	  tls: Valid                  # None (default), Valid, WrongSAN, UntrustedCA, Expired, ClientCertRequired
//	  protocols: [HTTP/1.1, HTTP/2]  # and h2c; default HTTP/1.1+h2c, or HTTP/1.1+HTTP/2 with TLS
//	  uris: [spiffe://xbcheck.test/api]
//	canaries:
//	- name: admin                 # the gateway's own admin port, a rebinding target
//	  addrs: [127.0.0.2:9901]
//
// # Control API
//
// JSON in and out; a DNS program is the JSON of dns.Program (durations in
// nanoseconds). Errors are a JSON object whose "error" is one line: 404 for an
// unknown role or name, listing the names that exist in "known"; 400 for a program
// that does not decode or install, naming the field in "field" when one is at fault.
//
//	GET    /v1/summary                       Summary: every fake's addresses and token
//	GET    /v1/pki                           PKI: CA, client certificate and key, as PEM
//	GET    /v1/pki/ca.crt                    the CA alone, as PEM
//	PUT    /v1/dns/programs/{name}/{type}    install a dns.Program (type: A, AAAA, ... or a number); 204
//	DELETE /v1/dns/programs                  remove every program; 204
//	GET    /v1/dns/queries                   the DNS query log, []dns.Query
//	DELETE /v1/dns/queries                   empty it; 204
//	GET    /v1/upstreams/{role}/events       an upstream's connection log, []upstream.Event
//	DELETE /v1/upstreams/{role}/events       empty it; 204
//	GET    /v1/canaries/{name}/hits          a canary's hits, []canary.Hit
//	DELETE /v1/canaries/{name}/hits          forget them; 204
//
// For example, with curl:
//
//	curl -X PUT --data '{"kind":"static","steps":[{"answers":["A 203.0.113.10"],"ttl":30}]}' \
//		http://127.0.0.1:41234/v1/dns/programs/api.xbcheck.test./A
package control
