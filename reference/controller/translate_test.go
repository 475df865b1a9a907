package controller

import (
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/reference/dataplane"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

func external(host string, mutate ...func(*xbackend.BackendSpec)) *xbackend.XBackend {
	xb := &xbackend.XBackend{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "api", Generation: 1},
		Spec: xbackend.BackendSpec{
			Type:             xbackend.TypeExternalHostname,
			Port:             443,
			ExternalHostname: &xbackend.ExternalHostnameBackend{Hostname: host},
		},
	}
	for _, m := range mutate {
		m(&xb.Spec)
	}
	return xb
}

func serverOnly(caRefs ...string) func(*xbackend.BackendSpec) {
	return func(s *xbackend.BackendSpec) {
		s.TLS = &xbackend.BackendTLS{Mode: xbackend.TLSModeServerOnly, Validation: &gatewayv1.BackendTLSPolicyValidation{}}
		s.TLS.Validation.Hostname = "api.xbcheck.test"
		for _, name := range caRefs {
			s.TLS.Validation.CACertificateRefs = append(s.TLS.Validation.CACertificateRefs,
				gatewayv1.LocalObjectReference{Kind: "ConfigMap", Name: gatewayv1.ObjectName(name)})
		}
	}
}

func mtls(ns, secret string) func(*xbackend.BackendSpec) {
	return func(s *xbackend.BackendSpec) {
		serverOnly("ca")(s)
		s.TLS.Mode = xbackend.TLSModeClientAndServer
		s.TLS.ClientCertificateRef = &gatewayv1.SecretObjectReference{Name: gatewayv1.ObjectName(secret)}
		if ns != "" {
			s.TLS.ClientCertificateRef.Namespace = (*gatewayv1.Namespace)(&ns)
		}
	}
}

func protocol(p xbackend.BackendProtocol) func(*xbackend.BackendSpec) {
	return func(s *xbackend.BackendSpec) { s.Protocol = &p }
}

func testRefs(t *testing.T) References {
	t.Helper()
	ca, err := pki.NewAuthority("translate test CA")
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Issue(pki.LeafOptions{CommonName: "gateway", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	return References{
		ConfigMaps: map[string]*corev1.ConfigMap{
			"ca":    {Data: ca.ConfigMapData()},
			"empty": {Data: map[string]string{CAKey: "  \n"}},
		},
		Secrets: map[string]*corev1.Secret{"client": {Data: client.SecretData()}},
	}
}

func TestTranslateRefuses(t *testing.T) {
	refs := testRefs(t)
	for _, tc := range []struct {
		name   string
		xb     *xbackend.XBackend
		reason gatewayv1.PolicyConditionReason
		says   string
	}{
		{"IPv4 literal", external("10.0.0.1"), ReasonInvalid, "IP address"},
		{"short IPv4 literal", external("127.1"), ReasonInvalid, "IP address"},
		{"IPv4 as one number", external("2130706433"), ReasonInvalid, "IP address"},
		{"under the cluster domain", external("api.ns.svc.cluster.local"), ReasonInvalid, "cluster domain"},
		{"localhost", external("localhost"), ReasonInvalid, "localhost"},
		{"single label", external("kubernetes"), ReasonInvalid, "single-label"},
		{"short Service name", external("kubernetes.default.svc"), ReasonInvalid, ".svc"},
		{"missing CA ConfigMap", external("api.xbcheck.test", serverOnly("nope")), ReasonNoValidCACertificate, "not found"},
		{"empty CA ConfigMap", external("api.xbcheck.test", serverOnly("empty")), ReasonNoValidCACertificate, "has no ca.crt"},
		{"second CA ref missing", external("api.xbcheck.test", serverOnly("ca", "nope")), ReasonNoValidCACertificate, "caCertificateRefs[1]"},
		{"missing client Secret", external("api.xbcheck.test", mtls("", "nope")), ReasonInvalidClientCertRef, "not found"},
		{"client Secret in another namespace", external("api.xbcheck.test", mtls("other", "client")), ReasonClientCertNotPermitted, "another namespace"},
		{"MCP", external("api.xbcheck.test", protocol(xbackend.ProtocolMCP)), ReasonUnsupportedProtocol, "MCP"},
		{"H2C with TLS", external("api.xbcheck.test", serverOnly("ca"), protocol(xbackend.ProtocolH2C)), ReasonUnsupportedProtocol, "H2C"},
		{"HTTP2 without TLS", external("api.xbcheck.test", protocol(xbackend.ProtocolHTTP2)), ReasonUnsupportedProtocol, "HTTP2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r := Translator{}.Translate(tc.xb, refs)
			if r == nil {
				t.Fatal("accepted, want a refusal")
			}
			if r.Reason != tc.reason || !strings.Contains(r.Message, tc.says) {
				t.Errorf("refusal %s %q, want reason %s and a message saying %q", r.Reason, r.Message, tc.reason, tc.says)
			}
		})
	}
}

func TestTranslateAccepts(t *testing.T) {
	refs := testRefs(t)
	t.Run("ServerOnly with CA refs verifies against them with SNI = validation.hostname", func(t *testing.T) {
		xb := external("origin.xbcheck.test", serverOnly("ca"), protocol(xbackend.ProtocolHTTP2))
		b, r := Translator{}.Translate(xb, refs)
		if r != nil {
			t.Fatal(r.Message)
		}
		if b.Hostname != "origin.xbcheck.test" || b.Port != 443 || b.Protocol != dataplane.ProtocolHTTP2 ||
			b.TLS.SNI != "api.xbcheck.test" || len(b.TLS.CACertificates) != 1 || b.TLS.SystemRoots {
			t.Errorf("backend %+v, TLS %+v", b, b.TLS)
		}
	})
	t.Run("ServerOnly without validation verifies against the system roots and the hostname", func(t *testing.T) {
		xb := external("origin.xbcheck.test", func(s *xbackend.BackendSpec) {
			s.TLS = &xbackend.BackendTLS{Mode: xbackend.TLSModeServerOnly}
		})
		b, r := Translator{}.Translate(xb, refs)
		if r != nil {
			t.Fatal(r.Message)
		}
		if !b.TLS.SystemRoots || b.TLS.SNI != "origin.xbcheck.test" {
			t.Errorf("TLS %+v: want system roots and SNI origin.xbcheck.test", b.TLS)
		}
	})
	t.Run("ClientAndServer presents the Secret's certificate", func(t *testing.T) {
		b, r := Translator{}.Translate(external("api.xbcheck.test", mtls("ns", "client")), refs)
		if r != nil {
			t.Fatal(r.Message)
		}
		if b.TLS.ClientCertificate == nil || len(b.TLS.ClientCertificate.Certificate) == 0 {
			t.Error("no client certificate")
		}
	})
	t.Run("a custom cluster domain replaces cluster.local", func(t *testing.T) {
		if _, r := (Translator{ClusterDomain: "corp.internal"}).Translate(external("api.ns.svc.cluster.local"), refs); r != nil {
			t.Errorf("refused under cluster.local with cluster domain corp.internal: %s", r.Message)
		}
		if _, r := (Translator{ClusterDomain: "corp.internal"}).Translate(external("api.ns.svc.corp.internal"), refs); r == nil {
			t.Error("accepted a name under the custom cluster domain")
		}
	})
}

func TestTranslateFaults(t *testing.T) {
	refs := testRefs(t)
	if _, r := (Translator{Faults: faults.Set{faults.AcceptIPLiteral: true}}).Translate(external("127.1"), refs); r != nil {
		t.Errorf("accept-ip-literal: 127.1 refused: %s", r.Message)
	}
	if _, r := (Translator{Faults: faults.Set{faults.IgnoreClusterDomain: true}}).Translate(external("kubernetes.default.svc.cluster.local"), refs); r != nil {
		t.Errorf("ignore-cluster-domain: refused: %s", r.Message)
	}
}

func TestTranslateEndpointSelectorWithSession(t *testing.T) {
	name, permanent, timeout := "sticky", "Permanent", "1h"
	xb := &xbackend.XBackend{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pods"}, Spec: xbackend.BackendSpec{
		Type: xbackend.TypeEndpointSelector, Port: 8080,
		EndpointSelector:   &xbackend.EndpointSelectorBackend{MatchLabels: map[string]string{"app": "api"}},
		SessionPersistence: &xbackend.SessionPersistence{AbsoluteTimeout: &timeout, Cookie: &xbackend.CookieConfig{Name: &name, LifetimeType: &permanent}},
	}}
	eps := []netip.Addr{netip.MustParseAddr("10.244.1.5")}
	b, r := Translator{}.Translate(xb, References{Endpoints: eps})
	if r != nil {
		t.Fatalf("refused: %+v", r)
	}
	if !b.Selector || b.Hostname != "" || len(b.Endpoints) != 1 || b.Port != 8080 {
		t.Errorf("backend %+v", b)
	}
	if s := b.Session; s == nil || s.Type != dataplane.SessionCookie || s.Name != "sticky" || s.MaxAge.Hours() != 1 {
		t.Errorf("session %+v", b.Session)
	}
	xb.Spec.SessionPersistence.AbsoluteTimeout = nil
	if _, r := (Translator{}).Translate(xb, References{Endpoints: eps}); r == nil || r.Reason != ReasonInvalid {
		t.Errorf("a Permanent cookie without absoluteTimeout: %+v, want Invalid", r)
	}
	xb.Spec.SessionPersistence = nil
	xb.Spec.TLS = &xbackend.BackendTLS{Mode: xbackend.TLSModeServerOnly}
	if _, r := (Translator{}).Translate(xb, References{Endpoints: eps}); r == nil || !strings.Contains(r.Message, "validation.hostname") {
		t.Errorf("TLS with no name to verify: %+v, want a refusal", r)
	}
}
