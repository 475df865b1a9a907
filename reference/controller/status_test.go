package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

const other gatewayv1.GatewayController = "example.net/other-gateway"

func entry(controller gatewayv1.GatewayController, ns, gw string, status metav1.ConditionStatus, since time.Time) gatewayapi.Ancestor {
	return gatewayapi.Ancestor{
		ControllerName: controller,
		Ref:            gatewayParentRef(types.NamespacedName{Namespace: ns, Name: gw}),
		Conditions: []metav1.Condition{{Type: string(ConditionAccepted), Status: status, Reason: string(ReasonAccepted),
			ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(since)}},
	}
}

func TestXBackendParents(t *testing.T) {
	long := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	theirs := entry(other, "ns", "gw-a", metav1.ConditionFalse, long)
	have := []gatewayapi.Ancestor{
		theirs,
		entry(DefaultControllerName, "ns", "gw-a", metav1.ConditionTrue, long),
		entry(DefaultControllerName, "ns", "gone", metav1.ConditionTrue, long),
	}
	accepted := condition(ConditionAccepted, true, ReasonAccepted, "accepted", 2)
	gateways := []types.NamespacedName{{Namespace: "ns", Name: "gw-a"}, {Namespace: "edge", Name: "gw-b"}}

	got := XBackendParents(have, DefaultControllerName, "ns", gateways, []metav1.Condition{accepted}, false)
	if len(got) != 3 {
		t.Fatalf("got %d entries, want theirs and one per Gateway: %+v", len(got), got)
	}
	if got[0].ControllerName != other || got[0].Conditions[0].Status != metav1.ConditionFalse {
		t.Errorf("the other controller's entry changed: %+v", got[0])
	}
	for i, gw := range gateways {
		p := got[i+1]
		ref, _ := refGateway(p.Ref, "ns")
		if p.ControllerName != DefaultControllerName || ref != gw {
			t.Errorf("entry %d is %s for %v, want ours for %v", i+1, p.ControllerName, ref, gw)
		}
		if c := p.Conditions[0]; c.ObservedGeneration != 2 || c.Status != metav1.ConditionTrue {
			t.Errorf("entry %d condition %+v, want True at generation 2", i+1, c)
		}
	}
	if !got[1].Conditions[0].LastTransitionTime.Time.Equal(long) {
		t.Errorf("an unchanged status moved lastTransitionTime to %v", got[1].Conditions[0].LastTransitionTime)
	}
	if got[2].Conditions[0].LastTransitionTime.IsZero() {
		t.Error("a new entry has no lastTransitionTime")
	}

	refused := condition(ConditionAccepted, false, ReasonInvalid, "IP", 3)
	got = XBackendParents(have, DefaultControllerName, "ns", gateways[:1], []metav1.Condition{refused}, false)
	if c := got[1].Conditions[0]; c.Status != metav1.ConditionFalse || c.LastTransitionTime.Time.Equal(long) {
		t.Errorf("a status change kept the old transition time: %+v", c)
	}

	got = XBackendParents(have, DefaultControllerName, "ns", nil, []metav1.Condition{accepted}, false)
	if len(got) != 1 || got[0].ControllerName != other {
		t.Errorf("with no Gateway using it, want only the other controller's entry, got %+v", got)
	}
	got = XBackendParents(have, DefaultControllerName, "ns", nil, []metav1.Condition{accepted}, true)
	if len(got) != 3 {
		t.Errorf("keep-stale-parents: want our old entries kept, got %+v", got)
	}
}

func TestRouteParents(t *testing.T) {
	long := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	ref := gatewayv1.ParentReference{Name: "gw"}
	theirs := gatewayv1.RouteParentStatus{ParentRef: ref, ControllerName: other}
	ours := gatewayv1.RouteParentStatus{ParentRef: ref, ControllerName: DefaultControllerName, Conditions: []metav1.Condition{
		{Type: string(gatewayv1.RouteConditionAccepted), Status: metav1.ConditionTrue, Reason: "Accepted", LastTransitionTime: metav1.NewTime(long)},
	}}
	stale := gatewayv1.RouteParentStatus{ParentRef: gatewayv1.ParentReference{Name: "old"}, ControllerName: DefaultControllerName}
	want := gatewayv1.RouteParentStatus{ParentRef: ref, ControllerName: DefaultControllerName, Conditions: []metav1.Condition{
		condition(gatewayv1.RouteConditionAccepted, true, gatewayv1.RouteReasonAccepted, "accepted", 4),
		condition(gatewayv1.RouteConditionResolvedRefs, false, gatewayv1.RouteReasonBackendNotFound, "missing", 4),
	}}
	got := RouteParents([]gatewayv1.RouteParentStatus{theirs, ours, stale}, DefaultControllerName, []gatewayv1.RouteParentStatus{want})
	if len(got) != 2 || got[0].ControllerName != other || got[1].ControllerName != DefaultControllerName {
		t.Fatalf("got %+v, want theirs then our one entry", got)
	}
	if c := got[1].Conditions[0]; !c.LastTransitionTime.Time.Equal(long) || c.ObservedGeneration != 4 {
		t.Errorf("Accepted %+v: want the old transition time and generation 4", c)
	}
	if c := got[1].Conditions[1]; c.Reason != string(gatewayv1.RouteReasonBackendNotFound) || c.LastTransitionTime.IsZero() {
		t.Errorf("ResolvedRefs %+v", c)
	}
}
