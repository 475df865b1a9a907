package controller

import (
	"testing"

	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

// An unnamed session cookie keeps its empty name (the data plane
// generates one per XBackend); the session-cookie-unnamed fault names it
// SharedCookieName, and a named one keeps its name either way.
func TestUnnamedSessionCookie(t *testing.T) {
	named := "mine"
	unnamed := &xbackend.SessionPersistence{}
	withName := &xbackend.SessionPersistence{Cookie: &xbackend.CookieConfig{Name: &named}}
	fault := Translator{Faults: faults.Set{faults.SessionCookieUnnamed: true}}
	for _, tc := range []struct {
		name string
		t    Translator
		sp   *xbackend.SessionPersistence
		want string
	}{
		{"unnamed", Translator{}, unnamed, ""},
		{"unnamed with the fault", fault, unnamed, SharedCookieName},
		{"named with the fault", fault, withName, named},
	} {
		s, r := tc.t.session(tc.sp)
		if r != nil || s.Name != tc.want {
			t.Errorf("%s: session %+v, refusal %v; want name %q", tc.name, s, r, tc.want)
		}
	}
}
