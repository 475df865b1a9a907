package dns

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

func TestLogRecordsEachQuery(t *testing.T) {
	s := start(t, Config{})
	program(t, s, "rebind.xbcheck.test.", mdns.TypeA, Sequence(Records(30, "A 203.0.113.10"), 1, Records(0, "A 127.0.0.1")))
	m := question("Rebind.xbcheck.test.", mdns.TypeA)
	m.SetEdns0(1232, true)
	exchange(t, s, UDP, m)
	exchange(t, s, TCP, question("rebind.xbcheck.test.", mdns.TypeA))

	log := s.Log()
	if len(log) != 2 {
		t.Fatalf("log has %d entries, want 2: %+v", len(log), log)
	}
	first, second := log[0], log[1]
	want := Query{
		Time: first.Time, Peer: first.Peer, Transport: UDP, Name: "Rebind.xbcheck.test.", Type: "A",
		EDNS: true, UDPSize: 1232, DO: true, Program: KindSequence, Step: 0,
		Answers: []string{"Rebind.xbcheck.test. 30 IN A 203.0.113.10"}, TTL: 30, Rcode: "NOERROR",
	}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("first entry\n%+v\nwant\n%+v", first, want)
	}
	if !strings.HasPrefix(first.Peer, "127.0.0.1:") || first.Time.IsZero() {
		t.Fatalf("first entry peer %q time %s, want a loopback peer and a time", first.Peer, first.Time)
	}
	if second.Transport != TCP || second.Step != 1 || second.EDNS || second.TTL != 0 ||
		!reflect.DeepEqual(second.Answers, []string{"rebind.xbcheck.test. 0 IN A 127.0.0.1"}) {
		t.Fatalf("second entry %+v, want step 1 over TCP answering 127.0.0.1 with TTL 0", second)
	}
	if second.Time.Before(first.Time) {
		t.Fatalf("second entry at %s is before the first at %s", second.Time, first.Time)
	}

	s.ClearLog()
	if log := s.Log(); len(log) != 0 {
		t.Fatalf("after ClearLog the log has %d entries, want none", len(log))
	}
	// Clearing the log keeps the program's counters.
	if r := ask(t, s, "rebind.xbcheck.test.", mdns.TypeA); r.Answer[0].(*mdns.A).A.String() != "127.0.0.1" {
		t.Fatalf("after ClearLog: answers %v, want the second step", records(r.Answer))
	}
}

func TestWait(t *testing.T) {
	isLoopback := func(q Query) bool {
		return len(q.Answers) > 0 && strings.HasSuffix(q.Answers[0], " 127.0.0.1")
	}
	deadline := func(t *testing.T, d time.Duration) context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		t.Cleanup(cancel)
		return ctx
	}

	t.Run("returns a past match", func(t *testing.T) {
		s := start(t, Config{})
		program(t, s, "rebind.xbcheck.test.", mdns.TypeA, Sequence(Records(0, "A 203.0.113.10"), 1, Records(0, "A 127.0.0.1")))
		ask(t, s, "rebind.xbcheck.test.", mdns.TypeA)
		ask(t, s, "rebind.xbcheck.test.", mdns.TypeA)
		q, err := s.Wait(deadline(t, 10*time.Second), isLoopback)
		if err != nil || q.Step != 1 {
			t.Fatalf("Wait gave %+v, %v; want the second query, step 1", q, err)
		}
	})

	t.Run("returns a future match", func(t *testing.T) {
		s := start(t, Config{})
		program(t, s, "rebind.xbcheck.test.", mdns.TypeA, Sequence(Records(0, "A 203.0.113.10"), 1, Records(0, "A 127.0.0.1")))
		ask(t, s, "rebind.xbcheck.test.", mdns.TypeA)
		scanned := make(chan struct{}, 1)
		type result struct {
			q   Query
			err error
		}
		done := make(chan result, 1)
		go func() {
			q, err := s.Wait(deadline(t, 10*time.Second), func(q Query) bool {
				if q.Step == 0 {
					scanned <- struct{}{} // the past is seen; the match must come from the future
				}
				return isLoopback(q)
			})
			done <- result{q, err}
		}()
		<-scanned
		ask(t, s, "rebind.xbcheck.test.", mdns.TypeA)
		if r := <-done; r.err != nil || r.q.Step != 1 {
			t.Fatalf("Wait gave %+v, %v; want the query made after it began, step 1", r.q, r.err)
		}
	})

	t.Run("gives up when the context ends", func(t *testing.T) {
		s := start(t, Config{})
		program(t, s, "www.xbcheck.test.", mdns.TypeA, Static(Records(0, "A 203.0.113.10")))
		ask(t, s, "www.xbcheck.test.", mdns.TypeA)
		_, err := s.Wait(deadline(t, 50*time.Millisecond), isLoopback)
		if err == nil || !strings.Contains(err.Error(), "no matching DNS query") {
			t.Fatalf("Wait gave %v, want an error saying nothing matched", err)
		}
	})

	t.Run("does not return entries cleared before it", func(t *testing.T) {
		s := start(t, Config{})
		program(t, s, "loop.xbcheck.test.", mdns.TypeA, Static(Records(0, "A 127.0.0.1")))
		ask(t, s, "loop.xbcheck.test.", mdns.TypeA)
		s.ClearLog()
		if q, err := s.Wait(deadline(t, 50*time.Millisecond), isLoopback); err == nil {
			t.Fatalf("Wait gave cleared entry %+v, want none", q)
		}
		ask(t, s, "loop.xbcheck.test.", mdns.TypeA)
		if _, err := s.Wait(deadline(t, 10*time.Second), isLoopback); err != nil {
			t.Fatalf("Wait after ClearLog and a new query: %v", err)
		}
	})
}

func TestProgramsAndQueriesTravelAsJSON(t *testing.T) {
	t.Run("programs", func(t *testing.T) {
		s := start(t, Config{})
		until := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, p := range []Program{
			Static(Step{Answers: []string{"A 203.0.113.10", "5 A 127.0.0.1"}, TTL: 30, Delay: time.Second}),
			Sequence(Records(0, "A 203.0.113.10"), 3, Step{Rcode: mdns.RcodeServerFailure, Drop: true}),
			RoundRobin(Records(0, "CNAME localhost."), Step{Truncate: true}),
			Random(42, NXDomain(), ServFail()),
			Window(Records(0, "AAAA ::ffff:127.0.0.1"), time.Minute, Records(0, "AAAA ::1")),
			WindowUntil(Records(0, "A 203.0.113.10"), until, Records(0, "A 127.0.0.1")),
		} {
			data, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			var back Program
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, p) {
				t.Fatalf("%s came back from JSON as %+v, want %+v", data, back, p)
			}
			if err := s.Program("a.xbcheck.test.", mdns.TypeA, back); err != nil {
				t.Fatalf("%s: %v", data, err)
			}
		}
	})

	t.Run("a program written by hand", func(t *testing.T) {
		s := start(t, Config{})
		var p Program
		const text = `{"kind":"sequence","after":1,"steps":[{"answers":["A 203.0.113.10"],"ttl":60},{"answers":["A 127.0.0.1"]}]}`
		if err := json.Unmarshal([]byte(text), &p); err != nil {
			t.Fatal(err)
		}
		program(t, s, "rebind.xbcheck.test.", mdns.TypeA, p)
		for _, want := range []string{"203.0.113.10", "127.0.0.1"} {
			if r := ask(t, s, "rebind.xbcheck.test.", mdns.TypeA); r.Answer[0].(*mdns.A).A.String() != want {
				t.Fatalf("answers %v, want A %s", records(r.Answer), want)
			}
		}
	})

	t.Run("log entries", func(t *testing.T) {
		s := start(t, Config{})
		program(t, s, "www.xbcheck.test.", mdns.TypeA, Static(Records(30, "A 203.0.113.10")))
		ask(t, s, "www.xbcheck.test.", mdns.TypeA)
		data, err := json.Marshal(s.Log())
		if err != nil {
			t.Fatal(err)
		}
		var back []Query
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if log := s.Log(); len(back) != 1 || !back[0].Time.Equal(log[0].Time) {
			t.Fatalf("log came back from JSON as %+v, want %+v", back, log)
		}
		back[0].Time = s.Log()[0].Time // JSON drops the monotonic clock reading
		if !reflect.DeepEqual(back, s.Log()) {
			t.Fatalf("log came back from JSON as %+v, want %+v", back, s.Log())
		}
		for _, field := range []string{`"transport":"udp"`, `"name":"www.xbcheck.test."`, `"type":"A"`, `"step":0`, `"ttl":30`, `"rcode":"NOERROR"`} {
			if !strings.Contains(string(data), field) {
				t.Fatalf("log JSON %s lacks %s", data, field)
			}
		}
	})
}
