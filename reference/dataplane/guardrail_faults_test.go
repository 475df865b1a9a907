package dataplane

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/reference/guardrail"
)

// Each guardrail fault lets through exactly the range edges and forms the
// bug it imitates misses, and still denies the addresses its examples show.
func TestGuardrailFaultsMissTheirRanges(t *testing.T) {
	for _, tc := range []struct {
		fault           string
		allowed, denied []string
	}{
		{"stdlib-ip-classes",
			[]string{"0.0.0.0", "0.1.2.3", "100.64.0.1", "100.127.255.254", "64:ff9b::7f00:1", "2002:7f00:1::", "198.18.0.1"},
			[]string{"127.0.0.1", "127.255.255.254", "::ffff:127.0.0.1", "::1", "10.255.255.254", "172.31.255.254", "192.168.0.1", "169.254.0.1", "fc00::1", "fd00:ec2::254"}},
		{"text-prefix-blocklist",
			[]string{"127.255.255.254", "172.31.255.254", "169.254.0.1", "169.254.255.254", "100.64.0.1", "fc00::1", "::ffff:127.0.0.1"},
			[]string{"127.0.0.1", "0.0.0.0", "10.0.0.1", "10.255.255.254", "172.16.0.1", "192.168.255.254", "169.254.169.254", "::1", "fd00:ec2::254"}},
	} {
		p := faultyPolicy(guardrail.Policy{}, mustParseFaults(t, tc.fault))
		for _, a := range tc.allowed {
			if guardrail.Check(netip.MustParseAddr(a)) == nil {
				t.Fatalf("%s: the reference guardrail allows %s, so the fault cannot be seen there", tc.fault, a)
			}
			if err := p.Check(netip.MustParseAddr(a)); err != nil {
				t.Errorf("%s: %s denied (%v), want it missed", tc.fault, a, err)
			}
		}
		for _, a := range tc.denied {
			if err := p.Check(netip.MustParseAddr(a)); err == nil {
				t.Errorf("%s: %s allowed, want it denied", tc.fault, a)
			}
		}
	}
	if p := faultyPolicy(guardrail.Policy{}, nil); p.Deny != nil {
		t.Error("without a fault the policy's classifier was replaced")
	}
}

// The faulty classifier sits on both lines: the answer check and the
// socket's Control hook.
func TestGuardrailFaultDialsAMissedAddress(t *testing.T) {
	u := mustStartUpstream(t, nil, h1)
	o := Options{Resolver: &fakeResolver{script: [][]Answer{answers(0, "127.0.0.1")}}, Faults: mustParseFaults(t, "text-prefix-blocklist")}
	if _, err := get(t, plainBackend(u.addr.Port()), o); err == nil || !strings.Contains(err.Error(), `starts with the blocked "127.0.0."`) {
		t.Errorf("127.0.0.1 under text-prefix-blocklist: %v, want the fault's denial", err)
	}
	d := newDialer(&fakeResolver{}, Options{Faults: mustParseFaults(t, "stdlib-ip-classes")})
	if err := d.control("tcp", "100.64.0.1:80", nil); err != nil {
		t.Errorf("Control hook under stdlib-ip-classes: %v, want 100.64.0.1 missed", err)
	}
	if err := d.control("tcp", "127.0.0.1:80", nil); err == nil {
		t.Error("Control hook under stdlib-ip-classes allowed 127.0.0.1")
	}
}

// trust-cname-chain vets only the addresses the asked name owns: the
// loopback address a CNAME to localhost. leads to is dialled, a direct
// loopback answer still denied.
func TestTrustCNAMEChainFaultDialsTheChasedAddress(t *testing.T) {
	u := mustStartUpstream(t, nil, h1)
	chased := []Answer{{Addr: netip.MustParseAddr("127.0.0.1"), Via: "localhost."}}
	for _, tc := range []struct {
		faults  string
		script  []Answer
		reached bool
	}{
		{"", chased, false},
		{"trust-cname-chain", chased, true},
		{"trust-cname-chain", answers(0, "127.0.0.1"), false},
	} {
		o := Options{Resolver: &fakeResolver{script: [][]Answer{tc.script}}, Faults: mustParseFaults(t, tc.faults)}
		_, err := get(t, plainBackend(u.addr.Port()), o)
		if reached := err == nil; reached != tc.reached {
			t.Errorf("faults %q, answer %+v: err %v, want reached=%v", tc.faults, tc.script, err, tc.reached)
		}
	}
}
