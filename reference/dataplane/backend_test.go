package dataplane

import (
	"crypto/tls"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	ca := newCA(t, "ca")
	cert := ca.leaf(t, leafSpec{cn: "gw", client: true})
	serverOnly := func() *TLS { return &TLS{Mode: TLSModeServerOnly, CACertificates: [][]byte{ca.pem}} }
	mtls := func() *TLS { t := serverOnly(); t.Mode, t.ClientCertificate = TLSModeClientAndServer, &cert; return t }
	for _, tc := range []struct {
		name    string
		edit    func(b *Backend)
		wantErr string
	}{
		{name: "cleartext", edit: func(*Backend) {}},
		{name: "ServerOnly", edit: func(b *Backend) { b.TLS = serverOnly() }},
		{name: "ServerOnly with system roots", edit: func(b *Backend) { b.TLS = &TLS{Mode: TLSModeServerOnly, SystemRoots: true} }},
		{name: "ClientAndServer", edit: func(b *Backend) { b.TLS = mtls() }},
		{name: "HTTP2 over TLS", edit: func(b *Backend) { b.TLS, b.Protocol = serverOnly(), ProtocolHTTP2 }},
		{name: "H2C", edit: func(b *Backend) { b.Protocol = ProtocolH2C }},
		{name: "SANs", edit: func(b *Backend) {
			b.TLS = serverOnly()
			b.TLS.SubjectAltNames = []SAN{{Type: SANHostname, Hostname: "a.test"}, {Type: SANURI, URI: "spiffe://td/a"}}
		}},

		{name: "no hostname", edit: func(b *Backend) { b.Hostname = "" }, wantErr: "externalHostname is empty"},
		{name: "port 0", edit: func(b *Backend) { b.Port = 0 }, wantErr: "port 0 is out of range"},
		{name: "port too high", edit: func(b *Backend) { b.Port = 65536 }, wantErr: "port 65536 is out of range"},
		{name: "MCP", edit: func(b *Backend) { b.Protocol = "MCP" }, wantErr: `protocol "MCP" is not supported`},
		{name: "HTTP2 in cleartext", edit: func(b *Backend) { b.Protocol = ProtocolHTTP2 }, wantErr: "HTTP2 needs tls.mode"},
		{name: "H2C with TLS", edit: func(b *Backend) { b.TLS, b.Protocol = serverOnly(), ProtocolH2C }, wantErr: "H2C is cleartext"},
		{name: "unknown mode", edit: func(b *Backend) { b.TLS = &TLS{Mode: "Mutual"} }, wantErr: `tls.mode "Mutual" is unknown`},
		{name: "ClientAndServer without certificate", edit: func(b *Backend) { b.TLS = mtls(); b.TLS.ClientCertificate = nil },
			wantErr: "ClientAndServer without a client certificate"},
		{name: "ClientAndServer with an empty certificate", edit: func(b *Backend) { b.TLS = mtls(); b.TLS.ClientCertificate = &tls.Certificate{} },
			wantErr: "no certificate or no private key"},
		{name: "ServerOnly with a client certificate", edit: func(b *Backend) { b.TLS = serverOnly(); b.TLS.ClientCertificate = &cert },
			wantErr: "client certificate is set with tls.mode ServerOnly"},
		{name: "None with a client certificate", edit: func(b *Backend) { b.TLS = &TLS{Mode: TLSModeNone, ClientCertificate: &cert} },
			wantErr: "client certificate is set with tls.mode None"},
		{name: "no CA", edit: func(b *Backend) { b.TLS = &TLS{Mode: TLSModeServerOnly} }, wantErr: "no CA to verify the server with"},
		{name: "both CA sources", edit: func(b *Backend) { b.TLS = serverOnly(); b.TLS.SystemRoots = true }, wantErr: "both system roots and caCertificateRefs"},
		{name: "empty CA ref", edit: func(b *Backend) { b.TLS = serverOnly(); b.TLS.CACertificates = append(b.TLS.CACertificates, nil) },
			wantErr: "caCertificateRefs[1] holds no PEM certificate"},
		{name: "SAN without type", edit: func(b *Backend) { b.TLS = serverOnly(); b.TLS.SubjectAltNames = []SAN{{Hostname: "a.test"}} },
			wantErr: `subjectAltNames[0]: type "" is unknown`},
		{name: "URI SAN with hostname", edit: func(b *Backend) {
			b.TLS = serverOnly()
			b.TLS.SubjectAltNames = []SAN{{Type: SANURI, URI: "spiffe://td/a", Hostname: "a.test"}}
		}, wantErr: "type URI needs uri and no hostname"},
		{name: "relative URI SAN", edit: func(b *Backend) { b.TLS = serverOnly(); b.TLS.SubjectAltNames = []SAN{{Type: SANURI, URI: "td/a"}} },
			wantErr: "is not an absolute URI"},
	} {
		b := Backend{Name: "ns/app", Hostname: appHost, Port: 443}
		tc.edit(&b)
		err := b.Validate()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "xbackend ns/app: ")):
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
		}
		if _, terr := NewTransport(b, Options{Resolver: &fakeResolver{}}); (terr == nil) != (err == nil) {
			t.Errorf("%s: NewTransport err = %v, Validate err = %v: they must agree", tc.name, terr, err)
		}
	}
}

func TestNewTransportNeedsAResolver(t *testing.T) {
	_, err := NewTransport(Backend{Name: "ns/app", Hostname: appHost, Port: 80}, Options{})
	if err == nil || !strings.Contains(err.Error(), "Resolver is nil") {
		t.Errorf("err = %v, want the missing resolver named", err)
	}
}
