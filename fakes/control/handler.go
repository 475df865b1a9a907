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
// routes). Logs and programs travel as the fakes' own JSON; errors as a JSON object
// whose "error" is one line: 404 for an unknown role or name (with "known": the
// names that exist), 400 for a program that does not decode or install (with
// "field" when one is at fault).
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
		answer(w, r, func(ctx context.Context) (any, error) { return f.DNSLog(ctx) })
	})
	mux.HandleFunc("DELETE /v1/dns/queries", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return nil, f.ClearDNSLog(ctx) })
	})
	mux.HandleFunc("GET /v1/upstreams/{role}/events", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return f.UpstreamLog(ctx, r.PathValue("role")) })
	})
	mux.HandleFunc("DELETE /v1/upstreams/{role}/events", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, func(ctx context.Context) (any, error) { return nil, f.ClearUpstreamLog(ctx, r.PathValue("role")) })
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
	result, err := call(r.Context())
	switch {
	case err != nil:
		writeError(w, err)
	case result == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusOK, result)
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

// decodeProgram reads a dns.Program, naming the field at fault when the JSON is wrong.
func decodeProgram(body io.Reader) (dns.Program, error) {
	var p dns.Program
	dec := json.NewDecoder(io.LimitReader(body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	if err == nil && dec.More() {
		err = errors.New("data after the program")
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var instant *time.ParseError
	switch {
	case err == nil:
		return p, nil
	case errors.Is(err, io.EOF):
		return p, &InvalidError{Reason: "the body is empty; send a DNS program as JSON, e.g. {\"kind\":\"static\",\"steps\":[{\"answers\":[\"A 203.0.113.10\"]}]}"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return p, &InvalidError{Reason: "the body is not JSON (it ends too early); send a whole DNS program as JSON"}
	case errors.As(err, &syntax):
		return p, &InvalidError{Reason: fmt.Sprintf("the body is not JSON (%v at byte %d); send a DNS program as JSON", syntax, syntax.Offset)}
	case errors.As(err, &typ) && typ.Type == reflect.TypeFor[time.Duration]():
		return p, &InvalidError{Field: typ.Field, Reason: fmt.Sprintf("JSON %s cannot be a duration; write whole nanoseconds, e.g. 5000000000 for 5s", typ.Value)}
	case errors.As(err, &typ):
		return p, &InvalidError{Field: typ.Field, Reason: fmt.Sprintf("JSON %s cannot be a %s; see the fields of dns.Program and dns.Step", typ.Value, typ.Type)}
	case errors.As(err, &instant): // the only instant of a program
		return p, &InvalidError{Field: "until", Reason: fmt.Sprintf("%q is not an RFC 3339 instant; write one such as 2030-01-02T15:04:05Z", instant.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return p, &InvalidError{Field: field, Reason: "no such field in a DNS program; use kind, steps, after, seed, for, until, and in steps answers, ttl, rcode, delay, drop, truncate"}
	default:
		return p, &InvalidError{Reason: fmt.Sprintf("the program does not decode: %v", err)}
	}
}
