// Package conns tracks the connections a fake server is serving, so that
// closing the server ends every one of them and waits for their
// goroutines: the fakes leave nothing running after Close.
//
//	var open conns.Set
//	for { c, _ := l.Accept(); if !open.Go(c, func() { serve(c) }) { return } }
//	// to hang up on every client, and go on serving:
//	open.Drop()
//	// on Close:
//	open.Close()
package conns
