package dataplane

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/xbcheck/xbcheck/reference/faults"
)

// clientTLSConfig builds the client side of the handshake with an XBackend.
// Verification is done by hand in VerifyConnection (InsecureSkipVerify only
// turns off the built-in check, which cannot check a name other than the SNI
// nor URI SANs): the chain is always verified against roots, then the name.
func clientTLSConfig(b Backend, o Options) (*tls.Config, error) {
	fs := o.Faults
	roots, err := rootPool(b.TLS, fs)
	if err != nil {
		return nil, err
	}
	v := verifier{roots: roots, name: b.sni(), sans: b.TLS.SubjectAltNames, systemRoots: b.TLS.SystemRoots, faults: fs}
	switch {
	case fs.Has(faults.UnverifiedCARefs) && len(b.TLS.CACertificates) > 1:
		v.unverified = "more than one caCertificateRefs entry"
	case fs.Has(faults.MTLSSkipsServerVerify) && b.TLS.Mode == TLSModeClientAndServer:
		v.unverified = "ClientAndServer"
	case fs.Has(faults.WSSSkipsVerify) && b.Protocol == ProtocolWSS:
		v.unverified = "protocol WSS"
	case fs.Has(faults.GRPCSkipsVerify) && b.Protocol == ProtocolGRPC:
		v.unverified = "protocol GRPC"
	}
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
	if fs.Has(faults.ResumeSkipsVerify) {
		cfg.ClientSessionCache = o.SessionCache
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
	if chosen := choiceALPN(p, fs); chosen != nil {
		return chosen
	}
	switch {
	case p == ProtocolTCP:
		return nil // a raw stream: no application protocol to negotiate
	case p == ProtocolGRPC && fs.Has(faults.GRPCOverHTTP11):
		return []string{"http/1.1"}
	case p == ProtocolGRPC:
		return []string{"h2"}
	case p == ProtocolHTTP2 && fs.Has(faults.NoH2ALPN):
		return []string{"http/1.1"}
	case p == ProtocolHTTP2:
		return []string{"h2"}
	case p == ProtocolHTTP && fs.Has(faults.ALPNH2Only):
		return []string{"h2"}
	case p == ProtocolHTTP, fs.Has(faults.H2WhenHTTP11):
		return []string{"h2", "http/1.1"}
	}
	return []string{"http/1.1"}
}

// rootPool is the union of every CA ref, or the system roots.
func rootPool(t *TLS, fs faults.Set) (*x509.CertPool, error) {
	if t.SystemRoots {
		return systemPool()
	}
	pool := x509.NewCertPool()
	if fs.Has(faults.CARefsPlusSystemRoots) {
		var err error
		if pool, err = systemPool(); err != nil {
			return nil, err
		}
	}
	for i, pem := range t.CACertificates {
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("caCertificateRefs[%d] holds no PEM certificate", i)
		}
	}
	return pool, nil
}

// systemPool is a copy of the system roots. The file SSL_CERT_FILE names
// is read anew for every XBackend built, so a trust store replaced while
// the gateway runs counts from then on (Go's own pool is loaded once per
// process); without it, Go's system roots.
func systemPool() (*x509.CertPool, error) {
	if file := os.Getenv("SSL_CERT_FILE"); file != "" {
		pem, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("system CA roots unavailable: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("system CA roots unavailable: SSL_CERT_FILE %s holds no PEM certificate", file)
		}
		return pool, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		return nil, fmt.Errorf("system CA roots unavailable: %w", err)
	}
	return pool, nil
}

type verifier struct {
	roots       *x509.CertPool
	name        string // checked when sans is empty
	sans        []SAN
	systemRoots bool
	// unverified, when set, says why the unsupported-ca-refs-unverified or
	// mtls-skips-server-verify fault verifies nothing.
	unverified string
	faults     faults.Set
}

// verifyConnection runs on every handshake, resumed ones included.
func (v verifier) verifyConnection(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("server sent no certificate")
	}
	if v.unverified != "" || cs.DidResume && v.faults.Has(faults.ResumeSkipsVerify) {
		return nil
	}
	leaf := cs.PeerCertificates[0]
	if err := v.verifyChain(leaf, cs.PeerCertificates[1:]); err != nil {
		return err
	}
	if v.faults.Has(faults.SkipSANCheck) || v.systemRoots && v.faults.Has(faults.SystemRootsSkipName) {
		return nil
	}
	return v.verifyName(leaf)
}

// verifyChain checks that leaf chains up to one of the roots and is valid now.
func (v verifier) verifyChain(leaf *x509.Certificate, chain []*x509.Certificate) error {
	switch {
	case v.faults.Has(faults.SkipChainCheck), len(v.sans) > 0 && v.faults.Has(faults.SANSkipsChain):
		return nil
	case v.faults.Has(faults.IssuerNameOnly):
		return v.issuerNamed(leaf)
	}
	intermediates := x509.NewCertPool()
	for _, c := range chain {
		intermediates.AddCert(c)
	}
	roots := v.roots
	if v.faults.Has(faults.PeerChainAsRoots) {
		roots = v.roots.Clone()
		for _, c := range chain {
			roots.AddCert(c)
		}
	}
	opts := x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if v.faults.Has(faults.SkipValidityPeriod) {
		opts.CurrentTime = leaf.NotBefore.Add(time.Second)
	}
	if v.faults.Has(faults.CheckExpiryOnly) && time.Now().Before(leaf.NotBefore) {
		opts.CurrentTime = leaf.NotBefore.Add(time.Second)
	}
	if _, err := leaf.Verify(opts); err != nil {
		return fmt.Errorf("server certificate not trusted: %w", err)
	}
	return nil
}

// issuerNamed is the issuer-name-only fault: the leaf's issuer name is
// looked up among the roots' subjects, and the signature never checked.
func (v verifier) issuerNamed(leaf *x509.Certificate) error {
	now := time.Now()
	// Subjects is deprecated for system pools only; this one is built from PEM.
	if slices.ContainsFunc(v.roots.Subjects(), func(s []byte) bool { return bytes.Equal(s, leaf.RawIssuer) }) &&
		now.After(leaf.NotBefore) && now.Before(leaf.NotAfter) {
		return nil
	}
	return fmt.Errorf("server certificate not trusted: no root is named %s", leaf.Issuer)
}

// verifyName checks subjectAltNames when given (any one must match), else the hostname.
func (v verifier) verifyName(leaf *x509.Certificate) error {
	if len(v.sans) == 0 {
		if !v.hostnameMatches(leaf, v.name) {
			return fmt.Errorf("server certificate is not valid for %s: it names %v", v.name, leaf.DNSNames)
		}
		return nil
	}
	if v.faults.Has(faults.HostnameWithSANs) && v.hostnameMatches(leaf, v.name) {
		return nil
	}
	for _, san := range v.sans {
		switch san.Type {
		case SANHostname:
			if v.hostnameMatches(leaf, san.Hostname) {
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

// hostnameMatches is RFC 6125 matching of name against the leaf's DNS SANs,
// a wildcard standing for exactly one label; the wildcard-any-depth fault
// lets it stand for any number.
func (v verifier) hostnameMatches(leaf *x509.Certificate, name string) bool {
	if leaf.VerifyHostname(name) == nil {
		return true
	}
	if !v.faults.Has(faults.WildcardAnyDepth) {
		return false
	}
	name = strings.ToLower(name)
	return slices.ContainsFunc(leaf.DNSNames, func(dns string) bool {
		suffix, ok := strings.CutPrefix(strings.ToLower(dns), "*")
		return ok && strings.HasSuffix(name, suffix) && len(name) > len(suffix)
	})
}
