//go:build !linux

package nodetest

import "testing"

// Share does nothing where no node starts.
func Share(testing.TB) {}

// Exclusive does nothing where no node starts.
func Exclusive(testing.TB) {}
