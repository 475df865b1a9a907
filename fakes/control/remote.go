package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// Remote is Fakes over the control API of a standalone process (see Start and Run).
// Only URL is required. Its Wait methods poll, pausing 10ms after the first read and
// twice as long after each one after, up to MaxPoll.
type Remote struct {
	URL     string        // the control API, e.g. "http://127.0.0.1:41234"
	Client  *http.Client  // default http.DefaultClient
	MaxPoll time.Duration // longest pause between two reads while waiting; default DefaultMaxPoll
}

// DefaultMaxPoll is the longest pause of a Remote's Wait methods between two reads.
const DefaultMaxPoll = time.Second

const firstPoll = 10 * time.Millisecond

var _ Fakes = (*Remote)(nil)

// Summary lists every fake with its addresses and token.
func (r *Remote) Summary(ctx context.Context) (Summary, error) {
	var s Summary
	return s, r.do(ctx, http.MethodGet, "/v1/summary", nil, &s)
}

// PKI returns the CA and the client certificate as PEM.
func (r *Remote) PKI(ctx context.Context) (PKI, error) {
	var p PKI
	return p, r.do(ctx, http.MethodGet, "/v1/pki", nil, &p)
}

// SetProgram installs p for (name, qtype).
func (r *Remote) SetProgram(ctx context.Context, name string, qtype uint16, p dns.Program) error {
	typ, ok := mdns.TypeToString[qtype]
	if !ok {
		typ = strconv.Itoa(int(qtype))
	}
	return r.do(ctx, http.MethodPut, "/v1/dns/programs/"+url.PathEscape(name)+"/"+typ, p, nil)
}

// ClearPrograms removes every DNS program.
func (r *Remote) ClearPrograms(ctx context.Context) error {
	return r.do(ctx, http.MethodDelete, "/v1/dns/programs", nil, nil)
}

// DNSLog returns the DNS query log, or the queries for names only.
func (r *Remote) DNSLog(ctx context.Context, names ...string) ([]dns.Query, error) {
	path := "/v1/dns/queries"
	if len(names) > 0 {
		path += "?" + url.Values{"name": names}.Encode()
	}
	var log []dns.Query
	return log, r.do(ctx, http.MethodGet, path, nil, &log)
}

// ClearDNSLog empties the DNS query log.
func (r *Remote) ClearDNSLog(ctx context.Context) error {
	return r.do(ctx, http.MethodDelete, "/v1/dns/queries", nil, nil)
}

// WaitDNS polls the DNS query log.
func (r *Remote) WaitDNS(ctx context.Context, match func(dns.Query) bool) (dns.Query, error) {
	read := func(ctx context.Context) ([]dns.Query, error) { return r.DNSLog(ctx) }
	return poll(ctx, r.maxPoll(), "DNS query", read, match)
}

// StartUpstream asks the fakes process to start an upstream.
func (r *Remote) StartUpstream(ctx context.Context, spec UpstreamSpec) (UpstreamInfo, error) {
	var info UpstreamInfo
	return info, r.do(ctx, http.MethodPost, "/v1/upstreams", spec, &info)
}

// StopUpstream asks the fakes process to close the upstream with this role.
func (r *Remote) StopUpstream(ctx context.Context, role string) error {
	return r.do(ctx, http.MethodDelete, upstreamPath(role), nil, nil)
}

// DropConnections asks the upstream with this role to close its connections.
func (r *Remote) DropConnections(ctx context.Context, role string) error {
	return r.do(ctx, http.MethodPost, upstreamPath(role)+"/drop", nil, nil)
}

// UpstreamLog returns the connection log of the upstream with this role.
func (r *Remote) UpstreamLog(ctx context.Context, role string) ([]upstream.Event, error) {
	var log []upstream.Event
	return log, r.do(ctx, http.MethodGet, upstreamPath(role)+"/events", nil, &log)
}

// ClearUpstreamLog empties the connection log of the upstream with this role.
func (r *Remote) ClearUpstreamLog(ctx context.Context, role string) error {
	return r.do(ctx, http.MethodDelete, upstreamPath(role)+"/events", nil, nil)
}

// WaitUpstream polls the connection log of the upstream with this role.
func (r *Remote) WaitUpstream(ctx context.Context, role string, match func(upstream.Event) bool) (upstream.Event, error) {
	read := func(ctx context.Context) ([]upstream.Event, error) { return r.UpstreamLog(ctx, role) }
	return poll(ctx, r.maxPoll(), fmt.Sprintf("upstream %q event", role), read, match)
}

// StartCanary asks the fakes process to start a canary.
func (r *Remote) StartCanary(ctx context.Context, spec CanarySpec) (CanaryInfo, error) {
	var info CanaryInfo
	return info, r.do(ctx, http.MethodPost, "/v1/canaries", spec, &info)
}

// StopCanary asks the fakes process to close the canary with this name.
func (r *Remote) StopCanary(ctx context.Context, name string) error {
	return r.do(ctx, http.MethodDelete, canaryPath(name), nil, nil)
}

// CanaryHits returns the hits of the canary with this name.
func (r *Remote) CanaryHits(ctx context.Context, name string) ([]canary.Hit, error) {
	var hits []canary.Hit
	return hits, r.do(ctx, http.MethodGet, canaryPath(name)+"/hits", nil, &hits)
}

// ClearCanary forgets the hits of the canary with this name.
func (r *Remote) ClearCanary(ctx context.Context, name string) error {
	return r.do(ctx, http.MethodDelete, canaryPath(name)+"/hits", nil, nil)
}

// WaitCanary polls the hits of the canary with this name.
func (r *Remote) WaitCanary(ctx context.Context, name string, match func(canary.Hit) bool) (canary.Hit, error) {
	read := func(ctx context.Context) ([]canary.Hit, error) { return r.CanaryHits(ctx, name) }
	return poll(ctx, r.maxPoll(), fmt.Sprintf("canary %q hit", name), read, match)
}

func upstreamPath(role string) string { return "/v1/upstreams/" + url.PathEscape(role) }
func canaryPath(name string) string   { return "/v1/canaries/" + url.PathEscape(name) }

func (r *Remote) maxPoll() time.Duration {
	if r.MaxPoll > 0 {
		return r.MaxPoll
	}
	return DefaultMaxPoll
}

// poll reads until an entry matches, pausing longer after each read that found none.
// An error from read ends it: an unknown name stays unknown.
func poll[T any](ctx context.Context, maxPause time.Duration, what string, read func(context.Context) ([]T, error), match func(T) bool) (T, error) {
	var zero T
	pause := min(firstPoll, maxPause)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		entries, err := read(ctx)
		if err != nil {
			return zero, err
		}
		for _, e := range entries {
			if match(e) {
				return e, nil
			}
		}
		timer.Reset(pause)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return zero, fmt.Errorf("no matching %s before %w", what, context.Cause(ctx))
		}
		pause = min(2*pause, maxPause)
	}
}

// errorBody is the JSON of every 4xx answer: the message, and the fields of the error type.
type errorBody struct {
	Error string `json:"error"`
	NotFoundError
	InvalidError
}

// do sends one request; in is sent as JSON when not nil, a 2xx answer is decoded into
// out when not nil, and 404 and 400 answers of the control API become their errors.
func (r *Remote) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("control API %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(data)
	}
	target := strings.TrimSuffix(r.URL, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return fmt.Errorf("control API: %w; give a URL such as http://127.0.0.1:8080", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("control API: %w; is the fakes process running at %s?", err, r.URL)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("control API %s %s: reading the answer: %w", method, target, err)
	}
	switch {
	case resp.StatusCode/100 == 2:
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("control API %s %s: the answer is not the JSON expected (%v); is %s a fakes control API?", method, target, err, r.URL)
		}
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusBadRequest:
		var e errorBody
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			if resp.StatusCode == http.StatusNotFound {
				return &e.NotFoundError
			}
			return &e.InvalidError
		}
	}
	return fmt.Errorf("control API %s %s: %s: %s", method, target, resp.Status, strings.Join(strings.Fields(string(data)), " "))
}
