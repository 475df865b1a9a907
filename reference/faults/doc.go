// Package faults names the switches that break the reference gateway on purpose.
//
// Each [Fault] disables one safeguard or behaviour and imitates a real bug seen in
// Gateway API implementations. Mutation testing runs the conformance suite once per
// fault: each must make at least one spec fail, which proves the suite can see it.
//
//	set, err := faults.Parse("skip-san-check,follow-rebind")
//	if err != nil { ... } // one line naming the unknown fault and the valid ones
//	if set.Has(faults.SkipSANCheck) { ... }
//
// The data plane (reference/dataplane) honours the data-plane faults; the
// controllers honour the others. [All] lists every fault with its description,
// for flags' help text and reports.
//
// Choices ([Choices], choices.go) are the mirror of faults: behaviours the
// API leaves to the implementation (a MAY, "implementation-specific",
// "usually", an open question), each with the sentence that leaves it
// open. They are switched on the same way, so the reference honours them
// where it honours faults, but no spec may fail on one: mutation testing
// of faults leaves them out ([Choice]), and `xbcheck mutate --choices`
// proves the suite passes with each.
package faults
