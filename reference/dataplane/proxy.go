package dataplane

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"strings"

	"github.com/xbcheck/xbcheck/reference/faults"
)

// Proxy forwards requests to one XBackend through its Transport.
type Proxy struct {
	rp *httputil.ReverseProxy
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
	passClientHost := t.faults.Has(faults.PassClientHost)
	rp := &httputil.ReverseProxy{
		Transport: t,
		Rewrite: func(pr *httputil.ProxyRequest) {
			// The Transport sets the URL's scheme and host; the Host header is ours.
			if !passClientHost {
				pr.Out.Host = host
			}
			pr.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			// Fail closed with the reason, in one line; there is no fallback.
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "xbackend %s: %s\n", t.backend.Name, strings.ReplaceAll(err.Error(), "\n", "; "))
		},
	}
	return &Proxy{rp: rp}
}

// ServeHTTP forwards r; on a dial, guardrail or TLS failure it answers 502
// with a one-line body naming the failure.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.rp.ServeHTTP(w, r) }

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
