package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/xbcheck/xbcheck/fakes/dns"
)

// maxBody bounds what the API reads of a request and a client of an answer.
const maxBody = 64 << 20

// NewHandler serves the control API over f (see the package documentation for the
// routes). Logs, programs and specs travel as the fakes' own JSON; errors as a JSON
// object whose "error" is one line: 404 for an unknown role or name (with "known":
// the names that exist), 400 for a request the fakes refuse (with "field" when one
// is at fault), 500 for anything else.
func NewHandler(f Fakes) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/summary", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return f.Summary(ctx) })
	})
	mux.HandleFunc("GET /v1/pki", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return f.PKI(ctx) })
	})
	mux.HandleFunc("GET /v1/pki/ca.crt", func(w http.ResponseWriter, r *http.Request) {
		p, err := f.PKI(r.Context())
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = io.WriteString(w, p.CA)
	})
	mux.HandleFunc("PUT /v1/dns/programs/{name}/{type}", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) {
			qtype, err := parseType(r.PathValue("type"))
			if err != nil {
				return nil, err
			}
			p, err := decodeProgram(r.Body)
			if err != nil {
				return nil, err
			}
			return nil, f.SetProgram(ctx, r.PathValue("name"), qtype, p)
		})
	})
	mux.HandleFunc("DELETE /v1/dns/programs", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return nil, f.ClearPrograms(ctx) })
	})
	mux.HandleFunc("GET /v1/dns/queries", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return f.DNSLog(ctx, r.URL.Query()["name"]...) })
	})
	mux.HandleFunc("DELETE /v1/dns/queries", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return nil, f.ClearDNSLog(ctx) })
	})
	mux.HandleFunc("POST /v1/upstreams", func(w http.ResponseWriter, r *http.Request) {
		created(w, r, func(ctx context.Context) (any, error) {
			spec, err := decodeUpstreamSpec(r.Body)
			if err != nil {
				return nil, err
			}
			return f.StartUpstream(ctx, spec)
		})
	})
	mux.HandleFunc("DELETE /v1/upstreams/{role}", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return nil, f.StopUpstream(ctx, r.PathValue("role")) })
	})
	mux.HandleFunc("POST /v1/upstreams/{role}/drop", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return nil, f.DropConnections(ctx, r.PathValue("role")) })
	})
	mux.HandleFunc("GET /v1/upstreams/{role}/events", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return f.UpstreamLog(ctx, r.PathValue("role")) })
	})
	mux.HandleFunc("DELETE /v1/upstreams/{role}/events", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return nil, f.ClearUpstreamLog(ctx, r.PathValue("role")) })
	})
	mux.HandleFunc("POST /v1/canaries", func(w http.ResponseWriter, r *http.Request) {
		created(w, r, func(ctx context.Context) (any, error) {
			spec, err := decodeCanarySpec(r.Body)
			if err != nil {
				return nil, err
			}
			return f.StartCanary(ctx, spec)
		})
	})
	mux.HandleFunc("DELETE /v1/canaries/{name}", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return nil, f.StopCanary(ctx, r.PathValue("name")) })
	})
	mux.HandleFunc("GET /v1/canaries/{name}/hits", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return f.CanaryHits(ctx, r.PathValue("name")) })
	})
	mux.HandleFunc("DELETE /v1/canaries/{name}/hits", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return nil, f.ClearCanary(ctx, r.PathValue("name")) })
	})
	return mux
}

// answer runs one call and writes its result as JSON, 204 when it has none, or its error.
func answer(w http.ResponseWriter, r *http.Request, call func(context.Context) (any, error)) {
	respond(w, r, http.StatusOK, call)
}

// created is answer for a call that starts a fake: 201 with what it started.
func created(w http.ResponseWriter, r *http.Request, call func(context.Context) (any, error)) {
	respond(w, r, http.StatusCreated, call)
}

func respond(w http.ResponseWriter, r *http.Request, status int, call func(context.Context) (any, error)) {
	result, err := call(r.Context())
	switch {
	case err != nil:
		writeError(w, err)
	case result == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, status, result)
	}
}

func writeError(w http.ResponseWriter, err error) {
	var notFound *NotFoundError
	var invalid *InvalidError
	switch {
	case errors.As(err, &notFound):
		writeJSON(w, http.StatusNotFound, struct {
			Error string `json:"error"`
			*NotFoundError
		}{err.Error(), notFound})
	case errors.As(err, &invalid):
		writeJSON(w, http.StatusBadRequest, struct {
			Error string `json:"error"`
			*InvalidError
		}{err.Error(), invalid})
	default:
		writeJSON(w, http.StatusInternalServerError, struct {
			Error string `json:"error"`
		}{err.Error()})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client has gone if this fails; nobody is left to tell
}

// parseType reads a query type from a path: a name such as AAAA, or a number.
func parseType(s string) (uint16, error) {
	if t, ok := mdns.StringToType[strings.ToUpper(s)]; ok {
		return t, nil
	}
	if n, err := strconv.ParseUint(s, 10, 16); err == nil && n > 0 {
		return uint16(n), nil
	}
	return 0, &InvalidError{Field: "type", Reason: fmt.Sprintf("%q is not a DNS type; use a name such as A, AAAA or CNAME, or a number", s)}
}

// payload describes what a request body carries, for the messages about it.
type payload struct {
	what    string // with its article: "a DNS program"
	noun    string // "program"
	example string // a small valid body
	fields  string // the fields it has, for an unknown one
	doc     string // the Go types that document it
}

// decodeBody reads one JSON value into T, refusing unknown fields and naming the field
// at fault when the JSON is wrong.
func decodeBody[T any](body io.Reader, p payload) (T, error) {
	var v T
	dec := json.NewDecoder(io.LimitReader(body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = errors.New("data after the " + p.noun)
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var instant *time.ParseError
	switch {
	case err == nil:
		return v, nil
	case errors.Is(err, io.EOF):
		return v, &InvalidError{Reason: fmt.Sprintf("the body is empty; send %s as JSON, e.g. %s", p.what, p.example)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return v, &InvalidError{Reason: fmt.Sprintf("the body is not JSON (it ends too early); send a whole %s as JSON", p.noun)}
	case errors.As(err, &syntax):
		return v, &InvalidError{Reason: fmt.Sprintf("the body is not JSON (%v at byte %d); send %s as JSON", syntax, syntax.Offset, p.what)}
	case errors.As(err, &typ) && typ.Type == reflect.TypeFor[time.Duration]():
		return v, &InvalidError{Field: typ.Field, Reason: fmt.Sprintf("JSON %s cannot be a duration; write whole nanoseconds, e.g. 5000000000 for 5s", typ.Value)}
	case errors.As(err, &typ):
		return v, &InvalidError{Field: typ.Field, Reason: fmt.Sprintf("JSON %s cannot be a %s; see %s", typ.Value, typ.Type, p.doc)}
	case errors.As(err, &instant): // the only instant of a program
		return v, &InvalidError{Field: "until", Reason: fmt.Sprintf("%q is not an RFC 3339 instant; write one such as 2030-01-02T15:04:05Z", instant.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return v, &InvalidError{Field: field, Reason: fmt.Sprintf("no such field in %s; use %s", p.what, p.fields)}
	default:
		return v, &InvalidError{Reason: fmt.Sprintf("the %s does not decode: %v", p.noun, err)}
	}
}

func decodeProgram(body io.Reader) (dns.Program, error) {
	return decodeBody[dns.Program](body, payload{
		what: "a DNS program", noun: "program",
		example: `{"kind":"static","steps":[{"answers":["A 203.0.113.10"]}]}`,
		fields:  "kind, steps, after, seed, for, until, and in steps answers, ttl, rcode, delay, drop, truncate",
		doc:     "the fields of dns.Program and dns.Step",
	})
}

func decodeUpstreamSpec(body io.Reader) (UpstreamSpec, error) {
	return decodeBody[UpstreamSpec](body, payload{
		what: "an upstream spec", noun: "spec",
		example: `{"role":"api","hostname":"api.xbcheck.test","tls":"Valid"}`,
		fields:  "role, addr, hostname, tls, protocols, uris, authority (cert, key), clientCA",
		doc:     "the fields of control.UpstreamSpec",
	})
}

func decodeCanarySpec(body io.Reader) (CanarySpec, error) {
	return decodeBody[CanarySpec](body, payload{
		what: "a canary spec", noun: "spec",
		example: `{"name":"metadata","addrs":["169.254.169.254:80"]}`,
		fields:  "name, addrs",
		doc:     "the fields of control.CanarySpec",
	})
}
