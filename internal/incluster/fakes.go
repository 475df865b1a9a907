package incluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/probe"
	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// Fakes is control.Fakes over the fakes pod, with upstreams advertised in
// the simulated internet and canaries placed where their address is (see
// the package documentation). Its methods are safe for concurrent use.
type Fakes struct {
	remote   control.Fakes
	local    control.Fakes
	prober   prober
	services corev1client.ServiceInterface
	selector map[string]string
	pod      netip.Addr
	service  netip.Addr
	timeout  time.Duration

	mu        sync.Mutex
	internet  control.Internet
	upstreams map[string]advertised // by role
	canaries  map[string]placed     // by name
	serial    int
	lastPort  uint16
}

var _ control.Fakes = (*Fakes)(nil)

// prober sends a request from the fakes pod.
type prober interface {
	Get(ctx context.Context, req probe.Request) (probe.Result, error)
}

// advertised is an upstream as pods see it: Addr, captured by the
// externalIPs Service of that name, leads to the port of the pod it
// listens on.
type advertised struct {
	addr    netip.AddrPort
	service string
}

// placed is a canary: in the harness (local) or in the pod; servicer maps
// its ports of the canary Service to where it listens in the pod.
type placed struct {
	local    bool
	addrs    []netip.AddrPort // as the spec sees them
	servicer map[uint16]netip.AddrPort
}

// Summary lists the fakes as the implementation's pods see them.
func (f *Fakes) Summary(ctx context.Context) (control.Summary, error) {
	sum, err := f.remote.Summary(ctx)
	if err != nil {
		return sum, err
	}
	f.mu.Lock()
	for i, u := range sum.Upstreams {
		if a, ok := f.upstreams[u.Role]; ok {
			sum.Upstreams[i].Addr, sum.Upstreams[i].Listen = a.addr, u.Addr
		}
	}
	for i, c := range sum.Canaries {
		if p, ok := f.canaries[c.Name]; ok {
			sum.Canaries[i].Addrs = p.addrs
		}
	}
	f.mu.Unlock()
	sum.Internet = f.internet.Prefix
	if f.local != nil {
		local, err := f.local.Summary(ctx)
		if err != nil {
			return sum, err
		}
		sum.Canaries = append(sum.Canaries, local.Canaries...)
	}
	return sum, nil
}

// PKI returns the pod's CA and client certificate.
func (f *Fakes) PKI(ctx context.Context) (control.PKI, error) { return f.remote.PKI(ctx) }

// SetProgram installs p in the rogue DNS server of the pod.
func (f *Fakes) SetProgram(ctx context.Context, name string, qtype uint16, p dns.Program) error {
	return f.remote.SetProgram(ctx, name, qtype, p)
}

// ClearPrograms removes every DNS program.
func (f *Fakes) ClearPrograms(ctx context.Context) error { return f.remote.ClearPrograms(ctx) }

// DNSLog returns the rogue DNS server's query log: the queries the
// cluster's DNS forwarded to it.
func (f *Fakes) DNSLog(ctx context.Context, names ...string) ([]dns.Query, error) {
	return f.remote.DNSLog(ctx, names...)
}

// ClearDNSLog empties the DNS query log.
func (f *Fakes) ClearDNSLog(ctx context.Context) error { return f.remote.ClearDNSLog(ctx) }

// WaitDNS returns the first logged query that match accepts.
func (f *Fakes) WaitDNS(ctx context.Context, match func(dns.Query) bool) (dns.Query, error) {
	return f.remote.WaitDNS(ctx, match)
}

// StartUpstream starts the upstream on a free port of the pod and
// advertises it where spec.Addr says (an empty host takes the next address
// of the simulated internet, port 0 the next advertised port), returning
// once pods reach it there.
func (f *Fakes) StartUpstream(ctx context.Context, spec control.UpstreamSpec) (control.UpstreamInfo, error) {
	host, port, err := f.parseAdvertised(spec.Addr)
	if err != nil {
		return control.UpstreamInfo{}, err
	}
	at := spec
	at.Addr = net.JoinHostPort(f.pod.String(), "0")
	info, err := f.remote.StartUpstream(ctx, at)
	if err != nil {
		return info, err
	}
	listen := netip.AddrPortFrom(f.pod, info.Addr.Port())
	a, name, err := f.reserveUpstream(spec.Role, host, port)
	if err == nil {
		err = f.advertise(ctx, name, a, listen)
	}
	if err == nil {
		err = f.awaitUpstream(ctx, spec.Role, a)
	}
	if err != nil {
		return info, errors.Join(err, f.StopUpstream(context.WithoutCancel(ctx), spec.Role))
	}
	info.Addr, info.Listen = a, listen
	return info, nil
}

// parseAdvertised reads UpstreamSpec.Addr, whose host, when it has one,
// must be in the simulated internet.
func (f *Fakes) parseAdvertised(addr string) (netip.Addr, uint16, error) {
	host, port, err := control.ParseUpstreamAddr(addr)
	if err == nil && host.IsValid() && !f.internet.Prefix.Contains(host) {
		err = &control.InvalidError{Field: "addr", Reason: fmt.Sprintf("%q: in a cluster an upstream is advertised in the simulated internet %s, nowhere else", addr, f.internet.Prefix)}
	}
	return host, port, err
}

// reserveUpstream records where the upstream is advertised: host, or the
// next address of the simulated internet no upstream holds, at port.
func (f *Fakes) reserveUpstream(role string, host netip.Addr, port uint16) (netip.AddrPort, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !host.IsValid() {
		held := map[netip.Addr]bool{}
		for _, u := range f.upstreams {
			held[u.addr.Addr()] = true
		}
		host = f.internet.Next(held)
	}
	if port == 0 {
		port = f.nextPort()
	}
	a := netip.AddrPortFrom(host, port)
	for other, u := range f.upstreams {
		if u.addr == a {
			return a, "", &control.InvalidError{Field: "addr", Reason: fmt.Sprintf("%s is taken by upstream %q", a, other)}
		}
	}
	f.serial++
	u := advertised{addr: a, service: fmt.Sprintf("upstream-%d", f.serial)}
	f.upstreams[role] = u
	return a, u.service, nil
}

// Advertised ports, when a spec asks for none: outside the ephemeral range
// the pod's own listeners take theirs from, so a canary on the pod's
// address can listen at an upstream's advertised port.
const (
	firstAdvertisedPort = 20000
	lastAdvertisedPort  = 29999
)

// nextPort is the advertised port after the last one. The caller holds f.mu.
func (f *Fakes) nextPort() uint16 {
	if f.lastPort < firstAdvertisedPort || f.lastPort >= lastAdvertisedPort {
		f.lastPort = firstAdvertisedPort
	} else {
		f.lastPort++
	}
	return f.lastPort
}

// advertise creates the Service that captures a and sends it to listen.
func (f *Fakes) advertise(ctx context.Context, name string, a, listen netip.AddrPort) error {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Selector:    f.selector,
			ExternalIPs: []string{a.Addr().String()},
			Ports: []corev1.ServicePort{{
				Name: "upstream", Port: int32(a.Port()), Protocol: corev1.ProtocolTCP,
				TargetPort: intstr.FromInt32(int32(listen.Port())),
			}},
		},
	}
	if _, err := f.services.Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("advertise an upstream at %s: create Service %s: %w", a, name, err)
	}
	return nil
}

// awaitUpstream returns once a request from the pod to a reached the
// upstream (kube-proxy programs a new Service a moment after it exists),
// and clears the upstream's log of it.
func (f *Fakes) awaitUpstream(ctx context.Context, role string, a netip.AddrPort) error {
	reached := func(ctx context.Context) (bool, error) {
		events, err := f.remote.UpstreamLog(ctx, role)
		return len(events) > 0, err
	}
	if err := f.await(ctx, "upstream "+role, a, reached); err != nil {
		return err
	}
	// The probe's connection may still be logging its end (a failed
	// handshake, a rejected protocol): wait for it, then clear.
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, _ = f.remote.WaitUpstream(ctx, role, func(e upstream.Event) bool { return e.Kind != upstream.KindAccept })
	return f.remote.ClearUpstreamLog(context.WithoutCancel(ctx), role)
}

// await probes a from the pod until reached says the fake saw it.
func (f *Fakes) await(ctx context.Context, what string, a netip.AddrPort, reached func(context.Context) (bool, error)) error {
	deadline := time.Now().Add(f.timeout)
	for pause := 50 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		if _, err := f.prober.Get(ctx, probe.Request{URL: "http://" + a.String() + "/xbcheck-reachable", Timeout: time.Second}); err != nil {
			return fmt.Errorf("probe %s at %s from the fakes pod: %w", what, a, err)
		}
		ok, err := reached(ctx)
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s at %s: pods do not reach it within %s of its Service's creation; does kube-proxy (or the cluster's Service implementation) program spec.externalIPs and ClusterIPs?", what, a, f.timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// StopUpstream stops the upstream and deletes its Service.
func (f *Fakes) StopUpstream(ctx context.Context, role string) error {
	f.mu.Lock()
	u, ok := f.upstreams[role]
	delete(f.upstreams, role)
	f.mu.Unlock()
	err := f.remote.StopUpstream(ctx, role)
	if ok {
		err = errors.Join(err, ignoreNotFound(f.services.Delete(ctx, u.service, metav1.DeleteOptions{})))
	}
	return err
}

// DropConnections closes the upstream's accepted connections.
func (f *Fakes) DropConnections(ctx context.Context, role string) error {
	return f.remote.DropConnections(ctx, role)
}

// UpstreamLog returns the upstream's connection log.
func (f *Fakes) UpstreamLog(ctx context.Context, role string) ([]upstream.Event, error) {
	return f.remote.UpstreamLog(ctx, role)
}

// ClearUpstreamLog empties the upstream's connection log.
func (f *Fakes) ClearUpstreamLog(ctx context.Context, role string) error {
	return f.remote.ClearUpstreamLog(ctx, role)
}

// WaitUpstream returns the first event of the upstream that match accepts.
func (f *Fakes) WaitUpstream(ctx context.Context, role string, match func(upstream.Event) bool) (upstream.Event, error) {
	return f.remote.WaitUpstream(ctx, role, match)
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
