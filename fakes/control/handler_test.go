package control

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/fakes/dns"
)

// TestAPIErrors checks the status and the JSON error of every refusal a client can meet.
func TestAPIErrors(t *testing.T) {
	s := startStandalone(t)
	cases := []struct {
		name, method, path, body string
		status                   int
		field                    string   // for 400: the field named
		known                    []string // for 404: the names listed
		mention                  string   // in the one-line message
	}{
		{name: "unknown upstream role", method: "GET", path: "/v1/upstreams/nope/events",
			status: 404, known: []string{"api"}, mention: `no upstream with role "nope"; use one of: api`},
		{name: "clearing an unknown upstream", method: "DELETE", path: "/v1/upstreams/nope/events",
			status: 404, known: []string{"api"}, mention: "use one of: api"},
		{name: "unknown canary name", method: "GET", path: "/v1/canaries/nope/hits",
			status: 404, known: []string{"admin"}, mention: `no canary named "nope"; use one of: admin`},
		{name: "a step field of the wrong type", method: "PUT", path: "/v1/dns/programs/api.xbcheck.test./A",
			body:   `{"kind":"static","steps":[{"answers":["A 203.0.113.10"],"ttl":"ten"}]}`,
			status: 400, field: "steps.ttl", mention: "cannot be a uint32"},
		{name: "a duration written as text", method: "PUT", path: "/v1/dns/programs/api.xbcheck.test./A",
			body: `{"kind":"window","steps":[{},{}],"for":"5s"}`, status: 400, field: "for", mention: "whole nanoseconds"},
		{name: "an instant that is not RFC 3339", method: "PUT", path: "/v1/dns/programs/api.xbcheck.test./A",
			body: `{"kind":"window","steps":[{},{}],"until":"tomorrow"}`, status: 400, field: "until", mention: "RFC 3339"},
		{name: "an unknown field", method: "PUT", path: "/v1/dns/programs/api.xbcheck.test./A",
			body: `{"kind":"static","stepz":[]}`, status: 400, field: "stepz", mention: "no such field"},
		{name: "a body that is not JSON", method: "PUT", path: "/v1/dns/programs/api.xbcheck.test./A",
			body: `{"kind":`, status: 400, mention: "not JSON"},
		{name: "an empty body", method: "PUT", path: "/v1/dns/programs/api.xbcheck.test./A",
			status: 400, mention: "the body is empty"},
		{name: "two programs in one body", method: "PUT", path: "/v1/dns/programs/api.xbcheck.test./A",
			body: `{"kind":"static","steps":[{}]} {}`, status: 400, mention: "data after the program"},
		{name: "an unknown query type", method: "PUT", path: "/v1/dns/programs/api.xbcheck.test./BOGUS",
			body: `{"kind":"static","steps":[{}]}`, status: 400, field: "type", mention: `"BOGUS" is not a DNS type`},
		{name: "a name that is not a domain name", method: "PUT", path: "/v1/dns/programs/api..xbcheck.test./A",
			body: `{"kind":"static","steps":[{}]}`, status: 400, field: "name", mention: "not a domain name"},
		{name: "an answer that is not a record", method: "PUT", path: "/v1/dns/programs/api.xbcheck.test./A",
			body: `{"kind":"static","steps":[{"answers":["A 999.1.1.1"]}]}`, status: 400, mention: `answer "A 999.1.1.1" is not a record`},
		{name: "a sequence with one step", method: "PUT", path: "/v1/dns/programs/api.xbcheck.test./AAAA",
			body: `{"kind":"sequence","steps":[{}],"after":1}`, status: 400, mention: "takes 2 step(s), got 1"},
		{name: "stopping an unknown upstream", method: "DELETE", path: "/v1/upstreams/nope",
			status: 404, known: []string{"api"}, mention: `no upstream with role "nope"; use one of: api`},
		{name: "dropping the connections of an unknown upstream", method: "POST", path: "/v1/upstreams/nope/drop",
			status: 404, known: []string{"api"}, mention: "use one of: api"},
		{name: "stopping an unknown canary", method: "DELETE", path: "/v1/canaries/nope",
			status: 404, known: []string{"admin"}, mention: `no canary named "nope"; use one of: admin`},
		{name: "an upstream spec without a body", method: "POST", path: "/v1/upstreams",
			status: 400, mention: "the body is empty; send an upstream spec as JSON"},
		{name: "an upstream spec with an unknown field", method: "POST", path: "/v1/upstreams",
			body: `{"role":"x","hostnme":"x.xbcheck.test"}`, status: 400, field: "hostnme", mention: "no such field in an upstream spec; use role, addr"},
		{name: "an upstream spec with a field of the wrong type", method: "POST", path: "/v1/upstreams",
			body: `{"role":"x","protocols":"h2c"}`, status: 400, field: "protocols", mention: "see the fields of control.UpstreamSpec"},
		{name: "an upstream spec with a role in use", method: "POST", path: "/v1/upstreams",
			body: `{"role":"api"}`, status: 400, field: "role", mention: `"api" is in use by a running upstream`},
		{name: "an upstream spec with an authority key that is not PEM", method: "POST", path: "/v1/upstreams",
			body: `{"role":"x","authority":{"cert":"","key":""}}`, status: 400, field: "authority.cert", mention: "no PEM CERTIFICATE block"},
		{name: "two specs in one body", method: "POST", path: "/v1/upstreams",
			body: `{"role":"x"} {}`, status: 400, mention: "data after the spec"},
		{name: "a canary spec that is not JSON", method: "POST", path: "/v1/canaries",
			body: `{"name":`, status: 400, mention: "not JSON"},
		{name: "a canary spec with an address off loopback", method: "POST", path: "/v1/canaries",
			body: `{"name":"metadata","addrs":["169.254.169.254:80"]}`, status: 400, field: "addrs[0]", mention: "may not bind 169.254.169.254"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), c.method, s.URL()+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error string   `json:"error"`
				Field string   `json:"field"`
				Known []string `json:"known"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("%s %s: the error is not JSON: %v", c.method, c.path, err)
			}
			if resp.StatusCode != c.status || body.Field != c.field || !slices.Equal(body.Known, c.known) {
				t.Errorf("%s %s: %d %+v; want %d, field %q, known %q", c.method, c.path, resp.StatusCode, body, c.status, c.field, c.known)
			}
			if !strings.Contains(body.Error, c.mention) || strings.Contains(body.Error, "\n") {
				t.Errorf("error %q: want one line mentioning %q", body.Error, c.mention)
			}
		})
	}
}

// TestAPIProgramByNumberedType proves a query type can be given by number, as Remote
// does for types without a name.
func TestAPIProgramByNumberedType(t *testing.T) {
	s := startStandalone(t)
	if err := (&Remote{URL: s.URL()}).SetProgram(t.Context(), "odd.xbcheck.test.", 65280, dns.Static(dns.Records(0, "A 203.0.113.10"))); err != nil {
		t.Fatalf("SetProgram for type 65280: %v", err)
	}
}

// TestCAPEM checks that the CA alone is served as PEM, the same as in PKI.
func TestCAPEM(t *testing.T) {
	s := startStandalone(t)
	resp, err := http.Get(s.URL() + "/v1/pki/ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("GET /v1/pki/ca.crt: %q is not a PEM certificate", data)
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !ca.IsCA || ca.Subject.CommonName != DefaultCACommonName {
		t.Errorf("GET /v1/pki/ca.crt: a certificate for %q (CA %v, err %v), want the CA %q", ca.Subject.CommonName, ca.IsCA, err, DefaultCACommonName)
	}
	if p, err := s.Local().PKI(t.Context()); err != nil || string(data) != p.CA {
		t.Errorf("GET /v1/pki/ca.crt differs from the CA the upstreams use")
	}
}

// TestRemoteOutsideTheAPI proves a 404 that is not the control API's is not taken for
// an unknown name, and that an unreachable API says so.
func TestRemoteOutsideTheAPI(t *testing.T) {
	s := startStandalone(t)
	_, err := (&Remote{URL: s.URL() + "/elsewhere"}).UpstreamLog(t.Context(), "api")
	var nf *NotFoundError
	if err == nil || errors.As(err, &nf) || !strings.Contains(err.Error(), "404") {
		t.Errorf("a wrong URL gave %v (%T), want a plain error with the 404", err, err)
	}
	url := s.URL()
	s.Close()
	if _, err := (&Remote{URL: url}).DNSLog(t.Context()); err == nil || !strings.Contains(err.Error(), "is the fakes process running") {
		t.Errorf("a closed API gave %v, want an error asking whether the process runs", err)
	}
}

// TestAPIStartAndStop checks the statuses of the routes that start and stop fakes.
func TestAPIStartAndStop(t *testing.T) {
	s := startStandalone(t)
	steps := []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/v1/upstreams", `{"role":"web"}`, http.StatusCreated},
		{"POST", "/v1/upstreams/web/drop", "", http.StatusNoContent},
		{"DELETE", "/v1/upstreams/web", "", http.StatusNoContent},
		{"DELETE", "/v1/upstreams/web", "", http.StatusNotFound},
		{"POST", "/v1/canaries", `{"name":"late","addrs":["127.0.0.3:0"]}`, http.StatusCreated},
		{"DELETE", "/v1/canaries/late", "", http.StatusNoContent},
		{"GET", "/v1/dns/queries?name=api.xbcheck.test", "", http.StatusOK},
	}
	for _, step := range steps {
		req, err := http.NewRequestWithContext(t.Context(), step.method, s.URL()+step.path, strings.NewReader(step.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != step.status {
			t.Errorf("%s %s: %d %s, want %d", step.method, step.path, resp.StatusCode, data, step.status)
		}
		if step.status == http.StatusCreated {
			var info struct {
				Token string `json:"token"`
			}
			if err := json.Unmarshal(data, &info); err != nil || info.Token == "" {
				t.Errorf("%s %s answered %s, want what started, with its token", step.method, step.path, data)
			}
		}
	}
}
