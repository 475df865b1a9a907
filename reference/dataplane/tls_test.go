package dataplane

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
)

const (
	appHost = "app.xbcheck.test" // externalHostname in these tests
	apiHost = "api.example.test" // tls.validation.hostname, different on purpose
)

var h1h2 = protocols(true, true, false)

// loopback resolves every name to 127.0.0.1 and lets the guardrail allow only that address.
func loopback(faultList string, t *testing.T) Options {
	return Options{
		Resolver:  &fakeResolver{script: [][]Answer{answers(0, "127.0.0.1")}},
		Guardrail: only("127.0.0.1"),
		Faults:    mustParseFaults(t, faultList),
	}
}

func serverTLS(leaf tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{leaf}}
}

func serverOnly(u *upstream, ca ...*testCA) Backend {
	t := &TLS{Mode: TLSModeServerOnly, SNI: apiHost}
	for _, c := range ca {
		t.CACertificates = append(t.CACertificates, c.pem)
	}
	return Backend{Name: "ns/app", Hostname: appHost, Port: int(u.addr.Port()), TLS: t}
}

func TestSNI(t *testing.T) {
	ca := newCA(t, "ca")
	u := mustStartUpstream(t, serverTLS(ca.leaf(t, leafSpec{dnsNames: []string{apiHost}})), h1h2)
	for faultList, want := range map[string]string{
		"":          apiHost,
		"no-sni":    "",
		"wrong-sni": appHost,
		"ip-as-sni": "", // Go sends no SNI for an IP literal (RFC 6066)
	} {
		s, err := get(t, serverOnly(u, ca), loopback(faultList, t))
		if err != nil {
			t.Errorf("faults %q: %v", faultList, err)
			continue
		}
		if !s.TLS || s.SNI != want {
			t.Errorf("faults %q: upstream saw TLS=%v SNI %q, want SNI %q", faultList, s.TLS, s.SNI, want)
		}
	}
}

func TestSNIDefaultsToExternalHostname(t *testing.T) {
	ca := newCA(t, "ca")
	u := mustStartUpstream(t, serverTLS(ca.leaf(t, leafSpec{dnsNames: []string{appHost}})), h1h2)
	b := serverOnly(u, ca)
	b.TLS.SNI = ""
	s, err := get(t, b, loopback("", t))
	if err != nil || s.SNI != appHost {
		t.Errorf("upstream saw SNI %q (err %v), want %q", s.SNI, err, appHost)
	}
}

func TestServerName(t *testing.T) {
	ca := newCA(t, "ca")
	const spiffe = "spiffe://xbcheck.test/ns/app"
	for _, tc := range []struct {
		name    string
		leaf    leafSpec
		sans    []SAN
		faults  string
		wantErr string
	}{
		{name: "hostname matches", leaf: leafSpec{dnsNames: []string{apiHost}}},
		{name: "wrong name fails", leaf: leafSpec{dnsNames: []string{"other.test"}},
			wantErr: "not valid for " + apiHost},
		{name: "wrong name passes with skip-san-check", leaf: leafSpec{dnsNames: []string{"other.test"}},
			faults: "skip-san-check"},
		{name: "hostname SAN matches a wildcard", leaf: leafSpec{dnsNames: []string{"*.xbcheck.test"}},
			sans: []SAN{{Type: SANHostname, Hostname: appHost}}},
		{name: "hostname SAN replaces the hostname check", leaf: leafSpec{dnsNames: []string{apiHost}},
			sans: []SAN{{Type: SANHostname, Hostname: "other.test"}}, wantErr: "matches none of subjectAltNames"},
		{name: "URI SAN matches exactly", leaf: leafSpec{uris: []string{spiffe}},
			sans: []SAN{{Type: SANHostname, Hostname: "other.test"}, {Type: SANURI, URI: spiffe}}},
		{name: "URI SAN mismatch fails", leaf: leafSpec{uris: []string{spiffe + "-other"}},
			sans: []SAN{{Type: SANURI, URI: spiffe}}, wantErr: "matches none of subjectAltNames [URI " + spiffe + "]"},
		{name: "URI SAN mismatch passes with skip-san-check", leaf: leafSpec{uris: []string{spiffe + "-other"}},
			sans: []SAN{{Type: SANURI, URI: spiffe}}, faults: "skip-san-check"},
		{name: "the hostname passes with hostname-authenticates-with-sans", leaf: leafSpec{dnsNames: []string{apiHost}},
			sans: []SAN{{Type: SANHostname, Hostname: "other.test"}}, faults: "hostname-authenticates-with-sans"},
		{name: "a wildcard stands for one label only", leaf: leafSpec{dnsNames: []string{"*.test"}},
			wantErr: "not valid for " + apiHost},
		{name: "a wildcard stands for any labels with wildcard-any-depth", leaf: leafSpec{dnsNames: []string{"*.test"}},
			faults: "wildcard-any-depth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := mustStartUpstream(t, serverTLS(ca.leaf(t, tc.leaf)), h1h2)
			b := serverOnly(u, ca)
			b.TLS.SubjectAltNames = tc.sans
			_, err := get(t, b, loopback(tc.faults, t))
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestChain(t *testing.T) {
	trusted, untrusted, other := newCA(t, "trusted"), newCA(t, "untrusted"), newCA(t, "other")
	impostor := newCA(t, "trusted") // same subject as trusted, another key
	for _, tc := range []struct {
		name    string
		signer  *testCA
		leaf    leafSpec
		refs    []*testCA
		sans    []SAN
		faults  string
		wantErr string
	}{
		{name: "untrusted CA fails", signer: untrusted, refs: []*testCA{trusted},
			wantErr: "server certificate not trusted"},
		{name: "untrusted CA passes with skip-chain-check", signer: untrusted, refs: []*testCA{trusted},
			faults: "skip-chain-check"},
		{name: "skip-chain-check still checks the name", signer: untrusted, refs: []*testCA{trusted},
			leaf: leafSpec{dnsNames: []string{"other.test"}}, faults: "skip-chain-check", wantErr: "not valid for"},
		{name: "expired certificate fails", signer: trusted, refs: []*testCA{trusted},
			leaf: leafSpec{expired: true}, wantErr: "expired"},
		{name: "expired certificate passes with skip-validity-period", signer: trusted, refs: []*testCA{trusted},
			leaf: leafSpec{expired: true}, faults: "skip-validity-period"},
		{name: "second of two CA refs signs", signer: trusted, refs: []*testCA{untrusted, trusted}},
		{name: "a CA neither ref names fails", signer: other, refs: []*testCA{untrusted, trusted},
			wantErr: "server certificate not trusted"},
		{name: "a CA neither ref names passes with unsupported-ca-refs-unverified", signer: other, refs: []*testCA{untrusted, trusted},
			faults: "unsupported-ca-refs-unverified"},
		{name: "one ref is checked with unsupported-ca-refs-unverified", signer: other, refs: []*testCA{trusted},
			faults: "unsupported-ca-refs-unverified", wantErr: "server certificate not trusted"},
		{name: "a CA named like the trusted one fails", signer: impostor, refs: []*testCA{trusted},
			wantErr: "server certificate not trusted"},
		{name: "a CA named like the trusted one passes with issuer-name-only", signer: impostor, refs: []*testCA{trusted},
			faults: "issuer-name-only"},
		{name: "untrusted CA with subjectAltNames fails", signer: untrusted, refs: []*testCA{trusted},
			sans: []SAN{{Type: SANHostname, Hostname: apiHost}}, wantErr: "server certificate not trusted"},
		{name: "untrusted CA with subjectAltNames passes with san-skips-chain", signer: untrusted, refs: []*testCA{trusted},
			sans: []SAN{{Type: SANHostname, Hostname: apiHost}}, faults: "san-skips-chain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.leaf.dnsNames == nil {
				tc.leaf.dnsNames = []string{apiHost}
			}
			u := mustStartUpstream(t, serverTLS(tc.signer.leaf(t, tc.leaf)), h1h2)
			b := serverOnly(u, tc.refs...)
			b.TLS.SubjectAltNames = tc.sans
			_, err := get(t, b, loopback(tc.faults, t))
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestSystemRootsRejectAPrivateCA(t *testing.T) {
	ca := newCA(t, "private")
	u := mustStartUpstream(t, serverTLS(ca.leaf(t, leafSpec{dnsNames: []string{apiHost}})), h1h2)
	b := serverOnly(u)
	b.TLS.SystemRoots = true
	tr, err := NewTransport(b, loopback("", t))
	if err != nil {
		// No system roots on this machine: that is failing closed too.
		if !strings.Contains(err.Error(), "system CA roots unavailable") {
			t.Fatal(err)
		}
		return
	}
	if _, err := roundTrip(tr); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Errorf("private CA with system roots: err = %v, want not trusted", err)
	}
}

func TestClientCertificate(t *testing.T) {
	serverCA, clientCA := newCA(t, "server-ca"), newCA(t, "client-ca")
	pool := x509.NewCertPool()
	pool.AddCert(clientCA.cert)
	cfg := serverTLS(serverCA.leaf(t, leafSpec{dnsNames: []string{apiHost}}))
	cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, pool
	u := mustStartUpstream(t, cfg, h1h2)
	clientCert := clientCA.leaf(t, leafSpec{cn: "reference-gateway", client: true})
	b := serverOnly(u, serverCA)
	b.TLS.Mode, b.TLS.ClientCertificate = TLSModeClientAndServer, &clientCert

	s, err := get(t, b, loopback("", t))
	if err != nil || s.ClientCN != "reference-gateway" {
		t.Errorf("upstream saw client certificate %q (err %v), want reference-gateway", s.ClientCN, err)
	}
	if _, err := get(t, b, loopback("no-client-cert", t)); err == nil {
		t.Error("no-client-cert: request passed an upstream that requires a client certificate")
	}
}

func TestClientAndServerVerifiesTheServer(t *testing.T) {
	serverCA, trusted, clientCA := newCA(t, "server-ca"), newCA(t, "trusted"), newCA(t, "client-ca")
	pool := x509.NewCertPool()
	pool.AddCert(clientCA.cert)
	cfg := serverTLS(serverCA.leaf(t, leafSpec{dnsNames: []string{apiHost}}))
	cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, pool
	u := mustStartUpstream(t, cfg, h1h2)
	clientCert := clientCA.leaf(t, leafSpec{cn: "reference-gateway", client: true})
	b := serverOnly(u, trusted)
	b.TLS.Mode, b.TLS.ClientCertificate = TLSModeClientAndServer, &clientCert

	_, err := get(t, b, loopback("", t))
	checkErr(t, err, "server certificate not trusted")
	if _, err := get(t, b, loopback("mtls-skips-server-verify", t)); err != nil {
		t.Errorf("mtls-skips-server-verify: %v, want the untrusted server accepted", err)
	}
}

func TestClientAndServerNeverSendsPlaintext(t *testing.T) {
	ca := newCA(t, "ca")
	plain := mustStartUpstream(t, nil, h1h2)
	clientCert := ca.leaf(t, leafSpec{cn: "reference-gateway", client: true})
	b := serverOnly(plain, ca)
	b.TLS.Mode, b.TLS.ClientCertificate = TLSModeClientAndServer, &clientCert

	if s, err := get(t, b, loopback("", t)); err == nil {
		t.Errorf("a cleartext upstream answered %+v: the gateway sent plaintext", s)
	}
	s, err := get(t, b, loopback("plaintext-when-mtls", t))
	if err != nil || s.TLS {
		t.Errorf("plaintext-when-mtls: upstream saw TLS=%v (err %v), want plaintext", s.TLS, err)
	}
}

func TestClientTLSConfigVerifiesWithoutTheBuiltInCheck(t *testing.T) {
	// InsecureSkipVerify is set, so VerifyConnection must be there to do the work.
	ca := newCA(t, "ca")
	cfg, err := clientTLSConfig(Backend{Hostname: appHost, TLS: &TLS{Mode: TLSModeServerOnly, CACertificates: [][]byte{ca.pem}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.VerifyConnection == nil || cfg.VerifyConnection(tls.ConnectionState{}) == nil {
		t.Error("VerifyConnection accepts a connection without a certificate")
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("request failed: %v", err)
	case want != "" && err == nil:
		t.Errorf("request passed, want an error containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("error %q does not contain %q", err, want)
	}
}

var _ http.RoundTripper = (*Transport)(nil)
