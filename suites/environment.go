package suites

import (
	"net/netip"
	"sync/atomic"

	"github.com/xbcheck/xbcheck/fakes/dns"
)

// Environment is what the runner set up around the implementation under
// test, shared by every spec of a run.
type Environment struct {
	// GatewayClass is the class every spec's Gateway uses.
	GatewayClass string
	// DNS is the rogue DNS server the implementation resolves with.
	DNS *dns.Server
	// Network says which addresses specs may bind fakes on.
	Network Network
	// GatewayAddress, when set, replaces the host read from a Gateway's
	// status.addresses (the implementation is reached elsewhere).
	GatewayAddress string
	// ClusterDomain is the implementation's cluster DNS domain, when known.
	ClusterDomain string
}

// Network is the address plan a run has. Inside the sandbox it is the
// DESIGN.md plan; outside, loopback only (Sandboxed false, no metadata or
// pod addresses).
type Network struct {
	Sandboxed bool
	// NoSandbox says why the run is outside the sandbox, for skip reasons.
	NoSandbox string
	// Internet is where fake upstreams live: 203.0.113.0/24 in the sandbox,
	// 127.0.1.0/24 outside.
	Internet netip.Prefix
	// Loopback is the implementation's own loopback (a rebinding target).
	Loopback netip.Addr
	// Metadata are the cloud metadata addresses; empty outside the sandbox.
	Metadata []netip.Addr
	// Pod is an in-cluster pod address; invalid outside the sandbox.
	Pod netip.Addr
}

// LoopbackNetwork is the plan outside the sandbox.
func LoopbackNetwork() Network {
	return Network{
		Internet: netip.MustParsePrefix("127.0.1.0/24"),
		Loopback: netip.MustParseAddr("127.0.0.1"),
	}
}

var nextInternetHost atomic.Uint32

// internetAddr hands out the next address of the simulated internet, so
// every upstream of a run has an address of its own.
func (n Network) internetAddr() netip.Addr {
	base := n.Internet.Masked().Addr().As4()
	i := nextInternetHost.Add(1)
	host := 1 + (i-1)%250
	base[3] += byte(host)
	return netip.AddrFrom4(base)
}
