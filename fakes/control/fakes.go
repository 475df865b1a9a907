package control

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// Fakes is what the harness uses to script the fakes and read what they saw, whether
// they run in its own process (Local) or in another one behind the control API
// (Remote). Both return the fakes' own types, and the same errors: *NotFoundError
// for an unknown upstream role or canary name, *InvalidError for a program the DNS
// server refuses.
type Fakes interface {
	// Summary lists every fake with its addresses and token.
	Summary(ctx context.Context) (Summary, error)
	// PKI returns the CA the upstreams' certificates chain to and a client certificate it signed.
	PKI(ctx context.Context) (PKI, error)

	// SetProgram installs p for queries of qtype (e.g. mdns.TypeA) at name, replacing any program there.
	SetProgram(ctx context.Context, name string, qtype uint16, p dns.Program) error
	// ClearPrograms removes every DNS program.
	ClearPrograms(ctx context.Context) error
	// DNSLog returns the DNS query log, oldest first.
	DNSLog(ctx context.Context) ([]dns.Query, error)
	// ClearDNSLog empties the DNS query log.
	ClearDNSLog(ctx context.Context) error
	// WaitDNS returns the first logged query, past or future, that match accepts.
	WaitDNS(ctx context.Context, match func(dns.Query) bool) (dns.Query, error)

	// UpstreamLog returns the connection log of the upstream with this role, oldest first.
	UpstreamLog(ctx context.Context, role string) ([]upstream.Event, error)
	// ClearUpstreamLog empties the connection log of the upstream with this role.
	ClearUpstreamLog(ctx context.Context, role string) error
	// WaitUpstream returns the first event, past or future, of the upstream with this role that match accepts.
	WaitUpstream(ctx context.Context, role string, match func(upstream.Event) bool) (upstream.Event, error)

	// CanaryHits returns the connections the canary with this name recorded, oldest first.
	CanaryHits(ctx context.Context, name string) ([]canary.Hit, error)
	// ClearCanary forgets the hits of the canary with this name.
	ClearCanary(ctx context.Context, name string) error
	// WaitCanary returns the first hit, past or future, of the canary with this name that match accepts.
	WaitCanary(ctx context.Context, name string, match func(canary.Hit) bool) (canary.Hit, error)
}

// Summary says where every fake listens and the token it writes into its answers, so
// a spec can recognise an upstream's or a canary's bytes wherever they turn up.
type Summary struct {
	DNS       DNSSummary        `json:"dns"`
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
}

// CanarySummary describes one canary.
type CanarySummary struct {
	Name  string           `json:"name"`
	Addrs []netip.AddrPort `json:"addrs"`
	Token string           `json:"token"`
}

// PKI is what a gateway needs to talk to the upstreams, as PEM ready for a ConfigMap
// (CA, key pki.ConfigMapCAKey) and a kubernetes.io/tls Secret (ClientCert, ClientKey).
type PKI struct {
	CA         string `json:"ca"`
	ClientCert string `json:"clientCert"`
	ClientKey  string `json:"clientKey"`
}

// NotFoundError is a request for an upstream role or canary name that does not exist.
type NotFoundError struct {
	Fake  string   `json:"fake"` // "upstream" or "canary"
	Name  string   `json:"name"`
	Known []string `json:"known"` // the names that exist, in configuration order
}

func (e *NotFoundError) Error() string {
	what := map[string]string{"upstream": "upstream with role", "canary": "canary named"}[e.Fake]
	if len(e.Known) == 0 {
		return fmt.Sprintf("no %s %q: none runs here; add one to the fakes config", what, e.Name)
	}
	return fmt.Sprintf("no %s %q; use one of: %s", what, e.Name, strings.Join(e.Known, ", "))
}

// InvalidError is a request the fakes refused as malformed, such as a DNS program the
// server cannot install or JSON that does not decode.
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
