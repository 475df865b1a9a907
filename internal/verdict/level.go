package verdict

import "slices"

// Level is how strongly the API demands a behaviour.
type Level string

const (
	// Must: the CRD, the API types or GEP-4894 require it; a failure fails the run.
	Must Level = "MUST"
	// Should: recommended; a failure is a warning.
	Should Level = "SHOULD"
	// Observe: a measurement with no verdict.
	Observe Level = "OBSERVE"
)

// Levels lists the levels from strongest to weakest.
func Levels() []Level { return []Level{Must, Should, Observe} }

// Known reports whether l is one of the levels.
func (l Level) Known() bool { return slices.Contains(Levels(), l) }
