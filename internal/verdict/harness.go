package verdict

import (
	"errors"
	"fmt"
)

// HarnessError is a failure of the harness, not of the implementation: a
// positive control that failed, a fake that did not start, a manifest that
// did not render, a panic in the harness's own code. A scenario that ends
// with one proves nothing either way: it fails the run whatever its level,
// and is never counted against the implementation (Run.Failing leaves it
// out, Judge never calls it not supported).
//
// It is recognised by its type (errors.As), never by its text.
type HarnessError struct{ Err error }

// HarnessErrorf is the one way to make a harness error; %w wraps an error
// as fmt.Errorf does.
func HarnessErrorf(format string, args ...any) error {
	return &HarnessError{Err: fmt.Errorf(format, args...)}
}

// Error is the message readers see: "harness error: " and what failed.
// This is the one place the words are written.
func (e *HarnessError) Error() string { return "harness error: " + e.Err.Error() }

func (e *HarnessError) Unwrap() error { return e.Err }

// IsHarnessError reports whether err is, or wraps, a HarnessError.
func IsHarnessError(err error) bool {
	var he *HarnessError
	return errors.As(err, &he)
}
