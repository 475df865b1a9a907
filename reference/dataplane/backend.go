package dataplane

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
	"net/url"
)

// Protocol is the XBackend's application protocol.
type Protocol string

// Protocols the reference gateway implements; any other value is refused by Validate.
const (
	ProtocolUnset  Protocol = ""       // as the route: HTTP/1.1
	ProtocolHTTP   Protocol = "HTTP"   // negotiated: h2 or http/1.1 by ALPN over TLS, HTTP/1.1 in cleartext
	ProtocolHTTP11 Protocol = "HTTP11" // HTTP/1.1 only (ALPN http/1.1)
	ProtocolHTTP2  Protocol = "HTTP2"  // HTTP/2 over TLS; the server must negotiate h2
	ProtocolH2C    Protocol = "H2C"    // HTTP/2 with prior knowledge over cleartext
	ProtocolWSS    Protocol = "WSS"    // WebSocket over TLS: HTTP/1.1 (ALPN http/1.1) and its Upgrade
)

// TLSMode is the XBackend's tls.mode.
type TLSMode string

// TLS modes of XBackend.
const (
	TLSModeNone            TLSMode = "None"
	TLSModeServerOnly      TLSMode = "ServerOnly"
	TLSModeClientAndServer TLSMode = "ClientAndServer"
)

// SANType is the type of a subjectAltNames entry.
type SANType string

// Subject alternative name types of XBackend tls.validation.subjectAltNames.
const (
	SANHostname SANType = "Hostname"
	SANURI      SANType = "URI"
)

// SAN is one tls.validation.subjectAltNames entry.
type SAN struct {
	Type     SANType
	Hostname string // for SANHostname: matched against the certificate's DNS SANs, wildcards included
	URI      string // for SANURI: must equal one of the certificate's URI SANs exactly
}

// Backend is what the data plane needs of one XBackend: an external
// hostname, or the addresses of the pods an endpointSelector selects.
type Backend struct {
	Name     string // namespace/name, for errors
	Hostname string // spec.externalHostname; empty for an EndpointSelector
	// Selector says the backend is an EndpointSelector: it is served by
	// Endpoints (the ready pods it selects, possibly none), dialled as
	// they are, never resolved.
	Selector  bool
	Endpoints []netip.Addr
	Port      int
	Protocol  Protocol
	TLS       *TLS // nil: cleartext
	// Session, when set, keeps a client's requests on one endpoint.
	Session *Session
}

// TLS is the XBackend's tls block, with its references already read.
type TLS struct {
	Mode TLSMode
	// SNI is tls.validation.hostname, or the externalHostname when there is no
	// validation block; empty means Backend.Hostname. The server certificate
	// is checked against this name unless SubjectAltNames is given.
	SNI string
	// CACertificates holds one PEM bundle per caCertificateRefs entry (the
	// ConfigMap's ca.crt), in order. The server chain may end at any of them.
	CACertificates [][]byte
	// SystemRoots trusts the system roots instead: wellKnownCACertificates
	// System, or ServerOnly without a validation block.
	SystemRoots     bool
	SubjectAltNames []SAN
	// ClientCertificate is the certificate from clientCertificateRef, presented
	// in ClientAndServer mode.
	ClientCertificate *tls.Certificate
}

// Validate returns an error for every XBackend this data plane must refuse
// rather than serve, so that a misconfiguration fails closed and never sends
// plaintext. Controllers report it as Accepted=False.
func (b Backend) Validate() error {
	if err := b.validate(); err != nil {
		return fmt.Errorf("xbackend %s: %w", b.Name, err)
	}
	return nil
}

func (b Backend) validate() error {
	switch {
	case b.Selector && b.Hostname != "":
		return fmt.Errorf("both an endpointSelector and externalHostname %q are set: use one", b.Hostname)
	case !b.Selector && b.Hostname == "":
		return fmt.Errorf("externalHostname is empty: set the upstream's DNS name")
	case !b.Selector && b.Session != nil:
		return fmt.Errorf("sessionPersistence needs an endpointSelector: an external hostname has no endpoints to persist")
	}
	if err := b.Session.validate(); err != nil {
		return err
	}
	if b.Port < 1 || b.Port > 65535 {
		return fmt.Errorf("port %d is out of range: use 1-65535", b.Port)
	}
	tlsOn := b.TLS != nil && b.TLS.Mode != TLSModeNone
	switch b.Protocol {
	case ProtocolUnset, ProtocolHTTP, ProtocolHTTP11, ProtocolGRPC, ProtocolTCP:
	case ProtocolHTTP2:
		if !tlsOn {
			return fmt.Errorf("protocol HTTP2 needs tls.mode ServerOnly or ClientAndServer: use H2C for cleartext HTTP/2")
		}
	case ProtocolH2C:
		if tlsOn {
			return fmt.Errorf("protocol H2C is cleartext HTTP/2 and cannot be combined with tls.mode %s: use HTTP2", b.TLS.Mode)
		}
	case ProtocolWSS:
		if !tlsOn {
			return fmt.Errorf("protocol WSS is WebSocket over TLS: set tls.mode ServerOnly or ClientAndServer")
		}
	default:
		return fmt.Errorf("protocol %q is not supported by the reference gateway: use HTTP, HTTP11, HTTP2, H2C, WSS, GRPC or TCP", b.Protocol)
	}
	if b.TLS == nil {
		return nil
	}
	return b.TLS.validate()
}

func (t *TLS) validate() error {
	switch t.Mode {
	case TLSModeNone:
		if t.ClientCertificate != nil {
			return fmt.Errorf("a client certificate is set with tls.mode None: use ClientAndServer")
		}
		return nil
	case TLSModeServerOnly:
		if t.ClientCertificate != nil {
			return fmt.Errorf("a client certificate is set with tls.mode ServerOnly: use ClientAndServer")
		}
	case TLSModeClientAndServer:
		if err := validClientCertificate(t.ClientCertificate); err != nil {
			return err
		}
	default:
		return fmt.Errorf("tls.mode %q is unknown: use None, ServerOnly or ClientAndServer", t.Mode)
	}
	switch {
	case t.SystemRoots && len(t.CACertificates) > 0:
		return fmt.Errorf("both system roots and caCertificateRefs are set: use one")
	case !t.SystemRoots && len(t.CACertificates) == 0:
		return fmt.Errorf("no CA to verify the server with: set caCertificateRefs or wellKnownCACertificates System")
	}
	for i, bundle := range t.CACertificates {
		if !x509.NewCertPool().AppendCertsFromPEM(bundle) {
			return fmt.Errorf("caCertificateRefs[%d] holds no PEM certificate: put the CA in the ConfigMap's ca.crt", i)
		}
	}
	for i, san := range t.SubjectAltNames {
		if err := san.validate(); err != nil {
			return fmt.Errorf("subjectAltNames[%d]: %w", i, err)
		}
	}
	return nil
}

func validClientCertificate(c *tls.Certificate) error {
	switch {
	case c == nil:
		return fmt.Errorf("tls.mode ClientAndServer without a client certificate: the clientCertificateRef Secret is missing or unreadable")
	case len(c.Certificate) == 0 || c.PrivateKey == nil:
		return fmt.Errorf("the client certificate has no certificate or no private key: check tls.crt and tls.key in its Secret")
	}
	return nil
}

func (s SAN) validate() error {
	switch s.Type {
	case SANHostname:
		if s.Hostname == "" || s.URI != "" {
			return fmt.Errorf("type Hostname needs hostname and no uri")
		}
	case SANURI:
		if s.URI == "" || s.Hostname != "" {
			return fmt.Errorf("type URI needs uri and no hostname")
		}
		if u, err := url.Parse(s.URI); err != nil || u.Scheme == "" {
			return fmt.Errorf("uri %q is not an absolute URI", s.URI)
		}
	default:
		return fmt.Errorf("type %q is unknown: use Hostname or URI", s.Type)
	}
	return nil
}

// usesTLS reports whether connections to b are TLS.
func (b Backend) usesTLS() bool { return b.TLS != nil && b.TLS.Mode != TLSModeNone }

// sni is the name the certificate is checked against, and normally sent as SNI.
func (b Backend) sni() string {
	if b.TLS != nil && b.TLS.SNI != "" {
		return b.TLS.SNI
	}
	return b.Hostname
}

// String is the SAN as an error message shows it, e.g. "URI spiffe://td/ns/a".
func (s SAN) String() string {
	if s.Type == SANURI {
		return "URI " + s.URI
	}
	return string(s.Type) + " " + s.Hostname
}
