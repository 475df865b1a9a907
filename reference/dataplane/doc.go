// Package dataplane is the reference gateway's data plane for XBackends:
// net/http, with no Kubernetes code. Controllers translate an XBackend (and
// the ConfigMaps and Secret it refers to) into a [Backend], build its
// [Transport] once, and serve routes through a [Proxy]:
//
//	b := dataplane.Backend{Name: "ns/api", Hostname: "api.xbcheck.test", Port: 443,
//		Protocol: dataplane.ProtocolHTTP2,
//		TLS: &dataplane.TLS{Mode: dataplane.TLSModeServerOnly, CACertificates: [][]byte{caPEM}}}
//	t, err := dataplane.NewTransport(b, dataplane.Options{
//		Resolver: dataplane.DNS{Server: "127.0.0.53:53"},
//	})
//	if err != nil { ... } // Backend.Validate's reason: report Accepted=False
//	http.Handle("/", dataplane.NewProxy(t, "")) // "" keeps the externalHostname as Host
//
// Every new connection resolves the hostname again once the answer's TTL has
// expired (TTL 0: every connection), checks each address with the egress
// guardrail (reference/guardrail), and dials the vetted IP literal; the
// socket's Control hook checks the dialled address a second time. TLS is
// verified by hand in VerifyConnection so the chain is checked against the
// union of all CA refs (or the system roots) and the name against
// subjectAltNames or else the SNI hostname. Misconfigurations fail closed:
// NewTransport refuses them and a failed dial or handshake is a 502, never a
// cleartext retry.
//
// An EndpointSelector Backend has no hostname: its Endpoints (the ready
// pods' addresses, from the API server) are dialled as they are, the
// guardrail letting exactly those through; a request goes to one at random,
// or to its session's ([Session]: a cookie or header naming the endpoint),
// and gets 503 when none is ready. Protocol WSS is HTTP/1.1 over TLS, whose
// Upgrade the Proxy carries through.
//
// Options.Faults switches on the data-plane faults of reference/faults,
// each wired at the one place it breaks: the root pool, the chain and the
// name checks of VerifyConnection, SNI and ALPN in the TLS config, the
// protocol in NewTransport, the dial in the dialer. Without the
// resume-skips-verify fault no TLS session is kept across transports. [AdminHandler] is the secret the
// rebinding scenarios try to steal.
package dataplane
