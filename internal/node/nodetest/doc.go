// Package nodetest lets the tests of several packages that start a node
// share the host: `go test ./...` runs packages side by side, and a test
// that checks the host for a node's leftovers must not count another
// package's live node as one.
package nodetest
