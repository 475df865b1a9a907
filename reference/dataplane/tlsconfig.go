package dataplane

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"github.com/xbcheck/xbcheck/reference/faults"
)

// clientTLSConfig builds the client side of the handshake with an XBackend.
// Verification is done by hand in VerifyConnection (InsecureSkipVerify only
// turns off the built-in check, which cannot check a name other than the SNI
// nor URI SANs): the chain is always verified against roots, then the name.
func clientTLSConfig(b Backend, fs faults.Set) (*tls.Config, error) {
	roots, err := rootPool(b.TLS, fs)
	if err != nil {
		return nil, err
	}
	v := verifier{roots: roots, name: b.sni(), sans: b.TLS.SubjectAltNames, faults: fs}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         b.sni(),
		NextProtos:         alpn(b.Protocol, fs),
		InsecureSkipVerify: true,
		VerifyConnection:   v.verifyConnection,
	}
	switch {
	case fs.Has(faults.NoSNI):
		cfg.ServerName = ""
	case fs.Has(faults.WrongSNI):
		cfg.ServerName = b.Hostname
	}
	if b.TLS.Mode == TLSModeClientAndServer && !fs.Has(faults.NoClientCert) {
		cert := b.TLS.ClientCertificate
		// Present it whatever CAs the server names as acceptable.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return cfg, nil
}

// alpn lists the protocols offered in the ClientHello.
func alpn(p Protocol, fs faults.Set) []string {
	switch {
	case p == ProtocolHTTP2:
		return []string{"h2"}
	case p == ProtocolHTTP, fs.Has(faults.H2WhenHTTP11):
		return []string{"h2", "http/1.1"}
	}
	return []string{"http/1.1"}
}

// rootPool is the union of every CA ref, or the system roots.
func rootPool(t *TLS, fs faults.Set) (*x509.CertPool, error) {
	if t.SystemRoots {
		pool, err := x509.SystemCertPool()
		if err != nil {
			return nil, fmt.Errorf("system CA roots unavailable: %w", err)
		}
		return pool, nil
	}
	bundles := t.CACertificates
	if fs.Has(faults.FirstCAOnly) {
		bundles = bundles[:1]
	}
	pool := x509.NewCertPool()
	for i, pem := range bundles {
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("caCertificateRefs[%d] holds no PEM certificate", i)
		}
	}
	return pool, nil
}

type verifier struct {
	roots  *x509.CertPool
	name   string // checked when sans is empty
	sans   []SAN
	faults faults.Set
}

// verifyConnection runs on every handshake, resumed ones included.
func (v verifier) verifyConnection(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("server sent no certificate")
	}
	leaf := cs.PeerCertificates[0]
	if !v.faults.Has(faults.SkipChainCheck) {
		intermediates := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			intermediates.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{
			Roots:         v.roots,
			Intermediates: intermediates,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return fmt.Errorf("server certificate not trusted: %w", err)
		}
	}
	if v.faults.Has(faults.SkipSANCheck) {
		return nil
	}
	return v.verifyName(leaf)
}

// verifyName checks subjectAltNames when given (any one must match), else the hostname.
func (v verifier) verifyName(leaf *x509.Certificate) error {
	if len(v.sans) == 0 {
		if err := leaf.VerifyHostname(v.name); err != nil {
			return fmt.Errorf("server certificate is not valid for %s: it names %v", v.name, leaf.DNSNames)
		}
		return nil
	}
	for _, san := range v.sans {
		switch san.Type {
		case SANHostname:
			if leaf.VerifyHostname(san.Hostname) == nil {
				return nil
			}
		case SANURI:
			if slices.ContainsFunc(leaf.URIs, func(u *url.URL) bool { return u.String() == san.URI }) {
				return nil
			}
		}
	}
	uris := make([]string, len(leaf.URIs))
	for i, u := range leaf.URIs {
		uris[i] = u.String()
	}
	return fmt.Errorf("server certificate matches none of subjectAltNames %v: it has DNS names %v and URIs %v", v.sans, leaf.DNSNames, uris)
}
