package suites

import (
	"net/http"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// Catalog group B: routing to an external host, and the status an
// implementation reports for it.
var _ = Describe("Routing", func() {
	It("routes plain HTTP to an external host on the XBackend's port", Scenario{"RoutingPlainHTTP", Must, FeatureExternalHostname}.Labels(), func(ctx SpecContext) {
		s := newSpec(ctx, "RoutingPlainHTTP")
		up := s.startUpstream(ctx, upstream.Config{TLS: upstream.TLSNone, Protocols: []upstream.Protocol{upstream.HTTP1}})
		s.resolveTo(up, 5)
		port := strconv.Itoa(int(up.Addr().Port()))
		s.apply(ctx, "common/gateway.yaml", nil)
		s.apply(ctx, "routing/plain-http.yaml", map[string]string{"Port": port})

		By("sending a request through the Gateway")
		r := s.eventuallyGet(ctx, s.gatewayAddress(ctx, "gw"), "/plain?probe=1", fromUpstream(up))
		By("checking the upstream saw cleartext HTTP on the XBackend's port")
		Expect(r.Upstream.TLSVersion).To(BeEmpty(), "the upstream saw TLS %s on a cleartext XBackend", r.Upstream.TLSVersion)
		Expect(r.Upstream.Protocol).To(Equal("HTTP/1.1"))
		Expect(r.Upstream.LocalAddr).To(HaveSuffix(":"+port), "the connection arrived on another port")
		Expect(r.Upstream.Path).To(Equal("/plain?probe=1"))
		Expect(r.Status).To(Equal(http.StatusOK))
	})
})
