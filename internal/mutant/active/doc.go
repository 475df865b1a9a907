// Package active says which mechanical mutant of the reference gateway is
// switched on. Only the mutant schemata (internal/mutant's generated copy of
// reference/, built into a separate xbcheck binary with go build -overlay)
// import it: every mutation site there reads
//
//	if xbmutant.On("reference/controller/status.go:16:5:negate-condition") { mutated } else { original }
//
// The mutant is chosen once per process, from the environment variable
// [Env] (xbcheck mutate --operators sets it on each child run; the child's
// worker processes inherit it). With none set every site runs its original
// code: the schemata binary then is the reference gateway.
package active
