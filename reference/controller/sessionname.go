package controller

import (
	"github.com/xbcheck/xbcheck/reference/dataplane"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

// SharedCookieName is the name the session-cookie-unnamed fault gives
// every session cookie the XBackend names none for.
const SharedCookieName = "session"

// session is translateSession and, with the session-cookie-unnamed fault,
// one fixed name for every unnamed session cookie instead of a generated
// name unique to the XBackend.
func (t Translator) session(sp *xbackend.SessionPersistence) (*dataplane.Session, *Refusal) {
	s, r := translateSession(sp)
	if r == nil && s.Type == dataplane.SessionCookie && s.Name == "" && t.Faults.Has(faults.SessionCookieUnnamed) {
		s.Name = SharedCookieName
	}
	return s, r
}
