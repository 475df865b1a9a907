// Package reference is the reference Gateway API implementation xbcheck runs
// by default: controller-runtime controllers (reference/controller) and
// a net/http data plane (reference/dataplane) in one process, serving
// GatewayClasses whose controllerName is xbcheck.dev/reference-gateway.
//
//	g, err := reference.Start(ctx, reference.Options{
//		Config:    cfg,                                        // envtest's rest.Config
//		Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, // one per Gateway
//		DNSServer: "127.0.0.53:53",                           // the rogue DNS
//		Guardrail: guardrail.Policy{},                        // or Allow the loopback upstreams
//		Faults:    fs,                                        // mutation testing
//	})
//	defer g.Stop()
//	addr, _ := g.Address("ns", "gw") // also in the Gateway's status.addresses
//	token := g.AdminToken()          // served at g.AdminAddr(): a rebinding prize
//
// Start returns once the controllers' caches are in sync. Each Gateway of
// the class gets its own address from Options.Addresses and an http.Server
// on every HTTP listener port there; Stop (or the end of the context given
// to Start, then Stop) stops the controllers and closes every listener. Run
// does Start, waits for the context and stops.
package reference
