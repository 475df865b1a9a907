// Package canary listens at addresses a gateway must never reach (a metadata service,
// the gateway's own admin port, a pod address) and records every connection.
//
// A hit is recorded the moment a TCP connection is accepted, before a byte is read,
// so "never connected" can be asserted even against a client that gives up at once.
// The canary then waits briefly for the client to speak and answers in kind, always
// with its Token, so a spec can also assert that no canary bytes reached the client:
//
//   - TLS: the SNI and offered ALPN are recorded from the ClientHello, the handshake
//     completes with a certificate from a throw-away CA (unless Config.Certificate is
//     set), and the HTTP request inside (HTTP/1.x or h2) gets the token;
//   - cleartext HTTP/1.x or h2c: 200 with the token as body and in TokenHeader;
//   - anything else, or silence for FirstByteWait: the token written as raw bytes.
//
// Use:
//
//	c, err := canary.Start(ctx, canary.Config{Name: "metadata", Addrs: []string{"169.254.169.254:80"}})
//	defer c.Close()
//	// ... drive traffic ...
//	if hits := c.Hits(); len(hits) > 0 { /* the gateway reached the canary */ }
//	hit, err := c.Wait(ctx, func(h canary.Hit) bool { return h.SNI != "" })
//
// Hits are JSON-serialisable for reports.
package canary
