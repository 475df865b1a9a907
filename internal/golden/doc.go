// Package golden compares what a test produced with a file of its
// testdata, and rewrites the file instead when the tests run with -update:
//
//	golden.Check(t, filepath.Join("testdata", "short-run.golden"), got)
//	// go test ./cmd/xbcheck -run ShortRunOutput -update
//
// It is the one way xbcheck's golden files are refreshed; review the diff
// of what -update wrote before committing it.
package golden
