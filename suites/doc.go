// Package suites holds the XBackend conformance scenarios as Ginkgo specs.
//
// One file per scenario group (admission.go for catalog group A, ...), with
// the YAML manifests each group applies in the folder of the same name. The
// specs are registered in ordinary files, not _test files, so the same specs
// run under `go test ./suites/...` and in-process under `xbcheck run`.
//
// Every spec is declared with a Scenario: its ShortName, level (MUST,
// SHOULD, OBSERVE) and feature, carried as Ginkgo labels so that
// --label-filter selects by any of them. Every spec works in a namespace of
// its own, labelled with the run's id and removed when the spec ends.
//
// Callers set the suite up with Configure before running the specs.
package suites
