package dataplane

import (
	"errors"
	"net/http"
	"time"

	"github.com/xbcheck/xbcheck/reference/faults"
)

// The data plane's choices (reference/faults.Choices): behaviours the API
// leaves open, switched on to prove no spec takes them for bugs.

// Via is the Via header field the via-header choice adds.
const Via = "1.1 xbcheck-reference"

// minTTL is the shortest time the dns-min-ttl choice caches an answer.
const minTTL = 5 * time.Second

// refusedStatus is the status code of a request the proxy cannot forward
// because of err: 503 when an EndpointSelector has no ready pod, else 502,
// or 500, 503 or 504 with the refused-* choices.
func refusedStatus(err error, fs faults.Set) int {
	switch {
	case errors.Is(err, ErrNoEndpoints):
		return http.StatusServiceUnavailable
	case fs.Has(faults.Refused500):
		return http.StatusInternalServerError
	case fs.Has(faults.Refused503):
		return http.StatusServiceUnavailable
	case fs.Has(faults.Refused504):
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

// cacheTTL is how long the cache keeps answers whose smallest TTL is ttl:
// ttl, at least minTTL with dns-min-ttl, nothing with dns-no-cache.
func cacheTTL(ttl time.Duration, fs faults.Set) time.Duration {
	switch {
	case fs.Has(faults.DNSNoCache):
		return 0
	case fs.Has(faults.DNSMinTTL):
		return max(ttl, minTTL)
	}
	return ttl
}

// choiceALPN is the ALPN list the http11-for-protocol-http and
// h2-alpn-when-protocol-unset choices offer for p, or nil.
func choiceALPN(p Protocol, fs faults.Set) []string {
	switch {
	case p == ProtocolHTTP && fs.Has(faults.HTTP11ForHTTP):
		return []string{"http/1.1"}
	case p == ProtocolUnset && fs.Has(faults.H2ALPNWhenUnset):
		return []string{"h2", "http/1.1"}
	}
	return nil
}
