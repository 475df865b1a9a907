package xbackend

import (
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fixtures/manifest"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

const endpointSelectorYAML = `apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackend
metadata: {name: pods, namespace: ns, generation: 3}
spec:
  type: EndpointSelector
  port: {number: 8443}
  endpointSelector: {matchLabels: {app: api, tier: web}}
  sessionPersistence: {type: Cookie, cookie: {name: sticky}}
  protocol: WSS
  tls: {mode: ServerOnly, validation: {hostname: api.example.com, wellKnownCACertificates: System}}
`

func TestDecodeReadsEitherSchema(t *testing.T) {
	for _, s := range gatewayapi.Schemas() {
		objs, err := manifest.Decode([]byte(endpointSelectorYAML))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Render(objs); err != nil {
			t.Fatal(err)
		}
		ns := gatewayv1.Namespace("ns")
		entry := gatewayapi.Ancestor{ControllerName: "example.com/gw", Ref: gatewayv1.ParentReference{Name: "gw", Namespace: &ns},
			Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", LastTransitionTime: metav1.Unix(1, 0).Rfc3339Copy()}}}
		patch, err := StatusPatch(s, "7", []gatewayapi.Ancestor{entry})
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if err := json.Unmarshal(patch, &body); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(patch), `"resourceVersion":"7"`) || !strings.Contains(string(patch), strings.TrimPrefix(s.StatusField(), "status.")) {
			t.Errorf("%s: status patch %s", s.Version, patch)
		}
		objs[0].Object["status"] = body["status"]

		xb, err := Decode(objs[0], s)
		if err != nil {
			t.Fatalf("%s: %v", s.Version, err)
		}
		spec := xb.Spec
		if xb.Name != "pods" || xb.Generation != 3 || spec.Type != TypeEndpointSelector || spec.Port != 8443 {
			t.Errorf("%s: decoded %s gen %d type %s port %d", s.Version, xb.Name, xb.Generation, spec.Type, spec.Port)
		}
		if spec.EndpointSelector == nil || spec.EndpointSelector.MatchLabels["tier"] != "web" || len(spec.EndpointSelector.MatchLabels) != 2 {
			t.Errorf("%s: endpointSelector %+v", s.Version, spec.EndpointSelector)
		}
		if spec.SessionPersistence == nil || *spec.SessionPersistence.Cookie.Name != "sticky" || *spec.Protocol != ProtocolWSS {
			t.Errorf("%s: sessionPersistence %+v protocol %v", s.Version, spec.SessionPersistence, spec.Protocol)
		}
		if spec.TLS == nil || spec.TLS.Validation == nil || spec.TLS.Validation.Hostname != "api.example.com" {
			t.Errorf("%s: tls %+v", s.Version, spec.TLS)
		}
		if len(xb.Ancestors) != 1 || xb.Ancestors[0].Ref.Name != "gw" {
			t.Errorf("%s: ancestors %+v", s.Version, xb.Ancestors)
		}
	}
}

func TestDecodeWithoutValidationBlock(t *testing.T) {
	objs, err := manifest.Decode([]byte("apiVersion: gateway.networking.x-k8s.io/v1alpha1\nkind: XBackend\nmetadata: {name: x}\nspec: {type: ExternalHostname, port: {port: 443}, externalHostname: {hostname: a.example.com}, tls: {mode: ServerOnly}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := gatewayapi.SchemaFor("v1.6.3")
	xb, err := Decode(objs[0], s)
	if err != nil {
		t.Fatal(err)
	}
	if xb.Spec.TLS.Validation != nil || xb.Spec.Port != 443 || xb.Spec.ExternalHostname.Hostname != "a.example.com" {
		t.Errorf("decoded %+v", xb.Spec)
	}
}
