package tcp

import (
	"context"
	"embed"
	"fmt"
	"net"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

//go:embed *.yaml
var manifests embed.FS

// v170 limits the group to the release whose XBackend has protocol TCP
// next to a TCPRoute v1 that may name it.
var v170 = harness.Releases{Since: "v1.7.0", Why: "TCPRoute v1, whose backendRefs may name an XBackend, and XBackend protocol TCP"}

// ListenerPort is the port of the TCP listener of every spec's Gateway.
const ListenerPort = 9000

// Family is the TCP group.
func Family() harness.Family {
	scenarios := []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("TCPReachesUpstream", verdict.FeatureTCP),
		Description: "relays a TCPRoute's connection to the external host, both ways, in cleartext when the XBackend has no tls",
		Source:      apitext.TCP,
		Run:         reaches,
	}, {
		Scenario:    verdict.Must.Scenario("TCPOverVerifiedTLS", verdict.FeatureTCP),
		Description: "relays a TCPRoute's connection over TLS originated to the external host, with the validation hostname as SNI",
		Source:      apitext.ServerOnly,
		Run:         overTLS,
	}, {
		Scenario:    verdict.Must.Scenario("TCPRejectsUntrustedServer", verdict.FeatureTCP, verdict.FailClosed),
		Description: "relays nothing to a server whose certificate the validation does not trust",
		Source:      apitext.ServerOnly,
		Run:         rejectsUntrusted,
	}, {
		Scenario:    verdict.Should.Scenario("TCPGuardrailRefusesLoopback", verdict.FeatureTCP, verdict.FailClosed),
		Description: "never dials the Gateway's own loopback for a hostname DNS answers with it",
		Source:      apitext.Guardrails,
		Run:         guardrail,
	}}
	for i := range scenarios {
		scenarios[i].Releases = v170
	}
	scenarios = append(scenarios, statusScenarios()...)
	return harness.Family{Name: "TCP", Manifests: manifests, Scenarios: scenarios}
}

// route applies the spec's TCP Gateway and manifest to port and returns
// the Gateway's TCP listener address.
func route(ctx context.Context, s *harness.T, manifest string, port string) string {
	GinkgoHelper()
	applyGateway(ctx, s)
	return routeTo(ctx, s, manifest, port)
}

// applyGateway applies the spec's TCP Gateway.
func applyGateway(ctx context.Context, s *harness.T) {
	GinkgoHelper()
	s.Apply(ctx, "gateway-tcp.yaml", map[string]string{"TCPPort": strconv.Itoa(ListenerPort)})
}

// routeTo applies the manifest to port on the Gateway applyGateway applied
// and returns its TCP listener address.
func routeTo(ctx context.Context, s *harness.T, manifest string, port string) string {
	GinkgoHelper()
	s.Apply(ctx, manifest, map[string]string{"Port": port})
	return s.GatewayAddress(ctx, "gw")
}

// serve starts a TCP upstream in mode, resolvable at the spec's hostname,
// the CA ConfigMap when it speaks TLS, and the route to it.
func serve(ctx context.Context, s *harness.T, mode upstream.TLSMode, manifest string) (*harness.Upstream, string) {
	GinkgoHelper()
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: mode, Protocols: []upstream.Protocol{upstream.TCP}})
	s.ResolveTo(ctx, up, 5)
	if mode != upstream.TLSNone {
		s.CreateCAConfigMap(ctx, "ca", s.CA())
	}
	return up, route(ctx, s, manifest, up.Port())
}

// eventuallyRelayed dials gw until the upstream's greeting comes back
// through it, then checks an echo both ways.
func eventuallyRelayed(ctx context.Context, s *harness.T, gw string, up *harness.Upstream) *upstream.Observation {
	GinkgoHelper()
	By("opening a TCP connection through the Gateway until the upstream greets")
	var c net.Conn
	var obs *upstream.Observation
	var last error
	Eventually(func(g Gomega) {
		var err error
		c, obs, err = s.DialTCP(ctx, gw)
		last = err
		g.Expect(err).NotTo(HaveOccurred(), "no greeting from the upstream through the Gateway")
		g.Expect(obs.Token).To(Equal(up.Token), "the connection reached another upstream (%s)", obs.Role)
	}).WithContext(ctx).WithTimeout(s.Timeouts().Traffic).WithPolling(s.Timeouts().Poll).Should(Succeed(), func() string {
		return fmt.Sprintf("last error: %v; XBackend Accepted: %s", last, s.AcceptedSummary(ctx, "external", "gw"))
	})
	s.Note("upstream saw TLS %q, SNI %q, ALPN offered %q, from %s", obs.TLSVersion, obs.SNI, obs.ALPNOffered, obs.RemoteAddr)
	By("sending bytes both ways")
	_ = c.SetDeadline(time.Now().Add(s.Timeouts().Request))
	for _, text := range []string{"first bytes", "second bytes"} {
		got, err := upstream.Echo(c, text)
		Expect(err).NotTo(HaveOccurred(), "bytes %q through the Gateway", text)
		Expect(got).To(Equal(text), "the upstream echoes, so %q must come back", text)
	}
	return obs
}

func reaches(ctx context.Context, s *harness.T) {
	up, gw := serve(ctx, s, upstream.TLSNone, "tcp-cleartext.yaml")
	obs := eventuallyRelayed(ctx, s, gw, up)
	Expect(obs.TLSVersion).To(BeEmpty(), "the XBackend has no tls, but the upstream saw TLS %s", obs.TLSVersion)
}

func overTLS(ctx context.Context, s *harness.T) {
	up, gw := serve(ctx, s, upstream.TLSValid, "tcp-tls.yaml")
	obs := eventuallyRelayed(ctx, s, gw, up)
	By("checking the upstream saw TLS with the validation hostname as SNI")
	Expect(obs.TLSVersion).NotTo(BeEmpty(), "the upstream saw the stream in cleartext on a ServerOnly XBackend")
	Expect(obs.SNI).To(Equal(s.Hostname), "the SNI must be tls.validation.hostname")
}

func rejectsUntrusted(ctx context.Context, s *harness.T) {
	up, gw := serve(ctx, s, upstream.TLSUntrustedCA, "tcp-tls.yaml")
	By("checking the Gateway acts on the route: the XBackend is refused, or the handshake with the upstream fails")
	Eventually(func(g Gomega) {
		if _, obs, err := s.DialTCP(ctx, gw); err == nil {
			StopTrying(fmt.Sprintf("a stream was relayed to a server signed by an untrusted CA (upstream saw %+v)", obs)).Now()
		}
		if s.Refused(ctx, g, "external", "gw") {
			return
		}
		g.Expect(up.Events(ctx, upstream.KindHandshakeFailed)).NotTo(BeEmpty(), "no TLS handshake reached the upstream yet")
	}).WithContext(ctx).WithTimeout(s.Timeouts().Traffic).WithPolling(s.Timeouts().Poll).Should(Succeed())
	By("checking no stream reaches the upstream")
	Consistently(func(g Gomega) {
		_, obs, err := s.DialTCP(ctx, gw)
		g.Expect(err).To(HaveOccurred(), "a stream was relayed to a server signed by an untrusted CA")
		g.Expect(obs).To(BeNil())
		g.Expect(up.Events(ctx, upstream.KindRequest)).To(BeEmpty(), "the upstream got a stream over an unverified connection")
	}).WithContext(ctx).WithTimeout(s.Timeouts().Never).WithPolling(s.Timeouts().Poll).Should(Succeed())
}

func guardrail(ctx context.Context, s *harness.T) {
	loopback := s.Env().Network.Loopback
	// In a cluster the canary listens inside the pods that serve the Gateway.
	applyGateway(ctx, s)
	s.LoopbackOf(ctx, "gw")
	cn := s.StartCanary(ctx, "loopback", loopback, 0)
	By("proving the canary is reachable from the harness, so that its silence means something")
	s.ProveReachable(ctx, cn)
	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(0, "A "+loopback.String())))
	gw := routeTo(ctx, s, "tcp-cleartext.yaml", strconv.Itoa(int(cn.Port())))
	reached := func() string {
		if hits := cn.Hits(ctx); len(hits) > 0 {
			return fmt.Sprintf("the Gateway dialled its own loopback %s, which DNS named for %s (%d connections, first from %s)", cn.Addrs, s.Hostname, len(hits), hits[0].Peer)
		}
		return ""
	}
	By(fmt.Sprintf("opening connections through the Gateway until it has been served %s for the hostname", loopback))
	Eventually(func(g Gomega) {
		if _, obs, err := s.DialTCP(ctx, gw); err == nil {
			StopTrying(fmt.Sprintf("a stream was relayed to %+v", obs)).Now()
		}
		if why := reached(); why != "" {
			StopTrying(why).Now()
		}
		_, err := s.Served(ctx, s.Hostname, harness.AnswerIs(loopback.String()))
		g.Expect(err).NotTo(HaveOccurred(), "the implementation has not asked DNS for %s yet", s.Hostname)
	}).WithContext(ctx).WithTimeout(s.Timeouts().Traffic).WithPolling(s.Timeouts().Poll).Should(Succeed())
	By("checking new connections never reach the canary")
	Consistently(func(g Gomega) {
		_, _, err := s.DialTCP(ctx, gw)
		g.Expect(err).To(HaveOccurred(), "a stream was relayed for a hostname DNS answers with loopback")
		g.Expect(reached()).To(BeEmpty())
	}).WithContext(ctx).WithTimeout(s.Timeouts().Never).WithPolling(s.Timeouts().Poll).Should(Succeed())
}
