package controller

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/reference/dataplane"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

// Reasons of the XBackend Accepted condition. XBackend v1alpha1 defines no
// reasons of its own, so these reuse the API's policy and reference reasons.
const (
	ReasonAccepted               = gatewayv1.PolicyReasonAccepted
	ReasonInvalid                = gatewayv1.PolicyReasonInvalid // hostname or spec the gateway refuses
	ReasonUnsupportedProtocol    = gatewayv1.PolicyConditionReason(gatewayv1.RouteReasonUnsupportedProtocol)
	ReasonNoValidCACertificate   = gatewayv1.BackendTLSPolicyReasonNoValidCACertificate
	ReasonInvalidKind            = gatewayv1.BackendTLSPolicyReasonInvalidKind
	ReasonInvalidClientCertRef   = gatewayv1.PolicyConditionReason(gatewayv1.GatewayReasonInvalidClientCertificateRef)
	ReasonClientCertNotPermitted = gatewayv1.PolicyConditionReason(gatewayv1.GatewayReasonRefNotPermitted)
)

// ConditionAccepted is the one condition of an XBackend status.parents entry.
const ConditionAccepted = gatewayv1.PolicyConditionAccepted

// CAKey is the ConfigMap key that holds a caCertificateRefs bundle.
const CAKey = "ca.crt"

// Refusal is why an XBackend is not Accepted: it gets no transport.
type Refusal struct {
	Reason  gatewayv1.PolicyConditionReason
	Message string
	// Prescribed says the API names this reason for this refusal, so the
	// vendor-refusal-reasons choice keeps it.
	Prescribed bool
}

func refuse(reason gatewayv1.PolicyConditionReason, format string, args ...any) *Refusal {
	return &Refusal{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// References holds the objects an XBackend refers to, read from its own
// namespace by name (a missing name means the object does not exist), and
// the addresses of the ready pods an endpointSelector selects.
type References struct {
	ConfigMaps map[string]*corev1.ConfigMap
	Secrets    map[string]*corev1.Secret
	Endpoints  []netip.Addr
}

// Translator turns XBackends into data-plane Backends, refusing what the
// reference gateway must not serve.
type Translator struct {
	ClusterDomain string
	Faults        faults.Set // accept-ip-literal and ignore-cluster-domain act here
}

// Translate returns the Backend for xb, or why xb is refused.
func (t Translator) Translate(xb *xbackend.XBackend, refs References) (dataplane.Backend, *Refusal) {
	spec := xb.Spec
	b := dataplane.Backend{Name: xb.Namespace + "/" + xb.Name, Port: int(spec.Port)}
	switch {
	case spec.Type == xbackend.TypeExternalHostname && spec.ExternalHostname != nil:
		b.Hostname = spec.ExternalHostname.Hostname
		if r := t.checkHostname(b.Hostname); r != nil {
			return b, r
		}
	case spec.Type == xbackend.TypeEndpointSelector && spec.EndpointSelector != nil:
		b.Selector, b.Endpoints = true, refs.Endpoints
	default:
		return b, refuse(ReasonInvalid, "type %q is not supported: use ExternalHostname with externalHostname.hostname, or EndpointSelector with endpointSelector.matchLabels", spec.Type)
	}
	if r := t.unsupported(spec); r != nil {
		return b, r
	}
	if spec.Protocol != nil {
		switch p := *spec.Protocol; p {
		case xbackend.ProtocolHTTP, xbackend.ProtocolHTTP11,
			xbackend.ProtocolHTTP2, xbackend.ProtocolH2C, xbackend.ProtocolWSS,
			xbackend.ProtocolGRPC, xbackend.ProtocolTCP:
			b.Protocol = dataplane.Protocol(p)
		default:
			return b, refuse(ReasonUnsupportedProtocol, "protocol %s is not supported by the reference gateway: use HTTP, HTTP11, HTTP2, H2C, WSS, GRPC or TCP", p)
		}
	}
	if sp := spec.SessionPersistence; sp != nil {
		var r *Refusal
		if b.Session, r = t.session(sp); r != nil {
			return b, r
		}
		b.Session.OmitPath = t.Faults.Has(faults.SessionCookieNoPath)
		b.Session.Strict = t.Faults.Has(faults.SessionCookieStrict)
	}
	if spec.TLS != nil {
		var r *Refusal
		if b.TLS, r = translateTLS(xb, b.Hostname, refs, t.Faults); r != nil {
			return b, r
		}
	}
	if err := b.Validate(); err != nil {
		reason := ReasonInvalid
		if b.Protocol == dataplane.ProtocolH2C || b.Protocol == dataplane.ProtocolHTTP2 {
			reason = ReasonUnsupportedProtocol // H2C with TLS, HTTP2 without
		}
		return b, refuse(reason, "%v", err)
	}
	return b, nil
}

func (t Translator) checkHostname(host string) *Refusal {
	if ipLiteral(host) && !t.Faults.Has(faults.AcceptIPLiteral) {
		return refuse(ReasonInvalid, "externalHostname %q is an IP address, which XBackend does not allow: use a DNS name", host)
	}
	domain := t.ClusterDomain
	if domain == "" {
		domain = DefaultClusterDomain
	}
	if why := inClusterName(host, domain); why != "" && !t.Faults.Has(faults.IgnoreClusterDomain) {
		return refuse(ReasonInvalid, "externalHostname %q is not external: %s; use a Service backendRef for in-cluster targets", host, why)
	}
	return nil
}

func translateTLS(xb *xbackend.XBackend, hostname string, refs References, fs faults.Set) (*dataplane.TLS, *Refusal) {
	spec := xb.Spec.TLS
	out := &dataplane.TLS{Mode: dataplane.TLSMode(spec.Mode)}
	if spec.Mode == xbackend.TLSModeNone {
		return out, nil
	}
	v := spec.Validation
	if (v == nil || v.Hostname == "") && hostname == "" {
		return nil, refuse(ReasonInvalid, "tls.mode %s needs tls.validation.hostname for an EndpointSelector: its pods have no name to verify", spec.Mode)
	}
	if v == nil || v.Hostname == "" {
		// No validation block (v1.6.3 admits ServerOnly without one):
		// verify against the system roots and the externalHostname, never skip.
		out.SNI, out.SystemRoots = hostname, true
	} else {
		out.SNI = string(v.Hostname)
		if v.WellKnownCACertificates != nil {
			if *v.WellKnownCACertificates != gatewayv1.WellKnownCACertificatesSystem {
				return nil, prescribed(refuse(ReasonInvalid, "wellKnownCACertificates %q is not supported: use System or caCertificateRefs", *v.WellKnownCACertificates))
			}
			out.SystemRoots = true
		}
		for i, ref := range v.CACertificateRefs {
			if fs.Has(faults.CARefAnyKind) {
				ref.Group, ref.Kind = "", "ConfigMap"
			}
			bundle, r := checkedCABundle(i, ref, refs, fs)
			if r != nil {
				return nil, r
			}
			out.CACertificates = append(out.CACertificates, bundle)
		}
		for _, san := range v.SubjectAltNames {
			out.SubjectAltNames = append(out.SubjectAltNames, dataplane.SAN{
				Type: dataplane.SANType(san.Type), Hostname: string(san.Hostname), URI: string(san.URI),
			})
		}
	}
	if spec.Mode == xbackend.TLSModeClientAndServer {
		cert, r := clientCertificate(xb, refs)
		if r != nil {
			return nil, r
		}
		out.ClientCertificate = cert
	}
	return out, nil
}

// translateSession reads sessionPersistence: a cookie (its name, path,
// and a permanent lifetime's absoluteTimeout) or a header.
func translateSession(sp *xbackend.SessionPersistence) (*dataplane.Session, *Refusal) {
	s := &dataplane.Session{Type: dataplane.SessionCookie}
	if sp.Type != nil {
		s.Type = dataplane.SessionType(*sp.Type)
	}
	switch s.Type {
	case dataplane.SessionHeader:
		if sp.Header == nil || sp.Header.Name == "" {
			return nil, refuse(ReasonInvalid, "sessionPersistence type Header needs header.name")
		}
		s.Name = sp.Header.Name
	case dataplane.SessionCookie:
		if c := sp.Cookie; c != nil {
			if c.Name != nil {
				s.Name = *c.Name
			}
			if c.Path != nil {
				s.Path = *c.Path
			}
			if c.LifetimeType != nil && *c.LifetimeType == "Permanent" {
				if sp.AbsoluteTimeout == nil {
					return nil, refuse(ReasonInvalid, "a Permanent session cookie needs absoluteTimeout")
				}
				d, err := time.ParseDuration(*sp.AbsoluteTimeout)
				if err != nil {
					return nil, refuse(ReasonInvalid, "absoluteTimeout %q: %v", *sp.AbsoluteTimeout, err)
				}
				s.MaxAge = d
			}
		}
	default:
		return nil, refuse(ReasonInvalid, "sessionPersistence type %q is not supported: use Cookie or Header", s.Type)
	}
	return s, nil
}

func caBundle(i int, ref gatewayv1.LocalObjectReference, refs References) ([]byte, *Refusal) {
	if ref.Group != "" || ref.Kind != "ConfigMap" {
		return nil, refuse(ReasonInvalidKind, "caCertificateRefs[%d] is a %s/%s: only ConfigMaps (group \"\") are supported", i, ref.Group, ref.Kind)
	}
	cm, ok := refs.ConfigMaps[string(ref.Name)]
	if !ok {
		return nil, refuse(ReasonNoValidCACertificate, "caCertificateRefs[%d]: ConfigMap %s not found: create it with the CA certificate in %s", i, ref.Name, CAKey)
	}
	bundle := strings.TrimSpace(cm.Data[CAKey])
	if bundle == "" {
		return nil, refuse(ReasonNoValidCACertificate, "caCertificateRefs[%d]: ConfigMap %s has no %s: put the PEM CA certificate there", i, ref.Name, CAKey)
	}
	return []byte(bundle), nil
}

func clientCertificate(xb *xbackend.XBackend, refs References) (*tls.Certificate, *Refusal) {
	ref := xb.Spec.TLS.ClientCertificateRef
	if ref == nil {
		return nil, refuse(ReasonInvalidClientCertRef, "tls.mode ClientAndServer without clientCertificateRef: name a kubernetes.io/tls Secret")
	}
	if (ref.Group != nil && *ref.Group != "") || (ref.Kind != nil && *ref.Kind != "Secret") {
		return nil, refuse(ReasonInvalidClientCertRef, "clientCertificateRef must be a Secret (group \"\")")
	}
	if ref.Namespace != nil && string(*ref.Namespace) != xb.Namespace {
		return nil, refuse(ReasonClientCertNotPermitted, "clientCertificateRef Secret %s/%s is in another namespace: put the Secret in %s", *ref.Namespace, ref.Name, xb.Namespace)
	}
	s, ok := refs.Secrets[string(ref.Name)]
	if !ok {
		return nil, refuse(ReasonInvalidClientCertRef, "clientCertificateRef Secret %s not found: create it with tls.crt and tls.key", ref.Name)
	}
	cert, err := tls.X509KeyPair(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return nil, refuse(ReasonInvalidClientCertRef, "clientCertificateRef Secret %s: %v: check tls.crt and tls.key", ref.Name, err)
	}
	return &cert, nil
}
