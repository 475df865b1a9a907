// Package coverage generates the map of the XBackend API surface and of
// the specs that exercise it (xbcheck coverage).
//
// The cells come from the installed CRDs, never from a list kept by hand:
// every field of XBackend's spec and of each HTTPRoute place that refers
// to a backend, in its value classes (absent, present, each enum value and
// one outside it, each bound met and crossed, a pattern violated), every
// x-kubernetes-validations rule in both directions (holds, fails), and
// every normative sentence of their descriptions. The sentences the suite
// quotes (package apitext) that no description states, and the behaviour
// dimensions of package dimension, are cells too.
//
// Specs map to cells mechanically: the manifests a spec's declaration
// names are rendered and judged by the API server's own validation code
// (defaults, OpenAPI schema, CEL), run here without a server; an admitted
// object exercises the classes of its values and the rules that held, a
// refused one the classes and rules it was refused for. A spec's Source
// sentence covers the sentence cells it states, and its Covers annotation
// the behaviour classes it names.
//
//	specs, quotes, err := coverage.FromSuites(suites.Families(), suites.Sources, bundle.Schema)
//	m, err := coverage.Build(ctx, coverage.Input{Bundle: bundle, Specs: specs, Quotes: quotes, NoneCan: coverage.NoneCan})
//	m.Write(os.Stdout, coverage.Text) // ends with "uncovered: N"
package coverage
