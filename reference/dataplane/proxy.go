package dataplane

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strings"

	"github.com/xbcheck/xbcheck/reference/faults"
)

// Proxy forwards requests to one XBackend through its Transport.
type Proxy struct {
	rp *httputil.ReverseProxy
	t  *Transport
}

// NewProxy forwards to t's XBackend. The Host header sent upstream is
// rewriteHost when set (the route's URLRewrite hostname filter), else the
// externalHostname.
func NewProxy(t *Transport, rewriteHost string) *Proxy {
	host := t.backend.Hostname
	if rewriteHost != "" {
		host = rewriteHost
	}
	if t.faults.Has(faults.SNIFromHost) && t.backend.usesTLS() && host != t.backend.sni() {
		if sniFromHost, err := newTransport(t.backend, t.options, host); err == nil {
			t = sniFromHost
		}
	}
	// An EndpointSelector serves like a Service: the client's Host goes
	// to its pods, unless a URLRewrite hostname replaces it.
	passClientHost := t.faults.Has(faults.PassClientHost) || t.backend.Selector && rewriteHost == ""
	rp := &httputil.ReverseProxy{
		Transport: t,
		Rewrite: func(pr *httputil.ProxyRequest) {
			// The Transport sets the URL's scheme and host; the Host header is ours.
			if !passClientHost {
				pr.Out.Host = host
			}
			if !t.faults.Has(faults.NoXForwarded) {
				pr.SetXForwarded()
			}
			if t.faults.Has(faults.ViaHeader) {
				pr.Out.Header.Add("Via", Via)
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			if t.faults.Has(faults.ViaHeader) {
				resp.Header.Add("Via", Via)
			}
			if ep, ok := resp.Request.Context().Value(newSessionKey{}).(netip.Addr); ok {
				t.backend.Session.issue(t.backend.Name, resp.Header, ep)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			// Fail closed with the reason, in one line; there is no fallback.
			if t.faults.Has(faults.EmptyErrorBody) {
				w.WriteHeader(refusedStatus(err, t.faults))
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(refusedStatus(err, t.faults))
			fmt.Fprintf(w, "xbackend %s: %s\n", t.backend.Name, strings.ReplaceAll(err.Error(), "\n", "; "))
		},
	}
	return &Proxy{rp: rp, t: t}
}

// newSessionKey carries the endpoint of a session a response starts.
type newSessionKey struct{}

// ServeHTTP forwards r; on a dial, guardrail or TLS failure it answers 502
// with a one-line body naming the failure, 503 when an EndpointSelector
// has no ready pod. A request of a session goes to its endpoint while that
// is ready; one starting a session (or whose endpoint is gone) goes to a
// ready endpoint and its response carries the session's new token.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s := p.t.backend.Session; s != nil {
		ep, ok := s.pinned(p.t.backend.Name, r)
		if ok && p.t.serves(ep) && !p.t.faults.Has(faults.IgnoreSession) {
			r = r.WithContext(context.WithValue(r.Context(), endpointKey{}, ep))
		} else if ep, ok := p.t.pick(); ok {
			ctx := context.WithValue(r.Context(), endpointKey{}, ep)
			r = r.WithContext(context.WithValue(ctx, newSessionKey{}, ep))
		}
	}
	p.rp.ServeHTTP(w, r)
}

// AdminHandler serves secret to anyone who reaches it. The harness runs it on
// the gateway's admin address (127.0.0.1), the prize of a rebinding attack:
// the secret showing up in a client's response proves the gateway was tricked.
func AdminHandler(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintln(w, secret)
	})
}
