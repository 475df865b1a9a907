// Package mutant makes mechanical mutants of the reference gateway: small,
// unbiased mistakes that nobody chose knowing the specs, to measure what
// the suite catches beyond its own faults (reference/faults).
//
// [Generate] type-checks the non-test Go files of reference/ (but
// reference/faults, files named for faults and the code that injects
// them) and applies the operators of [Operators] at every place they fit:
// conditions negated, comparisons and logical operators flipped,
// boundaries shifted, calls, assignments and error returns removed,
// constants changed, if/else branches swapped. Each mutant has a stable ID,
// file:line:col:operator, of the original source.
//
// The mutants are compiled as schemata: every site becomes a switch on
// [active.On] (an expression becomes a closure choosing the mutated or the
// original form), so one build holds them all. [Set.Build] writes the
// rewritten files to a temporary folder and builds xbcheck once with
// go build -overlay; the checked-in tree is never touched. A child run
// switches one mutant on with the environment variable active.Env.
//
//	set, err := mutant.Generate(ctx, repoRoot)
//	bin, cleanup, err := set.Build(ctx, repoRoot, "./cmd/xbcheck")
//	picked := set.Mutants.Sample(60, 1).Shard(1, 4)
//
// A checked-in triage file (triage.yaml, [LoadTriage]) records why each
// surviving mutant is equivalent, or which spec was written to kill it.
package mutant
