package endpointselector

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// serviceScenarios check the Service an implementation makes for an
// EndpointSelector XBackend, which v1.7.0's notes for implementers allow
// ("MAY create a Service") and then constrain. Each finds it in the spec's
// namespace, where the harness creates none: an implementation that makes
// none skips them, saying so.
func serviceScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("EndpointSelectorServiceGenerateName", verdict.FeatureResourceBackend),
		Description: "names the Service it makes for an EndpointSelector with generateName, never a predictable name",
		Source:      apitext.ServiceGenerateName,
		Run: withServices(func(ctx context.Context, s *harness.T, b *backend, svc *corev1.Service) {
			Expect(svc.GenerateName).NotTo(BeEmpty(), "Service %s has no metadata.generateName: its name was chosen, not generated", svc.Name)
			Expect(svc.Name).To(HavePrefix(svc.GenerateName), "Service %s is not named from its generateName %q", svc.Name, svc.GenerateName)
			Expect(len(svc.Name)).To(BeNumerically(">", len(svc.GenerateName)), "Service %s has no generated suffix", svc.Name)
			Expect(svc.Name).NotTo(Equal("pods-backend"), "Service %s has the predictable name <backend-name>-backend", svc.Name)
		}),
	}, {
		Scenario:    verdict.Should.Scenario("EndpointSelectorServiceHeadless", verdict.FeatureResourceBackend),
		Description: "makes the Service for an EndpointSelector headless (clusterIP: None)",
		Source:      apitext.ServiceHeadless,
		Run: withServices(func(ctx context.Context, s *harness.T, b *backend, svc *corev1.Service) {
			Expect(svc.Spec.ClusterIP).To(Equal(corev1.ClusterIPNone), "Service %s has clusterIP %q", svc.Name, svc.Spec.ClusterIP)
		}),
	}, {
		Scenario:    verdict.Should.Scenario("EndpointSelectorServiceOwnedByXBackend", verdict.FeatureResourceBackend),
		Description: "ties the Service's lifecycle to the XBackend with an ownerReference",
		Source:      apitext.ServiceOwnerReferences,
		Run: withServices(func(ctx context.Context, s *harness.T, b *backend, svc *corev1.Service) {
			xb := s.XBackend(ctx, Default, "pods")
			Expect(svc.OwnerReferences).To(ContainElement(SatisfyAll(
				HaveField("Kind", gatewayapi.XBackend.Kind),
				HaveField("APIVersion", gatewayapi.XBackend.GroupVersion().String()),
				HaveField("Name", "pods"),
				HaveField("UID", xb.GetUID()),
			)), "Service %s has no ownerReference to XBackend pods (uid %s): %v", svc.Name, xb.GetUID(), svc.OwnerReferences)
		}),
	}, {
		Scenario:    verdict.Should.Scenario("EndpointSelectorServiceTargetPort", verdict.FeatureResourceBackend),
		Description: "sets the targetPort of the Service's ports to the XBackend's port.number",
		Source:      apitext.ServiceTargetPort,
		Run: withServices(func(ctx context.Context, s *harness.T, b *backend, svc *corev1.Service) {
			Expect(svc.Spec.Ports).NotTo(BeEmpty(), "Service %s has no port", svc.Name)
			for _, p := range svc.Spec.Ports {
				Expect(p.TargetPort.IntValue()).To(Equal(b.port), "Service %s port %d has targetPort %s", svc.Name, p.Port, p.TargetPort.String())
			}
		}),
	}}
}

// withServices serves the XBackend "pods" from a ready pod, then runs check
// on every Service the implementation made for it, once one is there: a
// Service of the spec's namespace (where the harness creates none) that
// selects the XBackend's pods or is owned by it. Others the implementation
// may make there, such as one exposing the spec's Gateway, are left out,
// and named.
func withServices(check func(ctx context.Context, s *harness.T, b *backend, svc *corev1.Service)) func(context.Context, *harness.T) {
	return func(ctx context.Context, s *harness.T) {
		b, first := newBackend(ctx, s, "web-1", nil, true)
		b.eventuallyServedByAll(ctx, first)
		By("finding the Services of the XBackend's namespace that select its pods or are owned by it, which only the implementation makes")
		xb := s.XBackend(ctx, Default, "pods")
		var found []corev1.Service
		var others []string
		s.Measure(ctx, s.Timeouts().Status, func(g Gomega) {
			var list corev1.ServiceList
			g.Expect(s.Client().List(ctx, &list, client.InNamespace(s.Namespace))).To(Succeed())
			found, others = nil, nil
			for _, svc := range list.Items {
				if forBackend(&svc, selected(b.app), xb.GetUID()) {
					found = append(found, svc)
				} else {
					others = append(others, svc.Name)
				}
			}
			g.Expect(found).NotTo(BeEmpty())
		})
		if len(others) > 0 {
			s.Note("Services of the namespace not for the XBackend (they neither select its pods nor are owned by it): %s", strings.Join(others, ", "))
		}
		if len(found) == 0 {
			Skip("the implementation made no Service for the EndpointSelector XBackend (v1.7.0's notes say it MAY); there is nothing to check")
		}
		var names []string
		for i := range found {
			names = append(names, found[i].Name)
		}
		s.Note("Services the implementation made for the XBackend: %s", strings.Join(names, ", "))
		for i := range found {
			check(ctx, s, b, &found[i])
		}
	}
}

// forBackend says whether svc is a Service for the EndpointSelector with
// matchLabels: owned by the XBackend (uid), or selecting the pods carrying
// the matchLabels (a selector of some or all of them, and no other label).
func forBackend(svc *corev1.Service, matchLabels map[string]string, uid types.UID) bool {
	for _, o := range svc.OwnerReferences {
		if o.UID == uid {
			return true
		}
	}
	if len(svc.Spec.Selector) == 0 {
		return false
	}
	for k, v := range svc.Spec.Selector {
		if matchLabels[k] != v {
			return false
		}
	}
	return true
}
