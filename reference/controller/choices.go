package controller

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

// The controller's choices (reference/faults.Choices): behaviours the API
// leaves open, switched on to prove no spec takes them for bugs.

// ConditionVendorProgrammed is the vendor condition the
// extra-xbackend-conditions and route-vendor-condition choices add.
const ConditionVendorProgrammed = "example.com/Programmed"

// ReasonRejected is the reason the vendor-refusal-reasons choice gives
// refusals whose reason the API does not name.
const ReasonRejected gatewayv1.PolicyConditionReason = "Rejected"

// prescribed marks r's reason as the one the API names for it.
func prescribed(r *Refusal) *Refusal {
	r.Prescribed = true
	return r
}

// vendorReason applies the vendor-refusal-reasons choice to r.
func vendorReason(r *Refusal, fs faults.Set) *Refusal {
	if r == nil || r.Prescribed || !fs.Has(faults.VendorRefusalReasons) {
		return r
	}
	if r.Reason == ReasonInvalid || r.Reason == ReasonUnsupportedProtocol {
		return &Refusal{Reason: ReasonRejected, Message: r.Message}
	}
	return r
}

// unsupported refuses what the no-wss, no-mutual-tls,
// no-session-persistence, single-ca-ref-only and no-system-cas choices
// leave unsupported.
func (t Translator) unsupported(spec xbackend.BackendSpec) *Refusal {
	fs := t.Faults
	if p := spec.Protocol; p != nil && *p == xbackend.ProtocolWSS && fs.Has(faults.NoWSS) {
		return refuse(ReasonUnsupportedProtocol, "protocol WSS is not supported by this gateway: use HTTP, HTTP11, HTTP2 or H2C")
	}
	if spec.SessionPersistence != nil && fs.Has(faults.NoSessionPersistence) {
		return refuse(ReasonInvalid, "sessionPersistence is not supported by this gateway: remove it")
	}
	tls := spec.TLS
	if tls == nil {
		return nil
	}
	if tls.Mode == xbackend.TLSModeClientAndServer && fs.Has(faults.NoMutualTLS) {
		return refuse(ReasonInvalid, "tls.mode ClientAndServer is not supported by this gateway: use ServerOnly")
	}
	v := tls.Validation
	if v == nil {
		return nil
	}
	if len(v.CACertificateRefs) > 1 && fs.Has(faults.SingleCARefOnly) {
		return refuse(ReasonInvalid, "%d caCertificateRefs: this gateway supports one; put every CA certificate in one ConfigMap", len(v.CACertificateRefs))
	}
	if v.WellKnownCACertificates != nil && fs.Has(faults.NoSystemCAs) {
		return prescribed(refuse(ReasonInvalid, "wellKnownCACertificates is not supported by this gateway: use caCertificateRefs"))
	}
	return nil
}

// unclaimedFeatures are the features the choices leave unsupported.
func unclaimedFeatures(fs faults.Set) []gatewayv1.FeatureName {
	var out []gatewayv1.FeatureName
	for choice, feature := range map[faults.Fault]gatewayv1.FeatureName{
		faults.NoWSS:                "ResourceBackendProtocolWSS",
		faults.NoMutualTLS:          "ResourceBackendMutualTLS",
		faults.NoSessionPersistence: "ResourceBackendSessionPersistence",
	} {
		if fs.Has(choice) {
			out = append(out, feature)
		}
	}
	return out
}

// entryConditions are the conditions of our XBackend status entries:
// accepted, with the empty-accepted-message and extra-xbackend-conditions
// choices applied.
func entryConditions(accepted metav1.Condition, fs faults.Set) []metav1.Condition {
	ok := accepted.Status == metav1.ConditionTrue
	if ok && fs.Has(faults.EmptyAcceptedMessage) {
		accepted.Message = ""
	}
	out := []metav1.Condition{accepted}
	if !fs.Has(faults.ExtraXBackendConditions) {
		return out
	}
	g := accepted.ObservedGeneration
	resolved := condition(gatewayv1.PolicyConditionType("ResolvedRefs"), true, gatewayv1.PolicyConditionReason("ResolvedRefs"), "every reference resolved", g)
	switch gatewayv1.PolicyConditionReason(accepted.Reason) {
	case ReasonNoValidCACertificate, ReasonInvalidKind, ReasonInvalidClientCertRef, ReasonClientCertNotPermitted:
		resolved = condition(gatewayv1.PolicyConditionType("ResolvedRefs"), false, accepted.Reason, accepted.Message, g)
	}
	programmed := condition(ConditionVendorProgrammed, true, "Programmed", "the data plane serves it", g)
	if !ok {
		programmed = condition(ConditionVendorProgrammed, false, "NotProgrammed", "the data plane does not serve it", g)
	}
	return append(out, resolved, programmed)
}

// meshRef is the XMesh the mesh-ancestor-entry choice's entry names.
func meshRef() gatewayv1.ParentReference {
	group := gatewayv1.Group("gateway.networking.x-k8s.io")
	kind := gatewayv1.Kind("XMesh")
	return gatewayv1.ParentReference{Group: &group, Kind: &kind, Name: faults.MeshName}
}

func isMeshRef(ref gatewayv1.ParentReference) bool {
	want := meshRef()
	return ref.Group != nil && *ref.Group == *want.Group && ref.Kind != nil && *ref.Kind == *want.Kind && ref.Name == want.Name
}

// withMeshEntry applies the mesh-ancestor-entry choice to parents: our
// entry for the XMesh comes last, with conditions, while used says a
// Gateway of ours uses the XBackend; else there is none.
func withMeshEntry(parents []gatewayapi.Ancestor, controller gatewayv1.GatewayController, used bool, conditions []metav1.Condition) []gatewayapi.Ancestor {
	ours := func(p gatewayapi.Ancestor) bool { return p.ControllerName == controller && isMeshRef(p.Ref) }
	var old []metav1.Condition
	if i := slices.IndexFunc(parents, ours); i >= 0 {
		old = parents[i].Conditions
	}
	out := slices.DeleteFunc(slices.Clone(parents), ours)
	if used {
		out = append(out, gatewayapi.Ancestor{ControllerName: controller, Ref: meshRef(), Conditions: setConditions(old, conditions...)})
	}
	return out
}

// routeConditions applies the route-vendor-condition choice to the
// conditions of a route's status entry.
func routeConditions(conditions []metav1.Condition, generation int64, fs faults.Set) []metav1.Condition {
	if !fs.Has(faults.RouteVendorCondition) {
		return conditions
	}
	return append(conditions, condition(ConditionVendorProgrammed, true, "Programmed", "the data plane serves the route's rules", generation))
}

// servicePort is the port of the Service of an EndpointSelector XBackend
// whose port.number is port: port, or 80 with the service-port-80 choice
// (the targetPort stays port).
func servicePort(port int32, fs faults.Set) int32 {
	if fs.Has(faults.ServicePort80) {
		return 80
	}
	return port
}
