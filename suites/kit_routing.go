package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	xv1alpha1 "sigs.k8s.io/gateway-api/apisx/v1alpha1"

	"github.com/xbcheck/xbcheck/fakes/canary"
)

// patchXBackend applies a JSON merge patch to the spec of XBackend name
// and returns the generation the API server gave the result. A merge patch,
// not a typed Update: the typed XBackend cannot express every shape.
func (s *spec) patchXBackend(ctx context.Context, name string, specPatch map[string]any) int64 {
	body, err := json.Marshal(map[string]any{"spec": specPatch})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	xb := &xv1alpha1.XBackend{}
	xb.Namespace, xb.Name = s.namespace, name
	ExpectWithOffset(1, k8sClient.Patch(ctx, xb, client.RawPatch(types.MergePatchType, body))).
		To(Succeed(), "patch XBackend %s/%s with %s", s.namespace, name, body)
	s.evidence.note("patched XBackend %s with %s: generation %d", name, body, xb.Generation)
	return xb.Generation
}

// addForeignParent writes into XBackend name's status.parents an entry of
// another controller, as a second implementation sharing the cluster would,
// keeping the entries already there (the list is atomic) and guarding the
// write with the resourceVersion read.
func (s *spec) addForeignParent(ctx context.Context, name string, entry xv1alpha1.BackendAncestorStatus) {
	EventuallyWithOffset(1, func(g Gomega) {
		xb := s.xbackend(ctx, g, name)
		body, err := json.Marshal(map[string]any{
			"metadata": map[string]any{"resourceVersion": xb.ResourceVersion},
			"status":   map[string]any{"parents": append(slices.Clone(xb.Status.Ancestors), entry)},
		})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(k8sClient.Status().Patch(ctx, xb, client.RawPatch(types.MergePatchType, body))).To(Succeed())
	}).WithContext(ctx).WithTimeout(config.Timeouts.Status).WithPolling(config.Timeouts.Poll).Should(Succeed(),
		"harness error: could not write another controller's entry into XBackend %s/%s status.parents", s.namespace, name)
	s.evidence.note("wrote a status.parents entry of controller %s for %s into XBackend %s", entry.ControllerName, entry.AncestorRef.Name, name)
}

// ourParents lists the status.parents entries of controller on xb.
func ourParents(xb *xv1alpha1.XBackend, controller gatewayv1.GatewayController) []xv1alpha1.BackendAncestorStatus {
	var out []xv1alpha1.BackendAncestorStatus
	for _, p := range xb.Status.Ancestors {
		if p.ControllerName == controller {
			out = append(out, p)
		}
	}
	return out
}

// parentNames names the Gateways of parent entries, for messages and
// matchers.
func parentNames(parents []xv1alpha1.BackendAncestorStatus) []string {
	var names []string
	for _, p := range parents {
		names = append(names, string(p.AncestorRef.Name))
	}
	slices.Sort(names)
	return names
}

// answeredWith matches a response with the given status code that no fake
// upstream produced (the Gateway answered itself).
func answeredWith(code int) func(Gomega, *response) {
	return func(g Gomega, r *response) {
		g.Expect(r.Status).To(Equal(code), "want HTTP %d from the Gateway itself, got %v", code, r)
		g.Expect(r.Upstream).To(BeNil(), "the request reached upstream %v", r.Upstream)
	}
}

// consistentlyNotServed probes the Gateway for the Never window on fresh
// connections: no probe may succeed or carry a fake's body (an upstream's
// observation, a canary's token), and the canaries see no connection. A
// probe whose connection fails served nothing.
func (s *spec) consistentlyNotServed(ctx context.Context, gateway, path string, canaries ...*canary.Canary) {
	var last *response
	ConsistentlyWithOffset(1, func(g Gomega) {
		if r, err := s.get(ctx, gateway, path); err == nil {
			last = r
			g.Expect(r.Status).To(BeNumerically(">=", http.StatusBadRequest), "a request was served: %v", r)
			g.Expect(r.Upstream).To(BeNil(), "a request reached upstream %v", r.Upstream)
			for _, c := range canaries {
				g.Expect(string(r.Body)).NotTo(ContainSubstring(c.Token()), "canary %s's token reached the client", c.Name())
			}
		}
		for _, c := range canaries {
			g.Expect(c.Hits()).To(BeEmpty(), "the implementation connected to canary %s at %v", c.Name(), c.Addrs())
		}
	}).WithContext(ctx).WithTimeout(config.Timeouts.Never).WithPolling(config.Timeouts.Poll).
		Should(Succeed(), func() string { return fmt.Sprintf("last response: %v", last) })
}

// measure polls f until it succeeds or timeout passes, and says which;
// it never fails the spec, so OBSERVE specs can wait for a value that may
// never come.
func measure(ctx context.Context, timeout time.Duration, f func(Gomega)) bool {
	g := NewGomega(func(string, ...int) {})
	return g.Eventually(f).WithContext(ctx).WithTimeout(timeout).WithPolling(config.Timeouts.Poll).Should(Succeed())
}

// routeCondition reads condType of HTTPRoute route for Gateway gateway,
// or nil when there is none computed for the route's current generation.
func (s *spec) routeCondition(ctx context.Context, route, gateway string, condType gatewayv1.RouteConditionType) *metav1.Condition {
	r := &gatewayv1.HTTPRoute{}
	if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: route}, r); err != nil {
		return nil
	}
	for _, p := range r.Status.Parents {
		if string(p.ParentRef.Name) != gateway {
			continue
		}
		if c := meta.FindStatusCondition(p.Conditions, string(condType)); c != nil && c.ObservedGeneration == r.Generation {
			return c
		}
	}
	return nil
}

// clusterDomain is the implementation's cluster DNS domain: the one the
// runner configured (--cluster-domain, or the reference gateway's), else
// the one CoreDNS serves (the zones of the kubernetes plugin in ConfigMap
// kube-system/coredns), or "" when nothing says.
func clusterDomain(ctx context.Context) string {
	if d := config.Environment.ClusterDomain; d != "" {
		return d
	}
	cm := &corev1.ConfigMap{}
	err := k8sClient.Get(ctx, client.ObjectKey{Namespace: "kube-system", Name: "coredns"}, cm)
	if apierrors.IsNotFound(err) {
		return ""
	}
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "read ConfigMap kube-system/coredns for the cluster's DNS domain")
	return corefileClusterDomain(cm.Data["Corefile"])
}

// corefileClusterDomain returns the first zone of the kubernetes plugin in
// a Corefile that is not a reverse zone, or "".
func corefileClusterDomain(corefile string) string {
	for line := range strings.SplitSeq(corefile, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != "kubernetes" {
			continue
		}
		for _, zone := range fields[1:] {
			if zone == "{" {
				break
			}
			zone = strings.Trim(zone, ".")
			if zone != "" && !strings.HasSuffix(zone, ".arpa") {
				return zone
			}
		}
	}
	return ""
}

// describeParents renders status.parents one entry a line for failure
// messages: controller, the Gateway named, and each condition.
func describeParents(parents []xv1alpha1.BackendAncestorStatus) string {
	if len(parents) == 0 {
		return "none"
	}
	var b strings.Builder
	for _, p := range parents {
		ns := "(same namespace)"
		if p.AncestorRef.Namespace != nil {
			ns = string(*p.AncestorRef.Namespace)
		}
		fmt.Fprintf(&b, "\n  %s for Gateway %s/%s:", p.ControllerName, ns, p.AncestorRef.Name)
		for _, c := range p.Conditions {
			fmt.Fprintf(&b, " %s=%s (%s, generation %d)", c.Type, c.Status, c.Reason, c.ObservedGeneration)
		}
	}
	return b.String()
}
