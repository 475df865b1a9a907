package conns

import (
	"io"
	"net"
	"testing"
)

// A serve function blocked reading its connection returns once Close
// closes that connection, and Close waits for it.
func TestCloseEndsAndWaitsForServing(t *testing.T) {
	var s Set
	server, client := net.Pipe()
	defer client.Close()
	returned := make(chan struct{})
	if !s.Go(server, func() {
		_, _ = io.ReadAll(server)
		close(returned)
	}) {
		t.Fatal("an open set refused a connection")
	}
	s.Close()
	select {
	case <-returned:
	default:
		t.Fatal("Close returned before the serve function did")
	}
}

func TestClosedSetRefusesAndClosesConnections(t *testing.T) {
	var s Set
	s.Close()
	server, client := net.Pipe()
	defer client.Close()
	if s.Go(server, func() { t.Error("served a connection after Close") }) {
		t.Fatal("a closed set accepted a connection")
	}
	if _, err := server.Write([]byte("x")); err == nil {
		t.Fatal("the refused connection is still open")
	}
}

// Drop ends the serve functions of the connections open now, and the set
// still takes the next connection.
func TestDropClosesOpenConnectionsAndKeepsAccepting(t *testing.T) {
	var s Set
	defer s.Close()
	server, client := net.Pipe()
	defer client.Close()
	returned := make(chan struct{})
	s.Go(server, func() {
		_, _ = io.ReadAll(server)
		close(returned)
	})
	s.Drop()
	<-returned // hangs, and the test times out, if Drop left it open
	next, nextClient := net.Pipe()
	defer nextClient.Close()
	served := make(chan struct{})
	if !s.Go(next, func() { close(served) }) {
		t.Fatal("the set refused a connection after Drop")
	}
	<-served
}
