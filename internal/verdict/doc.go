// Package verdict is xbcheck's vocabulary for judging an implementation:
// levels, features, the identity of a scenario, outcomes, and the one rule
// that turns the results of a run into a pass or a fail.
//
// It is a leaf: reports, mutation testing and the CLI import it without
// linking a single spec, and it knows nothing of Ginkgo. The runner maps
// Ginkgo's spec states to Outcomes in one place (internal/runner); every
// other package reads Outcomes.
//
//	run := verdict.Run{Results: results}
//	if !run.OK() { // a MUST spec failed, or the harness itself did
//		fmt.Println(run.ClosingLine())
//	}
package verdict
