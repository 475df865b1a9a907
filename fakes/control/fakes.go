package control

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// Fakes is what the harness uses to start, script and read the fakes, whether they
// run in its own process (Local) or in another one behind the control API (Remote):
// another process of the same run, or a pod of a cluster. Both return the fakes' own
// types, and the same errors: *NotFoundError for an unknown upstream role or canary
// name, *InvalidError for a request the fakes refuse (a DNS program the server cannot
// install, a role already in use, an address outside what the fakes may bind).
//
// Upstreams and canaries are started and stopped while the fakes run: each spec starts
// its own, named after it so that specs running at the same time never share one. A
// started fake runs until it is stopped or the fakes close, whatever becomes of the
// context it was started with; a wait on a fake stopped meanwhile ends with
// *NotFoundError.
type Fakes interface {
	// Summary lists every fake with its addresses and token.
	Summary(ctx context.Context) (Summary, error)
	// PKI returns the fakes' own CA and a client certificate it signed.
	PKI(ctx context.Context) (PKI, error)

	// SetProgram installs p for queries of qtype (e.g. mdns.TypeA) at name, replacing any program there.
	SetProgram(ctx context.Context, name string, qtype uint16, p dns.Program) error
	// ClearPrograms removes every DNS program.
	ClearPrograms(ctx context.Context) error
	// DNSLog returns the DNS query log, oldest first: every query, or with names only
	// the queries for those names (any case, with or without the final dot).
	DNSLog(ctx context.Context, names ...string) ([]dns.Query, error)
	// ClearDNSLog empties the DNS query log.
	ClearDNSLog(ctx context.Context) error
	// WaitDNS returns the first logged query, past or future, that match accepts.
	WaitDNS(ctx context.Context, match func(dns.Query) bool) (dns.Query, error)

	// StartUpstream starts an upstream and returns where it listens.
	StartUpstream(ctx context.Context, spec UpstreamSpec) (UpstreamInfo, error)
	// StopUpstream closes the upstream with this role and forgets it.
	StopUpstream(ctx context.Context, role string) error
	// DropConnections closes every connection the upstream with this role accepted so
	// far. Implementations pool upstream connections: dropping them makes the next
	// request dial, and so resolve, again.
	DropConnections(ctx context.Context, role string) error
	// UpstreamLog returns the connection log of the upstream with this role, oldest first.
	UpstreamLog(ctx context.Context, role string) ([]upstream.Event, error)
	// ClearUpstreamLog empties the connection log of the upstream with this role.
	ClearUpstreamLog(ctx context.Context, role string) error
	// WaitUpstream returns the first event, past or future, of the upstream with this role that match accepts.
	WaitUpstream(ctx context.Context, role string, match func(upstream.Event) bool) (upstream.Event, error)

	// StartCanary starts a canary and returns where it listens.
	StartCanary(ctx context.Context, spec CanarySpec) (CanaryInfo, error)
	// StopCanary closes the canary with this name and forgets it.
	StopCanary(ctx context.Context, name string) error
	// CanaryHits returns the connections the canary with this name recorded, oldest first.
	CanaryHits(ctx context.Context, name string) ([]canary.Hit, error)
	// ClearCanary forgets the hits of the canary with this name.
	ClearCanary(ctx context.Context, name string) error
	// WaitCanary returns the first hit, past or future, of the canary with this name that match accepts.
	WaitCanary(ctx context.Context, name string, match func(canary.Hit) bool) (canary.Hit, error)
}

// UpstreamSpec asks for one upstream; see upstream.Config for the meaning of the
// fields it shares. It travels as JSON to a Remote.
type UpstreamSpec struct {
	// Role names the upstream; unique among the running upstreams. Required.
	Role string `json:"role"`
	// Addr is host:port to listen on. An empty host takes the next address of the
	// fakes' simulated internet (LocalOptions.Internet); port 0 picks a free port. So
	// "" is a new address and any port, ":8443" a new address and port 8443,
	// "203.0.113.7:0" another port on an address already in use. A host must be an
	// IP address the fakes may bind (see LocalOptions.Guard).
	Addr string `json:"addr,omitempty"`
	// Hostname is the name the certificate is for; needed with TLS.
	Hostname  string              `json:"hostname,omitempty"`
	TLS       upstream.TLSMode    `json:"tls,omitempty"`
	Protocols []upstream.Protocol `json:"protocols,omitempty"`
	// URIs are extra URI SANs on the certificate, e.g. spiffe://xbcheck.test/api.
	URIs []string `json:"uris,omitempty"`
	// Authority signs the certificate (all modes but UntrustedCA); nil uses the
	// fakes' own CA.
	Authority *pki.AuthorityPEM `json:"authority,omitempty"`
	// ClientCA is the PEM of the CA that must have signed client certificates in
	// ClientCertRequired mode (only its certificate: the key stays with the caller);
	// empty uses the fakes' own CA. Other modes ignore it.
	ClientCA string `json:"clientCA,omitempty"`
}

// UpstreamInfo says where a started upstream listens and the token it writes into
// every answer.
type UpstreamInfo = UpstreamSummary

// CanarySpec asks for one canary.
type CanarySpec struct {
	// Name names the canary; unique among the running canaries. Required.
	Name string `json:"name"`
	// Addrs are host:port to listen on; port 0 picks a free port. Every host must
	// be an IP address the fakes may bind (see LocalOptions.Guard).
	Addrs []string `json:"addrs"`
	// Token, when set, is the token the canary answers with instead of a random one.
	Token string `json:"token,omitempty"`
	// Gateway (namespace/name), when set, says the addresses are loopback addresses
	// of the implementation serving that Gateway: fakes that share the
	// implementation's loopback (Local) listen there as usual; fakes whose loopback is
	// not the implementation's place the canary inside its pods (internal/dataplane).
	Gateway string `json:"gateway,omitempty"`
}

// CanaryInfo says where a started canary listens and the token it answers with.
type CanaryInfo = CanarySummary

// Summary says where every fake listens and the token it writes into its answers, so
// a spec can recognise an upstream's or a canary's bytes wherever they turn up.
type Summary struct {
	DNS DNSSummary `json:"dns"`
	// Internet is where upstreams started without a host get their address.
	Internet  netip.Prefix      `json:"internet"`
	Upstreams []UpstreamSummary `json:"upstreams"`
	Canaries  []CanarySummary   `json:"canaries"`
}

// DNSSummary describes the rogue DNS server.
type DNSSummary struct {
	Zone string `json:"zone"`
	Addr string `json:"addr"` // host:port, UDP and TCP
}

// UpstreamSummary describes one upstream.
type UpstreamSummary struct {
	Role  string         `json:"role"`
	Addr  netip.AddrPort `json:"addr"`
	Token string         `json:"token"`
	// Listen is where the upstream listens when clients reach it at Addr
	// through a translation (fakes in a cluster: a Service with Addr in
	// its externalIPs); invalid when it listens at Addr.
	Listen netip.AddrPort `json:"listen,omitzero"`
}

// CanarySummary describes one canary.
type CanarySummary struct {
	Name  string           `json:"name"`
	Addrs []netip.AddrPort `json:"addrs"`
	Token string           `json:"token"`
	// Proven, when set, says where the fakes themselves proved the canary holds its
	// addresses (a request from there reached it and got its token), because the
	// harness cannot reach them: inside the pods of a data plane.
	Proven string `json:"proven,omitempty"`
}

// PKI is what a gateway needs to talk to the upstreams, as PEM ready for a ConfigMap
// (CA, key pki.ConfigMapCAKey) and a kubernetes.io/tls Secret (ClientCert, ClientKey).
type PKI struct {
	CA         string `json:"ca"`
	ClientCert string `json:"clientCert"`
	ClientKey  string `json:"clientKey"`
}

// NotFoundError is a request for an upstream role or canary name that does not run
// (any more: a stopped fake is forgotten).
type NotFoundError struct {
	Fake  string   `json:"fake"` // "upstream" or "canary"
	Name  string   `json:"name"`
	Known []string `json:"known"` // the names that run, in start order
}

func (e *NotFoundError) Error() string {
	what := map[string]string{"upstream": "upstream with role", "canary": "canary named"}[e.Fake]
	if len(e.Known) == 0 {
		return fmt.Sprintf("no %s %q: none runs here; start one first", what, e.Name)
	}
	return fmt.Sprintf("no %s %q; use one of: %s", what, e.Name, strings.Join(e.Known, ", "))
}

// InvalidError is a request the fakes refused: JSON that does not decode, a DNS
// program the server cannot install, a spec with a field wrong, a role or name in
// use, an address the fakes may not bind or cannot listen on.
type InvalidError struct {
	Field  string `json:"field,omitempty"` // the field at fault, when known: a JSON path such as "steps.ttl", or "type"
	Reason string `json:"reason"`
}

func (e *InvalidError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("invalid request: field %q: %s", e.Field, e.Reason)
	}
	return "invalid request: " + e.Reason
}
