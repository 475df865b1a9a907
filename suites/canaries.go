package suites

import (
	"context"
	"net"
	"net/netip"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// startCanary listens at addr:port for the spec (the port the XBackend
// names, so a rebinding lands on it) and closes it when the spec ends.
func (s *spec) startCanary(ctx context.Context, name string, addr netip.Addr, port uint16) *canary.Canary {
	ExpectWithOffset(1, sandbox.Guard(addr)).To(Succeed(), "harness error: a canary at %s needs the sandbox", addr)
	c, err := canary.Start(context.WithoutCancel(ctx), canary.Config{
		Name:  name,
		Addrs: []string{net.JoinHostPort(addr.String(), strconv.Itoa(int(port)))},
	})
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "start canary %s at %s port %d", name, addr, port)
	DeferCleanup(c.Close)
	s.evidence.canary(c)
	return c
}

// proveReachable is the positive control of every "never reached"
// assertion: the harness itself connects to the canary and sees its hit,
// so a later empty hit list means the implementation did not connect, not
// that the canary was deaf. The control hit is then cleared.
func (s *spec) proveReachable(ctx context.Context, c *canary.Canary) {
	for _, a := range c.Addrs() {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", a.String())
		ExpectWithOffset(1, err).NotTo(HaveOccurred(), "harness error: canary %s at %s is not reachable from the harness, so 'never reached' would prove nothing", c.Name(), a)
		conn.Close()
	}
	EventuallyWithOffset(1, func() int { return len(c.Hits()) }).WithContext(ctx).
		WithTimeout(config.Timeouts.Request).Should(BeNumerically(">=", len(c.Addrs())),
		"harness error: canary %s did not record the harness's own connection", c.Name())
	c.Reset()
	s.evidence.note("positive control: canary %s at %v reachable from the harness", c.Name(), c.Addrs())
}

// consistentlyUntouched asserts that no connection reaches the canary for
// the Never window.
func (s *spec) consistentlyUntouched(ctx context.Context, c *canary.Canary) {
	ConsistentlyWithOffset(1, c.Hits).WithContext(ctx).WithTimeout(config.Timeouts.Never).WithPolling(config.Timeouts.Poll).
		Should(BeEmpty(), "the implementation connected to canary %s (%v), an address it must never reach", c.Name(), c.Addrs())
}
