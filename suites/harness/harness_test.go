package harness

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

func TestTimeouts(t *testing.T) {
	var to Timeouts
	if err := to.SetTimeout("traffic=2m"); err != nil || to.Traffic != 2*time.Minute {
		t.Fatalf("SetTimeout(traffic=2m): %v, Traffic %s", err, to.Traffic)
	}
	to = to.withDefaults()
	if to.Traffic != 2*time.Minute || to.Never != DefaultTimeouts().Never {
		t.Errorf("withDefaults overwrote a set value or left a zero: %+v", to)
	}
	for spec, want := range map[string]string{"Nope=1s": "unknown timeout", "Traffic": "NAME=DURATION", "Traffic=-1s": "NAME=DURATION"} {
		if err := to.SetTimeout(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SetTimeout(%q) = %v, want an error with %q", spec, err, want)
		}
	}
}

// Failure messages show values: no Go pointer may appear in them.
func TestDescriptionsShowValuesNotPointers(t *testing.T) {
	group, kind, ns, section := gatewayv1.Group(gatewayv1.GroupName), gatewayv1.Kind("Gateway"), gatewayv1.Namespace("team-a"), gatewayv1.SectionName("http")
	port := gatewayv1.PortNumber(8080)
	ref := gatewayv1.ParentReference{Group: &group, Kind: &kind, Namespace: &ns, Name: "gw", SectionName: &section, Port: &port}
	conds := []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionFalse, Reason: "Invalid", ObservedGeneration: 3}}
	for _, text := range []string{
		DescribeAncestors([]gatewayapi.Ancestor{{ControllerName: "example.com/gw", Ref: ref, Conditions: conds}}),
		DescribeRouteParents([]gatewayv1.RouteParentStatus{{ParentRef: ref, ControllerName: "example.com/gw", Conditions: conds}}),
	} {
		if strings.Contains(text, "0x") {
			t.Errorf("a pointer in %q", text)
		}
		for _, want := range []string{"Gateway team-a/gw section http port 8080", "Accepted=False (Invalid, generation 3)"} {
			if !strings.Contains(text, want) {
				t.Errorf("%q lacks %q", text, want)
			}
		}
	}
	if got := DescribeAncestors(nil); got != "none" {
		t.Errorf("no entries described as %q", got)
	}
}

func TestHostOnlyDropsThePort(t *testing.T) {
	got := []string{HostOnly("api.example.com:8080"), HostOnly("api.example.com"), HostOnly("192.0.2.15:8080"), HostOnly("[2001:db8::1]:443")}
	want := []string{"api.example.com", "api.example.com", "192.0.2.15", "2001:db8::1"}
	if !slices.Equal(got, want) {
		t.Errorf("HostOnly of host:port, host, IPv4:port and [IPv6]:port = %q, want %q", got, want)
	}
}
