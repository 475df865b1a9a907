package harness

import (
	"reflect"

	"github.com/onsi/gomega/types"
)

// Present matches a non-nil value, Absent a nil one. Unlike BeNil, their
// failure messages say what was missing or should not be there, and never
// print a Go pointer: a vendor reads values, not addresses.
func Present(what string) types.GomegaMatcher { return presence{what: what, want: true} }

// Absent matches a nil value; see Present.
func Absent(what string) types.GomegaMatcher { return presence{what: what} }

type presence struct {
	what string
	want bool
}

func (m presence) Match(actual any) (bool, error) { return isNil(actual) != m.want, nil }

func (m presence) FailureMessage(any) string {
	if m.want {
		return "missing: " + m.what
	}
	return "there should be no " + m.what
}

func (m presence) NegatedFailureMessage(actual any) string {
	return presence{what: m.what, want: !m.want}.FailureMessage(actual)
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Func, reflect.Chan:
		return r.IsNil()
	}
	return false
}
