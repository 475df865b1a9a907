package controller

import (
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

// condition builds a condition from the API's typed type and reason.
func condition[T, R ~string](typ T, ok bool, reason R, message string, generation int64) metav1.Condition {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	return metav1.Condition{Type: string(typ), Status: status, Reason: string(reason), Message: message, ObservedGeneration: generation}
}

// setConditions applies want over have, keeping lastTransitionTime of the
// conditions whose status did not change.
func setConditions(have []metav1.Condition, want ...metav1.Condition) []metav1.Condition {
	out := make([]metav1.Condition, 0, len(want))
	for _, c := range want {
		if old := meta.FindStatusCondition(have, c.Type); old != nil {
			out = append(out, *old)
		}
		meta.SetStatusCondition(&out, c)
	}
	return out
}

// gatewayParentRef is the parentRef an XBackend status entry names a Gateway by.
func gatewayParentRef(gw types.NamespacedName) gatewayv1.ParentReference {
	group := gatewayv1.Group(gatewayv1.GroupName)
	kind := gatewayv1.Kind("Gateway")
	ns := gatewayv1.Namespace(gw.Namespace)
	return gatewayv1.ParentReference{Group: &group, Kind: &kind, Namespace: &ns, Name: gatewayv1.ObjectName(gw.Name)}
}

// refGateway is the Gateway a status parentRef names, relative to the
// object's namespace; ok is false for other kinds.
func refGateway(ref gatewayv1.ParentReference, namespace string) (types.NamespacedName, bool) {
	if ref.Group != nil && *ref.Group != gatewayv1.GroupName || ref.Kind != nil && *ref.Kind != "Gateway" {
		return types.NamespacedName{}, false
	}
	if ref.Namespace != nil {
		namespace = string(*ref.Namespace)
	}
	return types.NamespacedName{Namespace: namespace, Name: string(ref.Name)}, true
}

// XBackendParents computes an XBackend's status entries (status.parents in
// v1.6.3, status.ancestors in v1.7.0): other controllers' entries are kept as they are and in place; ours are one per Gateway in
// gateways, each with conditions, Accepted first (lastTransitionTime kept
// when unchanged). keepStale (the keep-stale-parents fault) keeps our entries for
// Gateways that no longer use the XBackend.
func XBackendParents(have []gatewayapi.Ancestor, controller gatewayv1.GatewayController,
	namespace string, gateways []types.NamespacedName, conditions []metav1.Condition, keepStale bool,
) []gatewayapi.Ancestor {
	var out []gatewayapi.Ancestor
	ours := map[types.NamespacedName]gatewayapi.Ancestor{}
	for _, p := range have {
		gw, ok := refGateway(p.Ref, namespace)
		if p.ControllerName != controller || !ok {
			out = append(out, p)
			continue
		}
		ours[gw] = p
	}
	wanted := map[types.NamespacedName]bool{}
	for _, gw := range gateways {
		wanted[gw] = true
		out = append(out, gatewayapi.Ancestor{
			ControllerName: controller,
			Ref:            gatewayParentRef(gw),
			Conditions:     setConditions(ours[gw].Conditions, conditions...),
		})
	}
	if keepStale {
		for _, p := range have {
			gw, ok := refGateway(p.Ref, namespace)
			if p.ControllerName == controller && ok && !wanted[gw] {
				out = append(out, p)
			}
		}
	}
	return out
}

// RouteParents computes an HTTPRoute's status.parents the same way: other
// controllers' entries kept, ours replaced by want (conditions' transition
// times kept when unchanged).
func RouteParents(have []gatewayv1.RouteParentStatus, controller gatewayv1.GatewayController, want []gatewayv1.RouteParentStatus) []gatewayv1.RouteParentStatus {
	var out []gatewayv1.RouteParentStatus
	var ours []gatewayv1.RouteParentStatus
	for _, p := range have {
		if p.ControllerName == controller {
			ours = append(ours, p)
		} else {
			out = append(out, p)
		}
	}
	for _, w := range want {
		var old []metav1.Condition
		for _, p := range ours {
			if equality.Semantic.DeepEqual(p.ParentRef, w.ParentRef) {
				old = p.Conditions
			}
		}
		w.Conditions = setConditions(old, w.Conditions...)
		out = append(out, w)
	}
	return out
}
