package websocket

import (
	"context"
	"embed"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

//go:embed *.yaml
var manifests embed.FS

// Family is the WSS group.
func Family() harness.Family {
	scenarios := []harness.Scenario{{
		Scenario:    verdict.Must.Scenario("WSSUpgradeOverVerifiedTLS", verdict.FeatureWSS),
		Covers:      []dimension.Class{dimension.ProtoWSS},
		Description: "carries a WebSocket upgrade through the Gateway to the external host over TLS with the validation hostname as SNI, and messages both ways",
		Source:      apitext.WSS,
		Run:         upgradeOverTLS,
	}, {
		Scenario:    verdict.Must.Scenario("WSSRejectsUntrustedServer", verdict.FeatureWSS, verdict.FailClosed),
		Description: "opens no WebSocket to a server whose certificate the validation does not trust, and sends it no request",
		Source:      apitext.ServerOnly,
		Run:         rejectsUntrusted,
	}}
	for i := range scenarios {
		scenarios[i].Releases = harness.V170
	}
	return harness.Family{Name: "WebSocket", Manifests: manifests, Scenarios: scenarios}
}

// serve starts an HTTP/1.1 TLS upstream in mode, resolvable at the spec's
// hostname, the CA ConfigMap of the spec's CA, the Gateway and wss.yaml,
// and returns the upstream and the Gateway's address.
func serve(ctx context.Context, s *harness.T, mode upstream.TLSMode) (*harness.Upstream, string) {
	GinkgoHelper()
	up := s.StartUpstream(ctx, harness.UpstreamConfig{TLS: mode, Protocols: []upstream.Protocol{upstream.HTTP1}})
	s.Answer(ctx, s.Hostname, dns.Static(dns.Records(5, "A "+up.Host())))
	s.CreateCAConfigMap(ctx, "ca", s.CA())
	s.ApplyGateway(ctx)
	s.Apply(ctx, "wss.yaml", map[string]string{"Port": up.Port()})
	return up, s.GatewayAddress(ctx, "gw")
}

func upgradeOverTLS(ctx context.Context, s *harness.T) {
	up, gw := serve(ctx, s, upstream.TLSValid)
	By("opening a WebSocket through the Gateway")
	var ws *harness.WebSocket
	Eventually(func(g Gomega) {
		var err error
		ws, err = s.DialWebSocket(ctx, gw, "/chat")
		g.Expect(err).NotTo(HaveOccurred(), "the WebSocket handshake through the Gateway failed")
	}).WithContext(ctx).WithTimeout(s.Timeouts().Traffic).WithPolling(s.Timeouts().Poll).Should(Succeed(),
		func() string { return "XBackend Accepted: " + s.AcceptedSummary(ctx, "external", "gw") })
	By("checking the upstream saw the upgrade over TLS, with the validation hostname as SNI")
	Expect(ws.First).To(harness.Present("the upstream's observation of the upgrade"), "the first message was not the upstream's observation")
	Expect(ws.First.Token).To(Equal(up.Token), "the WebSocket reached another upstream (%s)", ws.First.Role)
	Expect(ws.First.Upgrade).To(Equal("websocket"), "the upstream saw no WebSocket upgrade: protocol WSS MUST be offered to the backend")
	Expect(ws.First.TLSVersion).NotTo(BeEmpty(), "the upstream saw the upgrade in cleartext: WSS is WebSocket over TLS")
	Expect(ws.First.SNI).To(Equal(s.Hostname), "the SNI must be tls.validation.hostname")
	By("sending messages both ways")
	for _, text := range []string{"first message", "second message"} {
		got, err := ws.Echo(ctx, text)
		Expect(err).NotTo(HaveOccurred(), "message %q through the WebSocket", text)
		Expect(got).To(Equal(text), "the upstream echoes, so %q must come back", text)
	}
	s.EventuallyAccepted(ctx, "external", "gw", metav1.ConditionTrue)
}

func rejectsUntrusted(ctx context.Context, s *harness.T) {
	up, gw := serve(ctx, s, upstream.TLSUntrustedCA)
	By("checking the Gateway acts on the route: the XBackend is refused, or the handshake with the upstream fails")
	Eventually(func(g Gomega) {
		if ws, err := s.DialWebSocket(ctx, gw, "/chat"); err == nil {
			StopTrying(fmt.Sprintf("a WebSocket opened to a server signed by an untrusted CA (upstream saw %+v)", ws.First)).Now()
		}
		if s.Refused(ctx, g, "external", "gw") {
			return
		}
		g.Expect(up.Events(ctx, upstream.KindHandshakeFailed)).NotTo(BeEmpty(), "no TLS handshake reached the upstream yet")
	}).WithContext(ctx).WithTimeout(s.Timeouts().Traffic).WithPolling(s.Timeouts().Poll).Should(Succeed())
	By("checking no WebSocket opens and no request reaches the upstream")
	Consistently(func(g Gomega) {
		ws, err := s.DialWebSocket(ctx, gw, "/chat")
		g.Expect(err).To(HaveOccurred(), "a WebSocket opened to a server signed by an untrusted CA")
		g.Expect(ws).To(BeNil())
		g.Expect(up.Events(ctx, upstream.KindRequest)).To(BeEmpty(), "the upstream got a request over an unverified connection")
	}).WithContext(ctx).WithTimeout(s.Timeouts().Never).WithPolling(s.Timeouts().Poll).Should(Succeed())
}
