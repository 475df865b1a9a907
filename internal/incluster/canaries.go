package incluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/control"
)

// where a canary listens.
type where int

const (
	atPod     where = iota // the pod's own address
	atService              // a port of the canary Service, leading to the pod
	atHarness              // an address the harness hosts, which pods reach
)

// StartCanary starts the canary where its addresses are: on the pod, on
// the canary Service (returning once pods reach it there), or in the
// harness. Every address of one canary must be of one kind.
func (f *Fakes) StartCanary(ctx context.Context, spec control.CanarySpec) (control.CanaryInfo, error) {
	asked, at, err := f.place(spec.Addrs)
	if err != nil {
		return control.CanaryInfo{}, err
	}
	switch at {
	case atHarness:
		info, err := f.local.StartCanary(ctx, spec)
		if err == nil {
			f.remember(spec.Name, placed{local: true, addrs: info.Addrs})
		}
		return info, err
	case atPod:
		info, err := f.remote.StartCanary(ctx, spec)
		if err == nil {
			f.remember(spec.Name, placed{addrs: info.Addrs})
		}
		return info, err
	}
	inPod := spec
	inPod.Addrs = make([]string, len(asked))
	for i := range asked {
		inPod.Addrs[i] = net.JoinHostPort(f.pod.String(), "0")
	}
	info, err := f.remote.StartCanary(ctx, inPod)
	if err != nil {
		return info, err
	}
	p := placed{servicer: map[uint16]netip.AddrPort{}}
	for i, a := range asked {
		port := a.Port()
		if port == 0 {
			port = info.Addrs[i].Port()
		}
		p.servicer[port] = info.Addrs[i]
		p.addrs = append(p.addrs, netip.AddrPortFrom(f.service, port))
	}
	f.remember(spec.Name, p)
	err = f.openPorts(ctx, spec.Name, p)
	for i := 0; err == nil && i < len(p.addrs); i++ {
		err = f.await(ctx, "canary "+spec.Name, p.addrs[i], func(ctx context.Context) (bool, error) {
			hits, err := f.remote.CanaryHits(ctx, spec.Name)
			return len(hits) > i, err
		})
	}
	if err == nil {
		err = f.remote.ClearCanary(ctx, spec.Name)
	}
	if err != nil {
		return info, errors.Join(err, f.StopCanary(context.WithoutCancel(ctx), spec.Name))
	}
	info.Addrs = p.addrs
	return info, nil
}

// place reads a canary's addresses and says where it listens.
func (f *Fakes) place(addrs []string) ([]netip.AddrPort, where, error) {
	var out []netip.AddrPort
	var at []where
	for _, s := range addrs {
		host, port, err := net.SplitHostPort(s)
		var a netip.Addr
		var p uint64
		if err == nil {
			if a, err = netip.ParseAddr(host); err == nil {
				p, err = strconv.ParseUint(port, 10, 16)
			}
		}
		if err != nil {
			return nil, 0, &control.InvalidError{Field: "addrs", Reason: fmt.Sprintf("%q is not IP:port", s)}
		}
		a = a.Unmap()
		w := atHarness
		switch a {
		case f.pod:
			w = atPod
		case f.service:
			w = atService
		}
		if w == atHarness && f.local == nil {
			return nil, 0, &control.InvalidError{Field: "addrs", Reason: fmt.Sprintf("%s: no canary can listen there in this cluster: only on the fakes pod's address %s and the canary Service's %s", a, f.pod, f.service)}
		}
		out = append(out, netip.AddrPortFrom(a, uint16(p)))
		at = append(at, w)
	}
	if len(at) == 0 {
		return nil, 0, &control.InvalidError{Field: "addrs", Reason: "empty; list the host:port addresses the canary listens on"}
	}
	if slices.ContainsFunc(at, func(w where) bool { return w != at[0] }) {
		return nil, 0, &control.InvalidError{Field: "addrs", Reason: fmt.Sprintf("%v mixes the fakes pod, the canary Service and the harness's addresses: start one canary for each", addrs)}
	}
	return out, at[0], nil
}

func (f *Fakes) remember(name string, p placed) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.canaries[name] = p
}

// openPorts adds the canary's ports to the canary Service.
func (f *Fakes) openPorts(ctx context.Context, name string, p placed) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		svc, err := f.services.Get(ctx, canaryService, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for port, listen := range p.servicer {
			if slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Port == int32(port) }) {
				return &control.InvalidError{Field: "addrs", Reason: fmt.Sprintf("%s: port %d of the canary Service is taken", name, port)}
			}
			svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{
				Name: portName(port), Port: int32(port), Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(int32(listen.Port())),
			})
		}
		_, err = f.services.Update(ctx, svc, metav1.UpdateOptions{})
		return err
	})
}

// closePorts removes the canary's ports from the canary Service.
func (f *Fakes) closePorts(ctx context.Context, p placed) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		svc, err := f.services.Get(ctx, canaryService, metav1.GetOptions{})
		if err != nil {
			return err
		}
		svc.Spec.Ports = slices.DeleteFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool {
			_, ours := p.servicer[uint16(sp.Port)]
			return ours && sp.Name == portName(uint16(sp.Port))
		})
		_, err = f.services.Update(ctx, svc, metav1.UpdateOptions{})
		return err
	})
}

func portName(port uint16) string { return "canary-" + strconv.Itoa(int(port)) }

// StopCanary stops the canary and closes its ports of the canary Service.
func (f *Fakes) StopCanary(ctx context.Context, name string) error {
	f.mu.Lock()
	p, ok := f.canaries[name]
	delete(f.canaries, name)
	f.mu.Unlock()
	if ok && p.local {
		return f.local.StopCanary(ctx, name)
	}
	err := f.remote.StopCanary(ctx, name)
	if len(p.servicer) > 0 {
		err = errors.Join(err, f.closePorts(ctx, p))
	}
	return err
}

// of is the fakes that run the canary with this name.
func (f *Fakes) of(name string) control.Fakes {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.canaries[name].local {
		return f.local
	}
	return f.remote
}

// CanaryHits returns the connections the canary recorded.
func (f *Fakes) CanaryHits(ctx context.Context, name string) ([]canary.Hit, error) {
	return f.of(name).CanaryHits(ctx, name)
}

// ClearCanary forgets the canary's hits.
func (f *Fakes) ClearCanary(ctx context.Context, name string) error {
	return f.of(name).ClearCanary(ctx, name)
}

// WaitCanary returns the first hit of the canary that match accepts.
func (f *Fakes) WaitCanary(ctx context.Context, name string, match func(canary.Hit) bool) (canary.Hit, error) {
	return f.of(name).WaitCanary(ctx, name, match)
}
