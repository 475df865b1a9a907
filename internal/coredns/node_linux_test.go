package coredns

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/xbcheck/xbcheck/internal/node"
	"github.com/xbcheck/xbcheck/internal/node/nodetest"
	"github.com/xbcheck/xbcheck/internal/roletest"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// On the node, inside its sandbox: the test zone's server on the sandbox's
// lo (pods reach it through the node, their gateway), CoreDNS at the
// kube-dns Service's ClusterIP, and the name the server answers.
const (
	zoneServer = "203.0.113.53:53"
	clusterDNS = "10.96.0.10:53"
	testName   = "x.xbcheck.test."
	testAnswer = "203.0.113.7"
)

// rounds is how many times the test adds and restores the zone.
const rounds = 3

// nodeReport is what the scenario on the node saw.
type nodeReport struct {
	Err string
	// Add, FirstAnswer (from Add's return to the first answer through the
	// Service) and Restore, per round.
	Add, FirstAnswer, Restore []time.Duration
	// Clean is how long Clean took to undo a change left as by a crash.
	Clean time.Duration
}

// TestStubZoneOnNode adds the test zone to the CoreDNS of a real node
// xbcheck starts, sees a TTL 0 answer of the zone's server come through
// CoreDNS unchanged and uncached, restores the Corefile and sees it byte
// for byte as before and the name no longer answered; three times, then
// once more undone by Clean.
func TestStubZoneOnNode(t *testing.T) {
	nodetest.Require(t, node.Check, nodetest.Share)
	out := filepath.Join(t.TempDir(), "report.json")
	cmd := roletest.Command("node", out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	roletest.Wait(t, cmd, 15*time.Minute)
	var r nodeReport
	roletest.Read(t, out, &r)
	if r.Err != "" {
		t.Fatalf("on the node: %s", r.Err)
	}
	for i := range r.Add {
		t.Logf("round %d: Add %s, first answer through the Service %s after it, Restore %s",
			i+1, r.Add[i].Round(time.Millisecond), r.FirstAnswer[i].Round(time.Millisecond), r.Restore[i].Round(time.Millisecond))
	}
	t.Logf("Clean of a change left behind: %s", r.Clean.Round(time.Millisecond))
}

// onNode runs the scenario inside the node sandbox.
func onNode(ctx context.Context, a node.Assets) (r nodeReport) {
	if err := scenario(ctx, a, &r); err != nil {
		r.Err = err.Error()
	}
	return r
}

func scenario(ctx context.Context, a node.Assets, r *nodeReport) (err error) {
	for _, ap := range []string{zoneServer, clusterDNS} {
		if err := sandbox.Guard(netip.MustParseAddrPort(ap).Addr()); err != nil {
			return err
		}
	}
	var served atomic.Int64
	zone, err := serveZone(&served)
	if err != nil {
		return err
	}
	defer zone.Shutdown()
	c, err := node.Start(ctx, node.Options{Assets: a, Progress: os.Stderr})
	if err != nil {
		return err
	}
	defer func() {
		if serr := c.Stop(); serr != nil && err == nil {
			err = fmt.Errorf("stop the node: %w", serr)
		}
	}()
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return err
	}
	before, err := cs.CoreV1().ConfigMaps(namespace).Get(ctx, "coredns", metav1.GetOptions{})
	if err != nil {
		return err
	}
	z := StubZone{Zone: "xbcheck.test", Servers: []netip.AddrPort{netip.MustParseAddrPort(zoneServer)}}
	for i := range rounds {
		begin := time.Now()
		ch, err := Add(ctx, cs, fmt.Sprintf("e2e%d", i), z, os.Stderr)
		if err != nil {
			return err
		}
		r.Add = append(r.Add, time.Since(begin))
		begin = time.Now()
		if err := answeredUncached(ctx, &served); err != nil {
			return fmt.Errorf("round %d: %w", i+1, err)
		}
		r.FirstAnswer = append(r.FirstAnswer, time.Since(begin))
		begin = time.Now()
		if err := ch.Restore(ctx); err != nil {
			return err
		}
		r.Restore = append(r.Restore, time.Since(begin))
		if err := sameAsBefore(ctx, cs, before, "Restore"); err != nil {
			return err
		}
		if err := notAnswered(ctx, &served); err != nil {
			return fmt.Errorf("round %d, after Restore: %w", i+1, err)
		}
	}
	if _, err := Add(ctx, cs, "e2e-crashed", z, os.Stderr); err != nil {
		return err
	}
	begin := time.Now()
	if n, err := Clean(ctx, cs, "e2e-crashed", os.Stderr); err != nil || n != 1 {
		return fmt.Errorf("Clean restored %d ConfigMaps (%v), want CoreDNS's", n, err)
	}
	r.Clean = time.Since(begin)
	if err := sameAsBefore(ctx, cs, before, "Clean"); err != nil {
		return err
	}
	return notAnswered(ctx, &served)
}

// serveZone answers testName with testAnswer and TTL 0 at zoneServer,
// counting the queries it answers, and NXDOMAIN for other names.
func serveZone(served *atomic.Int64) (*dns.Server, error) {
	pc, err := net.ListenPacket("udp", zoneServer)
	if err != nil {
		return nil, err
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if len(q.Question) == 1 && strings.EqualFold(q.Question[0].Name, testName) && q.Question[0].Qtype == dns.TypeA {
			served.Add(1)
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 0}, A: net.ParseIP(testAnswer)})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	return srv, nil
}

// ask asks CoreDNS through its Service for testName, retrying for a few
// seconds while nothing answers: kube-proxy may need a moment to route the
// Service to CoreDNS's new pods.
func ask(ctx context.Context) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(testName, dns.TypeA)
	cl := &dns.Client{Timeout: 500 * time.Millisecond}
	for {
		in, _, err := cl.ExchangeContext(ctx, m, clusterDNS)
		if err == nil {
			return in, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("CoreDNS at %s did not answer %s within 15s: %v", clusterDNS, testName, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// answeredUncached asks twice: each answer must be the zone server's,
// TTL 0 as sent, and each must have reached the server (no cache).
func answeredUncached(ctx context.Context, served *atomic.Int64) error {
	for try := range 2 {
		sent := served.Load()
		in, err := ask(ctx)
		if err != nil {
			return err
		}
		if len(in.Answer) != 1 {
			return fmt.Errorf("query %d: CoreDNS answered %s with %v, want one A record %s from the zone's server", try+1, dns.RcodeToString[in.Rcode], in.Answer, testAnswer)
		}
		a, ok := in.Answer[0].(*dns.A)
		if !ok || a.A.String() != testAnswer || a.Hdr.Ttl != 0 {
			return fmt.Errorf("query %d: CoreDNS answered %v, want %s with TTL 0 as the zone's server sent it", try+1, in.Answer[0], testAnswer)
		}
		if got := served.Load(); got <= sent {
			return fmt.Errorf("query %d: the zone's server saw no query (%d before, %d after): CoreDNS answered from a cache", try+1, sent, got)
		}
	}
	return nil
}

// notAnswered asks again: CoreDNS must not forward the name any more.
func notAnswered(ctx context.Context, served *atomic.Int64) error {
	sent := served.Load()
	in, err := ask(ctx)
	if err != nil {
		return err
	}
	if len(in.Answer) > 0 || served.Load() != sent {
		return fmt.Errorf("CoreDNS still forwards %s: answered %s %v, the zone's server saw %d queries", testName, dns.RcodeToString[in.Rcode], in.Answer, served.Load()-sent)
	}
	return nil
}

// sameAsBefore checks CoreDNS's ConfigMap is as before the round, after
// what.
func sameAsBefore(ctx context.Context, cs kubernetes.Interface, before *corev1.ConfigMap, what string) error {
	now, err := cs.CoreV1().ConfigMaps(namespace).Get(ctx, before.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if now.Data[corefileKey] != before.Data[corefileKey] {
		return fmt.Errorf("after %s the Corefile is %q, want %q byte for byte", what, now.Data[corefileKey], before.Data[corefileKey])
	}
	if !maps.Equal(now.Data, before.Data) || !maps.Equal(now.Labels, before.Labels) || !maps.Equal(now.Annotations, before.Annotations) {
		return fmt.Errorf("after %s CoreDNS's ConfigMap has data %v, labels %v, annotations %v; want %v, %v, %v", what, now.Data, now.Labels, now.Annotations, before.Data, before.Labels, before.Annotations)
	}
	return nil
}
