package tcp

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// tcpRouteV1 is the TCPRoute kind of v1.7.0, the release of this group.
var tcpRouteV1 = schema.GroupVersionKind{Group: gatewayv1.GroupName, Version: "v1", Kind: "TCPRoute"}

// statusScenarios check what a TCPRoute to an XBackend is told in status.
func statusScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("TCPRouteAcceptedByGateway", verdict.FeatureTCP),
		Description: "sets Accepted=True for its Gateway on a TCPRoute to an XBackend that it relays",
		Source:      apitext.RouteAccepted,
		Releases:    v170,
		Run:         routeAccepted,
	}}
}

func routeAccepted(ctx context.Context, s *harness.T) {
	up, gw := serve(ctx, s, upstream.TLSNone, "tcp-cleartext.yaml")
	eventuallyRelayed(ctx, s, gw, up)
	By("checking TCPRoute to-external has Accepted=True for gw, from the Gateway's controller")
	var last []gatewayv1.RouteParentStatus
	Eventually(func(g Gomega) {
		last = tcpRouteParents(ctx, s, g, "to-external")
		var accepted *metav1.Condition
		for _, p := range last {
			if string(p.ParentRef.Name) == "gw" && p.ControllerName == s.Env().ControllerName {
				accepted = meta.FindStatusCondition(p.Conditions, string(gatewayv1.RouteConditionAccepted))
			}
		}
		g.Expect(accepted).NotTo(BeNil(), "the Gateway's controller set no Accepted condition for gw on the TCPRoute it relays")
		g.Expect(accepted.Status).To(Equal(metav1.ConditionTrue), "the TCPRoute is relayed, yet Accepted is %s (%s)", accepted.Status, accepted.Reason)
	}).WithContext(ctx).WithTimeout(s.Timeouts().Status).WithPolling(s.Timeouts().Poll).
		Should(Succeed(), func() string { return "TCPRoute status.parents seen last: " + harness.DescribeRouteParents(last) })
}

// tcpRouteParents reads the status.parents of the spec's TCPRoute name.
func tcpRouteParents(ctx context.Context, s *harness.T, g Gomega, name string) []gatewayv1.RouteParentStatus {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(tcpRouteV1)
	g.Expect(s.Client().Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, u)).To(Succeed(), "read TCPRoute %s", name)
	raw, _, _ := unstructured.NestedFieldNoCopy(u.Object, "status")
	var st gatewayv1.RouteStatus
	if m, ok := raw.(map[string]any); ok {
		g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(m, &st)).To(Succeed(), "TCPRoute %s status", name)
	}
	return st.Parents
}
