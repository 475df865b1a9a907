package harness

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

func ref(group, kind *string, name string) gatewayv1.ParentReference {
	return gatewayv1.ParentReference{Group: (*gatewayv1.Group)(group), Kind: (*gatewayv1.Kind)(kind), Name: gatewayv1.ObjectName(name)}
}

func ptr(s string) *string { return &s }

func TestOnlyGatewayEntriesAreJudgedAsGateways(t *testing.T) {
	const ours, theirs = gatewayv1.GatewayController("example.com/ours"), gatewayv1.GatewayController("example.com/theirs")
	accepted := []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue}}
	entries := []gatewayapi.Ancestor{
		{ControllerName: ours, Ref: ref(nil, nil, "gw"), Conditions: accepted},                                           // defaults: a Gateway
		{ControllerName: ours, Ref: ref(ptr(gatewayv1.GroupName), ptr("Gateway"), "gw2"), Conditions: accepted},          // spelled out
		{ControllerName: ours, Ref: ref(ptr("gateway.networking.x-k8s.io"), ptr("XMesh"), "mesh"), Conditions: accepted}, // a mesh
		{ControllerName: ours, Ref: ref(ptr(""), ptr("Service"), "gw3"), Conditions: accepted},                           // the core group: a Service
		{ControllerName: ours, Ref: ref(ptr("example.com"), nil, "gw4"), Conditions: accepted},                           // another group's kind
		{ControllerName: theirs, Ref: ref(nil, nil, "gw5"), Conditions: accepted},
	}
	if got := GatewayNames(OfController(entries, ours)); !slices.Equal(got, []string{"gw", "gw2"}) {
		t.Errorf("GatewayNames = %v, want gw and gw2: the mesh, the Service and example.com's kind are no Gateways", got)
	}
	if got := GatewayEntries(entries, ours); len(got) != 2 {
		t.Errorf("GatewayEntries kept %d entries, want 2", len(got))
	}
	for _, name := range []string{"gw", "gw2"} {
		if Accepted(entries, ours, "ns", name) == nil {
			t.Errorf("no Accepted condition found for Gateway %s", name)
		}
	}
	for _, name := range []string{"mesh", "gw3", "gw4", "gw5"} {
		if c := Accepted(entries, ours, "ns", name); c != nil {
			t.Errorf("the entry for %s was taken for our Gateway's: %+v", name, c)
		}
	}
}
