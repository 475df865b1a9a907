package reference

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/reference/controller"
)

// convergence bounds how long the gateway may take to reconcile in tests;
// generous, as machines are shared and noisy.
const convergence = 60 * time.Second

// TestReferenceGateway applies a GatewayClass, a Gateway, a CA ConfigMap, a
// ServerOnly XBackend and HTTPRoutes as YAML, then checks traffic through
// the data plane and every status the gateway writes.
func TestReferenceGateway(t *testing.T) {
	for _, s := range gatewayapi.Schemas() {
		t.Run("Gateway API "+s.Version, func(t *testing.T) { testReferenceGateway(t, s.Version) })
	}
}

func testReferenceGateway(t *testing.T, version string) {
	e := startEnv(t, version)
	ctx := context.Background()
	const ns = "gateway-e2e"
	e.namespace(t, ns)
	v := e.vars(ns)
	e.apply(t, gatewayYAML, v)
	e.apply(t, caYAML, v)
	v.Name, v.Host = "api", "api.gateway.test"
	e.apply(t, xbackendYAML, v)
	e.apply(t, routeYAML, v)
	missing := v
	missing.Name, missing.Host = "absent", "absent.gateway.test"
	e.apply(t, routeYAML, missing)

	t.Run("a request through the route reaches the upstream over TLS with SNI = the hostname", func(t *testing.T) {
		g := NewWithT(t)
		var seen upstream.Observation
		g.Eventually(func(g Gomega) {
			code, body, err := e.get(v.Host, "/hello")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(code).To(Equal(http.StatusOK), "body: %s", body)
			g.Expect(json.Unmarshal(body, &seen)).To(Succeed())
		}).WithTimeout(convergence).WithPolling(50 * time.Millisecond).Should(Succeed())
		g.Expect(seen.SNI).To(Equal(upstreamHost))
		g.Expect(seen.Host).To(Equal(upstreamHost), "the Host header sent upstream defaults to the externalHostname")
		g.Expect(seen.Path).To(Equal("/hello"))
		g.Expect(seen.Token).To(Equal(e.upstream.Token()))
	})

	t.Run("the GatewayClass is Accepted and lists its supported features", func(t *testing.T) {
		g := NewWithT(t)
		g.Eventually(func(g Gomega) {
			var gc gatewayv1.GatewayClass
			g.Expect(e.client.Get(ctx, types.NamespacedName{Name: ns}, &gc)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(gc.Status.Conditions, string(gatewayv1.GatewayClassConditionStatusAccepted))).To(BeTrue(), "conditions: %v", gc.Status.Conditions)
			var names []gatewayv1.FeatureName
			for _, f := range gc.Status.SupportedFeatures {
				names = append(names, f.Name)
			}
			g.Expect(names).To(Equal(controller.SupportedFeatures))
		}).WithTimeout(convergence).Should(Succeed())
	})

	t.Run("the Gateway is Programmed with its data-plane address", func(t *testing.T) {
		g := NewWithT(t)
		g.Eventually(func(g Gomega) {
			var gw gatewayv1.Gateway
			g.Expect(e.client.Get(ctx, types.NamespacedName{Namespace: ns, Name: "gw"}, &gw)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(gw.Status.Conditions, string(gatewayv1.GatewayConditionAccepted))).To(BeTrue())
			g.Expect(meta.IsStatusConditionTrue(gw.Status.Conditions, string(gatewayv1.GatewayConditionProgrammed))).To(BeTrue(), "conditions: %v", gw.Status.Conditions)
			g.Expect(gw.Status.Addresses).To(ConsistOf(gatewayv1.GatewayStatusAddress{Type: ptrTo(gatewayv1.IPAddressType), Value: gatewayIP.String()}))
			g.Expect(gw.Status.Listeners).To(HaveLen(1))
			g.Expect(gw.Status.Listeners[0].AttachedRoutes).To(BeEquivalentTo(2))
			g.Expect(meta.IsStatusConditionTrue(gw.Status.Listeners[0].Conditions, string(gatewayv1.ListenerConditionProgrammed))).To(BeTrue())
		}).WithTimeout(convergence).Should(Succeed())
		addr, ok := e.gateway.Address(ns, "gw")
		g.Expect(ok).To(BeTrue())
		g.Expect(addr).To(Equal(gatewayIP))
	})

	t.Run("the route's parent is Accepted with ResolvedRefs=True", func(t *testing.T) {
		g := NewWithT(t)
		g.Eventually(func(g Gomega) {
			cond := routeCondition(g, e, ns, "api", gatewayv1.RouteConditionResolvedRefs)
			g.Expect(cond.Status).To(Equal(metav1.ConditionTrue), "ResolvedRefs: %+v", cond)
			cond = routeCondition(g, e, ns, "api", gatewayv1.RouteConditionAccepted)
			g.Expect(cond.Status).To(Equal(metav1.ConditionTrue), "Accepted: %+v", cond)
		}).WithTimeout(convergence).Should(Succeed())
	})

	t.Run("the XBackend has one parent: the Gateway, Accepted at the current generation", func(t *testing.T) {
		g := NewWithT(t)
		g.Eventually(func(g Gomega) {
			entries, generation := e.ancestors(g, ns, "api")
			g.Expect(entries).To(HaveLen(1))
			p := entries[0]
			g.Expect(p.ControllerName).To(Equal(controller.DefaultControllerName))
			g.Expect(p.Ref.Name).To(BeEquivalentTo("gw"))
			g.Expect(*p.Ref.Namespace).To(BeEquivalentTo(ns))
			g.Expect(*p.Ref.Kind).To(BeEquivalentTo("Gateway"))
			cond := meta.FindStatusCondition(p.Conditions, string(controller.ConditionAccepted))
			g.Expect(cond).NotTo(BeNil())
			g.Expect(cond.Status).To(Equal(metav1.ConditionTrue), "Accepted: %+v", cond)
			g.Expect(cond.ObservedGeneration).To(Equal(generation))
		}).WithTimeout(convergence).Should(Succeed())
	})

	t.Run("a route to a missing XBackend has ResolvedRefs=False BackendNotFound and answers 500", func(t *testing.T) {
		g := NewWithT(t)
		g.Eventually(func(g Gomega) {
			cond := routeCondition(g, e, ns, "absent", gatewayv1.RouteConditionResolvedRefs)
			g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(cond.Reason).To(Equal(string(gatewayv1.RouteReasonBackendNotFound)))
		}).WithTimeout(convergence).Should(Succeed())
		code, body, err := e.get(missing.Host, "/")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(code).To(Equal(http.StatusInternalServerError), "body: %s", body)
	})

	t.Run("a missing CA ConfigMap fails closed until it is created", func(t *testing.T) {
		g := NewWithT(t)
		late := v
		late.Name, late.Host, late.CAName = "late", "late.gateway.test", "late-ca"
		e.apply(t, xbackendYAML, late)
		e.apply(t, routeYAML, late)
		g.Eventually(func(g Gomega) {
			entries, _ := e.ancestors(g, ns, "late")
			g.Expect(entries).To(HaveLen(1))
			cond := meta.FindStatusCondition(entries[0].Conditions, string(controller.ConditionAccepted))
			g.Expect(cond).NotTo(BeNil())
			g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(cond.Reason).To(Equal(string(controller.ReasonNoValidCACertificate)))
		}).WithTimeout(convergence).Should(Succeed())
		before := len(e.upstream.Log().Entries())
		code, body, err := e.get(late.Host, "/")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(code).To(Equal(http.StatusInternalServerError), "body: %s", body)
		g.Expect(e.upstream.Log().Entries()).To(HaveLen(before), "the upstream saw a connection from a not-Accepted XBackend")

		e.apply(t, caYAML, late)
		g.Eventually(func(g Gomega) {
			code, body, err := e.get(late.Host, "/")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(code).To(Equal(http.StatusOK), "body: %s", body)
		}).WithTimeout(convergence).WithPolling(50 * time.Millisecond).Should(Succeed())
	})

	t.Run("deleting the only route removes our XBackend parent and the traffic", func(t *testing.T) {
		g := NewWithT(t)
		route := &gatewayv1.HTTPRoute{}
		route.Namespace, route.Name = ns, "api"
		g.Expect(e.client.Delete(ctx, route)).To(Succeed())
		g.Eventually(func(g Gomega) {
			entries, _ := e.ancestors(g, ns, "api")
			g.Expect(entries).To(BeEmpty())
			code, _, err := e.get(v.Host, "/")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(code).To(Equal(http.StatusNotFound))
		}).WithTimeout(convergence).Should(Succeed())
	})

	t.Run("the admin endpoint serves the secret token", func(t *testing.T) {
		g := NewWithT(t)
		resp, err := e.http.Get("http://" + e.gateway.AdminAddr().String() + "/")
		g.Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		var body [256]byte
		n, _ := resp.Body.Read(body[:])
		g.Expect(string(body[:n])).To(ContainSubstring(e.gateway.AdminToken()))
	})
}

// routeCondition returns our parent entry's condition typ of the route ns/name.
func routeCondition(g Gomega, e *env, ns, name string, typ gatewayv1.RouteConditionType) metav1.Condition {
	var route gatewayv1.HTTPRoute
	g.Expect(e.client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &route)).To(Succeed())
	for _, p := range route.Status.Parents {
		if p.ControllerName == controller.DefaultControllerName {
			if c := meta.FindStatusCondition(p.Conditions, string(typ)); c != nil {
				return *c
			}
		}
	}
	g.Expect(route.Status.Parents).NotTo(BeEmpty(), "no status.parents entry of ours on HTTPRoute %s/%s", ns, name)
	return metav1.Condition{}
}
