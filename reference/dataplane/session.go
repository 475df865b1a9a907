package dataplane

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// SessionType is how a session is carried: a cookie or a header.
type SessionType string

// Session persistence types of sessionPersistence.type.
const (
	SessionCookie SessionType = "Cookie"
	SessionHeader SessionType = "Header"
)

// Session is an XBackend's sessionPersistence: the first response of a
// session carries a token naming the endpoint that served it (a cookie,
// or a response header), and requests bringing it back go to that
// endpoint while it is ready; to another one, with a new token, once it
// is gone.
type Session struct {
	Type SessionType
	// Name is the cookie's or the header's; empty for a cookie takes a
	// name unique to the XBackend.
	Name string
	// Path is the cookie's Path attribute; empty is "/". OmitPath (the
	// session-cookie-no-path fault) leaves the attribute out.
	Path     string
	OmitPath bool
	// Strict (the session-cookie-samesite choice) adds SameSite=Strict.
	Strict bool
	// MaxAge, when set, makes the cookie permanent (lifetimeType
	// Permanent: absoluteTimeout as Max-Age).
	MaxAge time.Duration
}

func (s *Session) validate() error {
	switch {
	case s == nil:
		return nil
	case s.Type == SessionHeader && s.Name == "":
		return fmt.Errorf("sessionPersistence type Header needs header.name")
	case s.Type != SessionHeader && s.Type != SessionCookie:
		return fmt.Errorf("sessionPersistence type %q is unknown: use Cookie or Header", s.Type)
	}
	return nil
}

// name is the cookie's or header's name: a generated one, unique to the
// XBackend, for a cookie without one.
func (s *Session) name(backend string) string {
	if s.Name != "" {
		return s.Name
	}
	h := fnv.New32a()
	h.Write([]byte(backend))
	return "xbcheck-session-" + strconv.FormatUint(uint64(h.Sum32()), 36)
}

// token is what the client brings back: the endpoint, as Envoy's stateful
// sessions write it.
func token(a netip.Addr) string { return base64.RawURLEncoding.EncodeToString([]byte(a.String())) }

// pinned is the endpoint r's session names, if r brings a token back.
func (s *Session) pinned(backend string, r *http.Request) (netip.Addr, bool) {
	value := r.Header.Get(s.name(backend))
	if s.Type == SessionCookie {
		c, err := r.Cookie(s.name(backend))
		if err != nil {
			return netip.Addr{}, false
		}
		value = c.Value
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(raw))
	return a, err == nil
}

// issue writes into h the token of a new session on endpoint a.
func (s *Session) issue(backend string, h http.Header, a netip.Addr) {
	if s.Type == SessionHeader {
		h.Set(s.name(backend), token(a))
		return
	}
	c := &http.Cookie{Name: s.name(backend), Value: token(a), Path: s.Path, HttpOnly: true}
	if c.Path == "" {
		c.Path = "/"
	}
	if s.OmitPath {
		c.Path = ""
	}
	if s.Strict {
		c.SameSite = http.SameSiteStrictMode
	}
	if s.MaxAge > 0 {
		c.MaxAge = int(s.MaxAge.Seconds())
	}
	h.Add("Set-Cookie", c.String())
}
