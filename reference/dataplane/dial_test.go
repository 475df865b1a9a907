package dataplane

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

var h1 = protocols(true, false, false)

func plainBackend(port uint16) Backend {
	return Backend{Name: "ns/app", Hostname: appHost, Port: int(port)}
}

func TestGuardrailDeniesEveryForbiddenAnswerBeforeDialling(t *testing.T) {
	u := mustStartUpstream(t, nil, h1)
	for _, tc := range []struct{ answer, wantErr string }{
		{"127.0.0.1", "127.0.0.1 is loopback (127.0.0.0/8)"},
		{"169.254.169.254", "169.254.169.254 is link-local (169.254.0.0/16)"},
		{"10.244.0.10", "10.244.0.10 is private (RFC 1918) (10.0.0.0/8)"},
		{"::ffff:127.0.0.1", "::ffff:127.0.0.1 embeds 127.0.0.1"},
		{"64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe embeds 169.254.169.254"},
		{"fd00:ec2::254", "fd00:ec2::254 is the cloud metadata address"},
	} {
		// The default policy: no allow list, so the test upstream on 127.0.0.1 is forbidden too.
		o := Options{Resolver: &fakeResolver{script: [][]Answer{answers(0, tc.answer)}}}
		_, err := get(t, plainBackend(u.addr.Port()), o)
		if err == nil || !strings.Contains(err.Error(), "every address is denied by the egress guardrail: "+tc.wantErr) {
			t.Errorf("answer %s: err = %v, want denial %q", tc.answer, err, tc.wantErr)
		}
	}
	if n := u.accepted.Load(); n != 0 {
		t.Errorf("the upstream on 127.0.0.1 accepted %d connections, want none", n)
	}
}

func TestFollowRebindFaultDialsLoopback(t *testing.T) {
	u := mustStartUpstream(t, nil, h1)
	o := Options{Resolver: &fakeResolver{script: [][]Answer{answers(0, "127.0.0.1")}}}
	if _, err := get(t, plainBackend(u.addr.Port()), o); err == nil {
		t.Fatal("loopback answer reached the upstream without the fault")
	}
	o.Faults = mustParseFaults(t, "follow-rebind")
	if _, err := get(t, plainBackend(u.addr.Port()), o); err != nil {
		t.Errorf("follow-rebind: %v, want the loopback upstream reached", err)
	}
}

func TestMixedAnswerDialsOnlyAllowedAddressesInOrder(t *testing.T) {
	u := mustStartUpstream(t, nil, h1)
	// 127.0.0.2 is allowed but has no listener: the dialer moves on to 127.0.0.1.
	// 127.0.0.3 is denied and never dialled.
	for _, order := range [][]string{
		{"127.0.0.3", "127.0.0.2", "127.0.0.1"},
		{"127.0.0.2", "127.0.0.1", "127.0.0.3"},
	} {
		o := Options{Resolver: &fakeResolver{script: [][]Answer{answers(0, order...)}}, Guardrail: only("127.0.0.1", "127.0.0.2")}
		if _, err := get(t, plainBackend(u.addr.Port()), o); err != nil {
			t.Errorf("answer %v: %v", order, err)
		}
	}
	o := Options{Resolver: &fakeResolver{script: [][]Answer{answers(0, "127.0.0.3", "127.0.0.2")}}, Guardrail: only("127.0.0.2")}
	_, err := get(t, plainBackend(u.addr.Port()), o)
	if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "127.0.0.3 is loopback") {
		t.Errorf("err = %v, want the refused dial and the denied address both named", err)
	}
}

func TestControlChecksTheDialledAddress(t *testing.T) {
	u := mustStartUpstream(t, nil, h1)
	d := newDialer(&fakeResolver{}, Options{DialTimeout: 5 * time.Second})
	// Bypass the first line and dial the literal directly: Control must refuse it.
	_, err := d.net.DialContext(context.Background(), "tcp", u.addr.String())
	if err == nil || !strings.Contains(err.Error(), "egress guardrail: 127.0.0.1 is loopback") {
		t.Errorf("err = %v, want the Control hook's denial", err)
	}
	if n := u.accepted.Load(); n != 0 {
		t.Errorf("upstream accepted %d connections, want none", n)
	}
}

// startRebindTargets starts, on one port, the legitimate upstream on
// 127.0.0.2 and the gateway's admin endpoint with secret on 127.0.0.1.
func startRebindTargets(t *testing.T, secret string) uint16 {
	t.Helper()
	for range 20 {
		admin, err := startUpstream(t, "127.0.0.1", 0, nil, h1, AdminHandler(secret))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := startUpstream(t, "127.0.0.2", int(admin.addr.Port()), nil, h1, http.HandlerFunc(echo)); err == nil {
			return admin.addr.Port()
		}
	}
	t.Fatal("no port free on both 127.0.0.1 and 127.0.0.2")
	return 0
}

// rebind answers the legitimate 127.0.0.2 first, then 127.0.0.1, with TTL 0.
func rebind() *fakeResolver {
	return &fakeResolver{script: [][]Answer{answers(0, "127.0.0.2"), answers(0, "127.0.0.1")}}
}

func bodyOf(tr *Transport) (string, error) {
	req, _ := http.NewRequest("GET", "/", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestRebindingToLoopback(t *testing.T) {
	const secret = "admin-secret-7f3a"
	port := startRebindTargets(t, secret)
	for faultList, wantSecret := range map[string]bool{"": false, "follow-rebind": true} {
		tr, err := NewTransport(plainBackend(port), Options{Resolver: rebind(), Guardrail: only("127.0.0.2"),
			Faults: mustParseFaults(t, faultList)})
		if err != nil {
			t.Fatal(err)
		}
		if body, err := bodyOf(tr); err != nil || !strings.Contains(body, `"Proto":"HTTP/1.1"`) {
			t.Fatalf("faults %q: first request got %q (err %v), want the legitimate upstream", faultList, body, err)
		}
		tr.CloseIdleConnections()
		body, err := bodyOf(tr)
		if got := strings.Contains(body, secret); got != wantSecret {
			t.Errorf("faults %q: second request got %q (err %v); secret leaked = %v, want %v", faultList, body, err, got, wantSecret)
		}
		if !wantSecret && (err == nil || !strings.Contains(err.Error(), "127.0.0.1 is loopback")) {
			t.Errorf("faults %q: err = %v, want the guardrail's denial", faultList, err)
		}
	}
}

func TestCheckAtResolveOnlyDialsASecondLookup(t *testing.T) {
	const secret = "admin-secret-91bc"
	port := startRebindTargets(t, secret)
	for faultList, wantSecret := range map[string]bool{"": false, "check-at-resolve-only": true} {
		r := rebind()
		tr, err := NewTransport(plainBackend(port), Options{Resolver: r, Guardrail: only("127.0.0.2"),
			Faults: mustParseFaults(t, faultList)})
		if err != nil {
			t.Fatal(err)
		}
		body, err := bodyOf(tr)
		if err != nil || strings.Contains(body, secret) != wantSecret {
			t.Errorf("faults %q: got %q (err %v), want secret leaked = %v", faultList, body, err, wantSecret)
		}
		if want := map[bool]int{false: 1, true: 2}[wantSecret]; r.Calls() != want {
			t.Errorf("faults %q: %d lookups for one connection, want %d", faultList, r.Calls(), want)
		}
	}
}

func TestIPLiteralHostnameIsVettedToo(t *testing.T) {
	u := mustStartUpstream(t, nil, h1)
	b := plainBackend(u.addr.Port())
	b.Hostname = "127.0.0.1"
	r := &fakeResolver{}
	_, err := get(t, b, Options{Resolver: r})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1 is loopback") || r.Calls() != 0 {
		t.Errorf("err = %v after %d lookups, want the literal denied without a lookup", err, r.Calls())
	}
}
