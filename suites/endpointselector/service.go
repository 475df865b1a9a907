package endpointselector

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
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
// on every Service of the spec's namespace, once one is there: the
// implementation's.
func withServices(check func(ctx context.Context, s *harness.T, b *backend, svc *corev1.Service)) func(context.Context, *harness.T) {
	return func(ctx context.Context, s *harness.T) {
		b, first := newBackend(ctx, s, "web-1", nil, true)
		b.eventuallyServedByAll(ctx, first)
		By("finding the Services of the XBackend's namespace, which only the implementation makes")
		var list corev1.ServiceList
		s.Measure(ctx, s.Timeouts().Status, func(g Gomega) {
			g.Expect(s.Client().List(ctx, &list, client.InNamespace(s.Namespace))).To(Succeed())
			g.Expect(list.Items).NotTo(BeEmpty())
		})
		if len(list.Items) == 0 {
			Skip("the implementation made no Service for the EndpointSelector XBackend (v1.7.0's notes say it MAY); there is nothing to check")
		}
		var names []string
		for i := range list.Items {
			names = append(names, list.Items[i].Name)
		}
		s.Note("Services the implementation made: %s", strings.Join(names, ", "))
		for i := range list.Items {
			check(ctx, s, b, &list.Items[i])
		}
	}
}
