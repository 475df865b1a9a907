// Package control runs the fakes (DNS, upstreams, canaries) as one standalone process
// with an HTTP control API, and gives the harness one interface, Fakes, to use them
// whether they run in its own process or elsewhere (a pod of a cluster provider).
//
// Two implementations of Fakes return the same types (dns.Program, dns.Query,
// upstream.Event, canary.Hit) and the same errors (*NotFoundError, *InvalidError):
//
//	local, err := control.NewLocal(control.LocalOptions{DNS: d, Internet: netip.MustParsePrefix("203.0.113.0/24"), Guard: sandbox.Guard})
//	defer local.Close()
//	var f control.Fakes = local
//	var f control.Fakes = &control.Remote{URL: "http://127.0.0.1:41234"}
//
// Upstreams and canaries are started and stopped while the fakes run, each spec its
// own, named after it so that specs running side by side never share one:
//
//	ca, _ := pki.NewAuthority("xbcheck TLSValid CA")
//	authority, _ := ca.PEM()
//	up, err := f.StartUpstream(ctx, control.UpstreamSpec{Role: "TLSValid", Hostname: "tlsvalid.xbcheck.test",
//		TLS: upstream.TLSValid, Authority: &authority})
//	defer f.StopUpstream(ctx, "TLSValid")
//	err = f.SetProgram(ctx, "tlsvalid.xbcheck.test.", mdns.TypeA, dns.Static(dns.Records(30, "A "+up.Addr.Addr().String())))
//	c, err := f.StartCanary(ctx, control.CanarySpec{Name: "TLSValid-metadata", Addrs: []string{"169.254.169.254:80"}})
//	defer f.StopCanary(ctx, c.Name)
//
//	q, err := f.WaitDNS(ctx, func(q dns.Query) bool { return q.Step == 1 })
//	asked, err := f.DNSLog(ctx, "tlsvalid.xbcheck.test") // only that name's queries
//	err = f.DropConnections(ctx, "TLSValid")              // the gateway must dial, and resolve, again
//	hits, err := f.CanaryHits(ctx, c.Name)
//
// Roles and canary names are unique among the running fakes; a stopped one is
// forgotten, and its name and address are free again. An UpstreamSpec without a host
// takes the next address of the simulated internet (LocalOptions.Internet), in order,
// wrapping around, skipping the network and broadcast addresses and, while a free one
// remains, the addresses running fakes hold; ":8443" does the same with a fixed port,
// "203.0.113.7:0" adds a port on a given address. Before binding an address that is
// not loopback, Local asks LocalOptions.Guard (sandbox.Guard in the harness; without
// one, only loopback is allowed): a refusal is an *InvalidError naming the field and
// the address, and nothing is bound. Fakes live until stopped or until Local.Close,
// not until the context of the call that started them ends: through a Remote that
// context is an HTTP request's.
//
// Local waits on the fakes' own logs (a wait on a fake stopped meanwhile ends with
// *NotFoundError); Remote polls the control API with a growing pause (10ms doubling
// up to Remote.MaxPoll). Both are safe for concurrent use.
//
// # Standalone mode
//
// Run (the `xbcheck fakes --config FILE` command) starts what a Config describes,
// prints "control-api http://HOST:PORT" as its first line, then one line per fake,
// and serves until its context ends. Start does the same without printing, for
// tests and in-process use. At start the process makes a CA (it signs every upstream
// certificate except UntrustedCA ones and those of specs that bring their own CA,
// and verifies the client certificates of ClientCertRequired upstreams whose spec
// names no ClientCA) and a client certificate it signed; both are served by the API,
// so the harness can put them into a ConfigMap and a Secret. The control API has no
// authentication: it serves private keys of throw-away test certificates, lets
// anyone reprogram the DNS and start listeners, so keep it on loopback or a private
// network.
//
// It also serves a readiness a harness sets, for a kubelet's readinessProbe: GET
// /v1/readiness answers 503 until PUT /v1/readiness {"ready":true} (Remote.SetReadiness),
// 200 after, and 503 again after {"ready":false}. A pod of xbcheck's image that plays
// an endpoint of an EndpointSelector XBackend is Ready exactly when the harness says.
//
// Beside the control API the process serves a probe (package probe) at POST /v1/probe:
// it sends a GET on the harness's behalf from where the process runs, so a harness
// outside a cluster probes a Gateway at a ClusterIP through a fakes pod.
//
// The fakes of the config start with the process and listen where they say. More are
// started through the API, on loopback, in internet, in an allow prefix, or on an
// address of a fake of the config; any other address is refused.
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
//	internet: 203.0.113.0/24      # where API-started upstreams without a host go; default 127.0.1.0/24
//	allow: [10.244.0.10]          # further prefixes or addresses the API may start fakes on
//	upstreams:
//	- role: api
//	  addr: 127.0.0.1:8443        # default 127.0.0.1:0; no host (":8443") is every interface
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
// nanoseconds), a spec the JSON of UpstreamSpec or CanarySpec. Errors are a JSON
// object whose "error" is one line: 404 for an unknown role or name, listing the names
// that run in "known"; 400 for a request the fakes refuse (JSON that does not decode,
// a program that does not install, a spec with a field wrong, a role or name in use,
// an address the fakes may not bind or cannot listen on), naming the field in "field"
// when one is at fault; 500 for anything else.
//
//	GET    /v1/summary                       Summary: every fake's addresses and token
//	GET    /v1/pki                           PKI: CA, client certificate and key, as PEM
//	GET    /v1/pki/ca.crt                    the CA alone, as PEM
//	PUT    /v1/dns/programs/{name}/{type}    install a dns.Program (type: A, AAAA, ... or a number; a name outside the zone is answered as a recursive resolver would); 204
//	DELETE /v1/dns/programs                  remove every program; 204
//	GET    /v1/dns/queries                   the DNS query log, []dns.Query; ?name=N (repeatable) keeps N's only
//	DELETE /v1/dns/queries                   empty it; 204
//	POST   /v1/upstreams                     start an UpstreamSpec; 201 UpstreamInfo
//	DELETE /v1/upstreams/{role}              stop it; 204
//	POST   /v1/upstreams/{role}/drop         close every connection it accepted so far; 204
//	GET    /v1/upstreams/{role}/events       an upstream's connection log, []upstream.Event
//	DELETE /v1/upstreams/{role}/events       empty it; 204
//	POST   /v1/canaries                      start a CanarySpec; 201 CanaryInfo
//	DELETE /v1/canaries/{name}               stop it; 204
//	GET    /v1/canaries/{name}/hits          a canary's hits, []canary.Hit
//	DELETE /v1/canaries/{name}/hits          forget them; 204
//
// For example, with curl:
//
//	curl -X PUT --data '{"kind":"static","steps":[{"answers":["A 203.0.113.10"],"ttl":30}]}' \
//		http://127.0.0.1:41234/v1/dns/programs/api.xbcheck.test./A
//	curl --data '{"role":"web","addr":":8080"}' http://127.0.0.1:41234/v1/upstreams
//	curl -X POST http://127.0.0.1:41234/v1/upstreams/web/drop
package control
