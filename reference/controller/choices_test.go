package controller

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

// Each choice of the controller changes the status it writes or what it
// refuses.

func TestChoiceMeshAncestorEntry(t *testing.T) {
	accepted := []metav1.Condition{condition(ConditionAccepted, true, ReasonAccepted, "accepted", 1)}
	gw := []types.NamespacedName{{Namespace: "ns", Name: "gw"}}
	theirs := entry(other, "ns", "gw", metav1.ConditionTrue, metav1.Now().Time)
	parents := XBackendParents([]gatewayapi.Ancestor{theirs}, DefaultControllerName, "ns", gw, accepted, false)
	with := withMeshEntry(parents, DefaultControllerName, true, accepted)
	if len(with) != 3 || with[0].ControllerName != other {
		t.Fatalf("got %d entries %+v, want theirs, ours for gw, then ours for the mesh", len(with), with)
	}
	mesh := with[2]
	if _, isGateway := refGateway(mesh.Ref, "ns"); isGateway || !isMeshRef(mesh.Ref) || mesh.ControllerName != DefaultControllerName ||
		mesh.Conditions[0].Status != metav1.ConditionTrue {
		t.Errorf("last entry %+v, want ours, Accepted, for the XMesh %s", mesh, faults.MeshName)
	}
	// The next reconcile keeps our mesh entry as an entry of no Gateway:
	// the list comes out the same, so nothing is written again.
	again := withMeshEntry(XBackendParents(with, DefaultControllerName, "ns", gw, accepted, false), DefaultControllerName, true, accepted)
	if !equality.Semantic.DeepEqual(again, with) {
		t.Errorf("second reconcile gave %+v, want the same three entries", again)
	}
	if gone := withMeshEntry(XBackendParents(with, DefaultControllerName, "ns", nil, accepted, false), DefaultControllerName, false, accepted); len(gone) != 1 || gone[0].ControllerName != other {
		t.Errorf("without a Gateway of ours: %+v, want only theirs", gone)
	}
}

func TestChoiceEntryConditions(t *testing.T) {
	accepted := condition(ConditionAccepted, true, ReasonAccepted, "accepted: api.example is served", 4)
	if got := entryConditions(accepted, nil); len(got) != 1 || got[0].Message != accepted.Message {
		t.Errorf("without choices: %+v, want Accepted alone, as computed", got)
	}
	if got := entryConditions(accepted, faults.Set{faults.EmptyAcceptedMessage: true}); got[0].Message != "" {
		t.Errorf("empty-accepted-message kept message %q", got[0].Message)
	}
	refused := condition(ConditionAccepted, false, ReasonNoValidCACertificate, "caCertificateRefs[0]: ConfigMap ca not found", 4)
	if got := entryConditions(refused, faults.Set{faults.EmptyAcceptedMessage: true}); got[0].Message != refused.Message {
		t.Errorf("empty-accepted-message emptied a refusal's message: %+v", got[0])
	}
	extra := faults.Set{faults.ExtraXBackendConditions: true}
	for _, tc := range []struct {
		accepted                     metav1.Condition
		wantResolved, wantProgrammed metav1.ConditionStatus
	}{
		{accepted, metav1.ConditionTrue, metav1.ConditionTrue},
		{refused, metav1.ConditionFalse, metav1.ConditionFalse},
		{condition(ConditionAccepted, false, ReasonInvalid, "IP literal", 4), metav1.ConditionTrue, metav1.ConditionFalse},
	} {
		got := entryConditions(tc.accepted, extra)
		types := []string{got[0].Type, got[1].Type, got[2].Type}
		if !slices.Equal(types, []string{string(ConditionAccepted), "ResolvedRefs", ConditionVendorProgrammed}) ||
			got[1].Status != tc.wantResolved || got[2].Status != tc.wantProgrammed || got[2].ObservedGeneration != 4 {
			t.Errorf("Accepted %s/%s: %+v, want ResolvedRefs %s and %s %s at generation 4",
				tc.accepted.Status, tc.accepted.Reason, got, tc.wantResolved, ConditionVendorProgrammed, tc.wantProgrammed)
		}
	}
}

func TestChoiceVendorRefusalReasons(t *testing.T) {
	refs := testRefs(t)
	vendor := faults.Set{faults.VendorRefusalReasons: true}
	custom := func(s *xbackend.BackendSpec) {
		serverOnly()(s)
		kind := gatewayv1.WellKnownCACertificatesType("example.com/custom")
		s.TLS.Validation.WellKnownCACertificates = &kind
	}
	for _, tc := range []struct {
		name       string
		xb         *xbackend.XBackend
		want, with gatewayv1.PolicyConditionReason
	}{
		{"in-cluster name", external("api.ns.svc.cluster.local"), ReasonInvalid, ReasonRejected},
		{"MCP", external("api.xbcheck.test", protocol(xbackend.ProtocolMCP)), ReasonUnsupportedProtocol, ReasonRejected},
		{"unknown wellKnownCACertificates", external("api.xbcheck.test", custom), ReasonInvalid, ReasonInvalid},
		{"missing CA ConfigMap", external("api.xbcheck.test", serverOnly("nope")), ReasonNoValidCACertificate, ReasonNoValidCACertificate},
	} {
		_, r := Translator{}.Translate(tc.xb, refs)
		if r == nil {
			t.Fatalf("%s: not refused", tc.name)
		}
		if got := vendorReason(r, nil).Reason; got != tc.want {
			t.Errorf("%s: reason %s without the choice, want %s", tc.name, got, tc.want)
		}
		if got := vendorReason(r, vendor); got.Reason != tc.with || got.Message != r.Message {
			t.Errorf("%s: reason %s (%s) with vendor-refusal-reasons, want %s and the same message", tc.name, got.Reason, got.Message, tc.with)
		}
	}
}

func TestChoiceUnsupportedFeaturesAreRefused(t *testing.T) {
	refs := testRefs(t)
	session := func(s *xbackend.BackendSpec) { s.SessionPersistence = &xbackend.SessionPersistence{} }
	system := func(s *xbackend.BackendSpec) {
		serverOnly()(s)
		kind := gatewayv1.WellKnownCACertificatesSystem
		s.TLS.Validation.WellKnownCACertificates = &kind
	}
	for _, tc := range []struct {
		choice faults.Fault
		xb     *xbackend.XBackend
		reason gatewayv1.PolicyConditionReason
	}{
		{faults.NoWSS, external("api.xbcheck.test", serverOnly("ca"), protocol(xbackend.ProtocolWSS)), ReasonUnsupportedProtocol},
		{faults.NoMutualTLS, external("api.xbcheck.test", mtls("", "client")), ReasonInvalid},
		{faults.SingleCARefOnly, external("api.xbcheck.test", serverOnly("ca", "ca")), ReasonInvalid},
		{faults.NoSystemCAs, external("api.xbcheck.test", system), ReasonInvalid},
		{faults.NoSessionPersistence, selectorWith(session), ReasonInvalid},
	} {
		refs.Endpoints = nil
		if _, r := (Translator{}).Translate(tc.xb, refs); r != nil {
			t.Fatalf("%s: refused without the choice: %+v", tc.choice, r)
		}
		_, r := Translator{Faults: faults.Set{tc.choice: true}}.Translate(tc.xb, refs)
		if r == nil || r.Reason != tc.reason {
			t.Errorf("%s: refusal %+v, want reason %s", tc.choice, r, tc.reason)
		}
	}
	unclaimed := unclaimedFeatures(faults.Set{faults.NoWSS: true, faults.NoMutualTLS: true, faults.NoSessionPersistence: true})
	if len(unclaimed) != 3 {
		t.Fatalf("unclaimed features %v, want three", unclaimed)
	}
	for _, f := range unclaimed {
		if !slices.Contains(SupportedFeatures, f) {
			t.Errorf("unclaimed feature %s is not one the reference claims", f)
		}
	}
	if got := unclaimedFeatures(nil); got != nil {
		t.Errorf("without choices, unclaimed features %v", got)
	}
}

func selectorWith(mutate func(*xbackend.BackendSpec)) *xbackend.XBackend {
	xb := &xbackend.XBackend{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pods", Generation: 1}, Spec: xbackend.BackendSpec{
		Type: xbackend.TypeEndpointSelector, Port: 8080, EndpointSelector: &xbackend.EndpointSelectorBackend{MatchLabels: map[string]string{"app": "api"}},
	}}
	mutate(&xb.Spec)
	return xb
}

func TestChoiceRouteVendorCondition(t *testing.T) {
	conds := []metav1.Condition{condition(gatewayv1.RouteConditionAccepted, true, gatewayv1.RouteReasonAccepted, "accepted", 2)}
	if got := routeConditions(conds, 2, nil); len(got) != 1 {
		t.Errorf("without the choice: %+v", got)
	}
	got := routeConditions(conds, 2, faults.Set{faults.RouteVendorCondition: true})
	if len(got) != 2 || got[1].Type != ConditionVendorProgrammed || got[1].Status != metav1.ConditionTrue || got[1].ObservedGeneration != 2 {
		t.Errorf("with route-vendor-condition: %+v, want Accepted then %s=True at generation 2", got, ConditionVendorProgrammed)
	}
}

func TestChoiceServicePort80(t *testing.T) {
	xb := selectorWith(func(s *xbackend.BackendSpec) { s.Port = 8443 })
	for choice, want := range map[bool]int32{false: 8443, true: 80} {
		svc := (&Controllers{opts: Options{Faults: faults.Set{faults.ServicePort80: choice}}}).service(xb)
		if p := svc.Spec.Ports; len(p) != 1 || p[0].Port != want || p[0].TargetPort.IntValue() != 8443 {
			t.Errorf("service-port-80 %v: ports %+v, want port %d, targetPort 8443", choice, p, want)
		}
	}
}
