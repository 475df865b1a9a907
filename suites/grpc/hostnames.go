package grpc

import (
	"context"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// hostnameScenarios pick the GRPCRoute, and so the XBackend, of a call by
// its :authority.
func hostnameScenarios() []harness.Scenario {
	return []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("GRPCRouteHostnamesSelectXBackend", verdict.FeatureGRPC),
		Description: "sends each call to the XBackend of the GRPCRoute whose hostname its :authority names, of two GRPCRoutes on one listener",
		Source:      apitext.GRPCHostnames,
		Releases:    v170,
		Run:         hostnamesSelect,
	}}
}

func hostnamesSelect(ctx context.Context, s *harness.T) {
	ups := map[string]*harness.Upstream{}
	s.ApplyGateway(ctx)
	for _, name := range []string{"one", "two"} {
		host := name + "." + s.Hostname
		up := s.StartUpstream(ctx, harness.UpstreamConfig{Role: name, Hostname: host, TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.H2C}})
		s.Answer(ctx, host, dns.Static(dns.Records(5, "A "+up.Host())))
		s.Apply(ctx, "grpc-by-hostname.yaml", map[string]string{"Name": name, "Host": host, "Port": up.Port()})
		ups[name] = up
	}
	gw := s.GatewayAddress(ctx, "gw")
	for _, name := range []string{"one", "two"} {
		authority := name + ".routes." + s.Hostname // as grpc-by-hostname.yaml writes it
		By(fmt.Sprintf("calling with :authority %s: GRPCRoute %s's XBackend must answer", authority, name))
		var last error
		Eventually(func(g Gomega) {
			obs, err := s.CallGRPCAs(ctx, gw, authority)
			last = err
			g.Expect(err).NotTo(HaveOccurred(), "the gRPC call through the Gateway failed")
			g.Expect(obs.Token).To(Equal(ups[name].Token), "the call for %s reached upstream %s", authority, obs.Role)
		}).WithContext(ctx).WithTimeout(s.Timeouts().Traffic).WithPolling(s.Timeouts().Poll).Should(Succeed(), func() string {
			return fmt.Sprintf("last error: %v; XBackend %s Accepted: %s", last, name, s.AcceptedSummary(ctx, name, "gw"))
		})
	}
}
