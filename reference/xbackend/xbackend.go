package xbackend

import (
	"context"
	"encoding/json"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	xv1alpha1 "sigs.k8s.io/gateway-api/apisx/v1alpha1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

// CRDName is the name of the XBackend CustomResourceDefinition.
const CRDName = "xbackends." + xv1alpha1.GroupName

// BackendType is spec.type.
type BackendType string

// Backend types: ExternalHostname (both releases), EndpointSelector (v1.7.0).
const (
	TypeExternalHostname BackendType = BackendType(xv1alpha1.BackendTypeExternalHostname)
	TypeEndpointSelector BackendType = "EndpointSelector"
)

// BackendProtocol is spec.protocol.
type BackendProtocol string

// Protocols; WSS is v1.7.0's.
const (
	ProtocolHTTP                   = BackendProtocol(xv1alpha1.BackendProtocolHTTP)
	ProtocolHTTP11                 = BackendProtocol(xv1alpha1.BackendProtocolHTTP11)
	ProtocolHTTP2                  = BackendProtocol(xv1alpha1.BackendProtocolHTTP2)
	ProtocolH2C                    = BackendProtocol(xv1alpha1.BackendProtocolH2C)
	ProtocolTCP                    = BackendProtocol(xv1alpha1.BackendProtocolTCP)
	ProtocolMCP                    = BackendProtocol(xv1alpha1.BackendProtocolMCP)
	ProtocolGRPC                   = BackendProtocol(xv1alpha1.BackendProtocolGRPC)
	ProtocolWSS    BackendProtocol = "WSS"
)

// BackendTLSMode is spec.tls.mode.
type BackendTLSMode string

// TLS modes.
const (
	TLSModeNone            = BackendTLSMode(xv1alpha1.BackendTLSModeNone)
	TLSModeServerOnly      = BackendTLSMode(xv1alpha1.BackendTLSModeServerOnly)
	TLSModeClientAndServer = BackendTLSMode(xv1alpha1.BackendTLSModeClientAndServer)
)

// XBackend is one XBackend, decoded from either schema.
type XBackend struct {
	metav1.ObjectMeta
	Spec BackendSpec
	// Ancestors are the status entries, whatever the schema calls them.
	Ancestors []gatewayapi.Ancestor
}

// BackendSpec is spec, the fields both releases share plus v1.7.0's;
// Port is the number wherever the schema keeps it.
type BackendSpec struct {
	Type               BackendType              `json:"type"`
	Port               int32                    `json:"-"`
	ExternalHostname   *ExternalHostnameBackend `json:"externalHostname,omitempty"`
	EndpointSelector   *EndpointSelectorBackend `json:"endpointSelector,omitempty"`
	SessionPersistence *SessionPersistence      `json:"sessionPersistence,omitempty"`
	Protocol           *BackendProtocol         `json:"protocol,omitempty"`
	TLS                *BackendTLS              `json:"tls,omitempty"`
}

// ExternalHostnameBackend is spec.externalHostname.
type ExternalHostnameBackend struct {
	Hostname string `json:"hostname"`
}

// EndpointSelectorBackend is v1.7.0's spec.endpointSelector: the pods whose
// labels include every one of MatchLabels, in the XBackend's namespace.
type EndpointSelectorBackend struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

// SessionPersistence is v1.7.0's spec.sessionPersistence (the shape of
// Gateway API v1.7.0's SessionPersistence, whose Go type this module lacks).
type SessionPersistence struct {
	AbsoluteTimeout *string       `json:"absoluteTimeout,omitempty"`
	Type            *string       `json:"type,omitempty"`
	Cookie          *CookieConfig `json:"cookie,omitempty"`
	Header          *HeaderConfig `json:"header,omitempty"`
}

// Session persistence types.
const (
	SessionCookie = "Cookie"
	SessionHeader = "Header"
)

// CookieConfig is sessionPersistence.cookie.
type CookieConfig struct {
	Name         *string `json:"name,omitempty"`
	Path         *string `json:"path,omitempty"`
	LifetimeType *string `json:"lifetimeType,omitempty"`
}

// HeaderConfig is sessionPersistence.header.
type HeaderConfig struct {
	Name string `json:"name"`
}

// BackendTLS is spec.tls. Validation is a pointer, so an XBackend written
// without a validation block reads as nil in both releases.
type BackendTLS struct {
	Mode                 BackendTLSMode                        `json:"mode"`
	ClientCertificateRef *gatewayv1.SecretObjectReference      `json:"clientCertificateRef,omitempty"`
	Validation           *gatewayv1.BackendTLSPolicyValidation `json:"validation,omitempty"`
}

// Decode reads u, an XBackend of schema s.
func Decode(u *unstructured.Unstructured, s gatewayapi.Schema) (*XBackend, error) {
	xb := &XBackend{}
	meta, _, err := unstructured.NestedMap(u.Object, "metadata")
	if err == nil {
		err = runtime.DefaultUnstructuredConverter.FromUnstructured(meta, &xb.ObjectMeta)
	}
	if err != nil {
		return nil, fmt.Errorf("XBackend %s/%s metadata: %w", u.GetNamespace(), u.GetName(), err)
	}
	spec, _, err := unstructured.NestedMap(u.Object, "spec")
	if err != nil {
		return nil, fmt.Errorf("XBackend %s/%s spec: %w", u.GetNamespace(), u.GetName(), err)
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &xb.Spec); err != nil {
		return nil, fmt.Errorf("XBackend %s/%s spec: %w", u.GetNamespace(), u.GetName(), err)
	}
	port, err := s.Port(u)
	if err != nil {
		return nil, err
	}
	xb.Spec.Port = int32(port)
	if xb.Ancestors, err = s.Ancestors(u); err != nil {
		return nil, err
	}
	return xb, nil
}

// Key is the XBackend's namespace and name.
func (xb *XBackend) Key() types.NamespacedName {
	return types.NamespacedName{Namespace: xb.Namespace, Name: xb.Name}
}

// Object is an empty unstructured XBackend, for watches and reads.
func Object() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gatewayapi.XBackend)
	return u
}

// List is an empty unstructured XBackend list.
func List() *unstructured.UnstructuredList {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(gatewayapi.XBackend.GroupVersion().WithKind(gatewayapi.XBackend.Kind + "List"))
	return l
}

// StatusPatch is a JSON merge patch of the status subresource setting
// exactly entries, guarded by resourceVersion.
func StatusPatch(s gatewayapi.Schema, resourceVersion string, entries []gatewayapi.Ancestor) ([]byte, error) {
	status, err := s.AncestorsPatch(entries)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": resourceVersion},
		"status":   status,
	})
}

// Installed reads the schema the cluster's XBackend CRD serves.
func Installed(ctx context.Context, c client.Reader) (gatewayapi.Schema, error) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := c.Get(ctx, client.ObjectKey{Name: CRDName}, crd); err != nil {
		return gatewayapi.Schema{}, fmt.Errorf("read the XBackend CRD %s: %w; install Gateway API's experimental CRDs", CRDName, err)
	}
	return gatewayapi.SchemaOf(crd)
}
