package dataplane

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"
)

// eventually polls cond every millisecond for up to a second.
func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after a second: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRefresherResolvesAgainInTheBackground(t *testing.T) {
	f := &fakeResolver{script: [][]Answer{answers(0, "127.0.0.2"), answers(0, "127.0.0.1")}}
	r := newRefresher(f, 10*time.Millisecond)
	first, err := r.Resolve(context.Background(), "app.xbcheck.test")
	if err != nil || len(first) != 1 || first[0].Refreshed {
		t.Fatalf("first resolution %+v, %v; want 127.0.0.2 not marked refreshed", first, err)
	}
	eventually(t, func() bool {
		got, err := r.Resolve(context.Background(), "app.xbcheck.test")
		return err == nil && len(got) == 1 && got[0].Addr.String() == "127.0.0.1" && got[0].Refreshed
	}, "the refreshed answer 127.0.0.1, marked refreshed, was never handed out")
	if f.Calls() < 2 {
		t.Errorf("%d lookups, want the background refresh's too", f.Calls())
	}
}

func TestRefresherStopsWhenUnused(t *testing.T) {
	f := &fakeResolver{script: [][]Answer{answers(0, "127.0.0.2")}}
	r := newRefresher(f, time.Millisecond)
	r.idle = 5 * time.Millisecond
	if _, err := r.Resolve(context.Background(), "app.xbcheck.test"); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.hosts) == 0
	}, "the refresher of an unused host did not stop")
}

// unchecked-dns-refresh vets the first resolution and dials what the
// background refresh brings, loopback included; without it the dialler
// resolves again for the next connection (TTL 0) and denies loopback.
func TestUncheckedDNSRefreshFaultDialsTheRefreshedAddress(t *testing.T) {
	port := startRebindTargets(t, "admin-secret-5e1d")
	addr := net.JoinHostPort(appHost, strconv.Itoa(int(port)))
	dial := func(d *dialer) (string, error) {
		conn, err := d.DialContext(context.Background(), "tcp", addr)
		if err != nil {
			return "", err
		}
		defer conn.Close()
		return conn.RemoteAddr().(*net.TCPAddr).IP.String(), nil
	}
	o := Options{Guardrail: only("127.0.0.2"), DialTimeout: time.Second}
	d := newDialer(rebind(), o)
	if ip, err := dial(d); err != nil || ip != "127.0.0.2" {
		t.Fatalf("first dial reached %s (err %v), want 127.0.0.2", ip, err)
	}
	if ip, err := dial(d); err == nil {
		t.Fatalf("without the fault the second dial reached %s, want the guardrail's denial", ip)
	}

	o.Faults = mustParseFaults(t, "unchecked-dns-refresh")
	d = newDialer(rebind(), o)
	d.resolver.(*refresher).every = time.Millisecond // refreshEvery is too slow for a unit test
	if ip, err := dial(d); err != nil || ip != "127.0.0.2" {
		t.Fatalf("first dial reached %s (err %v), want 127.0.0.2", ip, err)
	}
	eventually(t, func() bool {
		ip, err := dial(d)
		return err == nil && ip == "127.0.0.1"
	}, "the refreshed loopback answer was never dialled under unchecked-dns-refresh")
}
