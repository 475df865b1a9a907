package controller

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Table routes the requests of one listener port: the rules of every route
// attached to a listener on that port, matched by hostname, path, method,
// headers and query, then split across backendRefs by weight.
type Table struct {
	rules    []tableRule
	backends *Backends
	// firstBackendOnly is the ignore-weights fault, flatWeights the
	// flatten-weights one, portFromRoute the port-from-route one.
	firstBackendOnly, flatWeights, portFromRoute bool
	// stream says the table is a TCP listener's: see ServeStream.
	stream bool
}

type tableRule struct {
	hosts    []string // "" matches any host
	match    compiledMatch
	targets  []target
	total    int
	rewrite  string // URLRewrite hostname
	created  time.Time
	route    string // namespace/name, for the tie-break
	ruleIdx  int
	matchIdx int
}

// target is one backendRef: an XBackend looked up at request time (so a
// transport rebuilt or an XBackend created later takes effect at once), or
// a ref that can never be served (invalid kind, not permitted): 500.
type target struct {
	weight   int
	xbackend types.NamespacedName
	invalid  string
	// refPort is the backendRef's port (0 when absent): the reference
	// gateway dials the XBackend's, unless the port-from-route fault is on.
	refPort int
}

type compiledMatch struct {
	exact   bool   // path type Exact
	path    string // the path value
	regex   *regexp.Regexp
	method  string
	headers []valueMatch
	queries []valueMatch
}

type valueMatch struct {
	name  string
	value string
	regex *regexp.Regexp
}

func (v valueMatch) matches(values []string) bool {
	for _, got := range values {
		if v.regex != nil && v.regex.MatchString(got) || v.regex == nil && got == v.value {
			return true
		}
	}
	return false
}

// addRoute compiles route's rules for a listener with hostname lh into t.
func (t *Table) addRoute(w *World, route *gatewayv1.HTTPRoute, lh *gatewayv1.Hostname) {
	hosts := routeHostnames(lh, route.Spec.Hostnames)
	for ri, rule := range route.Spec.Rules {
		targets, total := ruleTargets(w, route, rule, t.flatWeights)
		matches := rule.Matches
		if len(matches) == 0 {
			matches = []gatewayv1.HTTPRouteMatch{{}}
		}
		for mi, m := range matches {
			cm, err := compileMatch(m)
			if err != nil {
				continue // the route status says so; the rest of the route still serves
			}
			t.rules = append(t.rules, tableRule{
				hosts: hosts, match: cm, targets: targets, total: total, rewrite: rewriteHost(rule),
				created: route.CreationTimestamp.Time, route: route.Namespace + "/" + route.Name, ruleIdx: ri, matchIdx: mi,
			})
		}
	}
}

// ruleTargets lists the backendRefs of rule with a positive weight;
// flatWeights (the flatten-weights fault) gives each of them weight 1.
func ruleTargets(w *World, route *gatewayv1.HTTPRoute, rule gatewayv1.HTTPRouteRule, flatWeights bool) ([]target, int) {
	var targets []target
	total := 0
	for _, br := range rule.BackendRefs {
		weight := 1
		if br.Weight != nil {
			weight = int(*br.Weight)
		}
		if weight <= 0 {
			continue
		}
		if flatWeights {
			weight = 1
		}
		r := w.Resolve(route, br.BackendObjectReference)
		tg := target{weight: weight, xbackend: r.XBackend}
		if br.Port != nil {
			tg.refPort = int(*br.Port)
		}
		if r.Reason != "" && r.Reason != gatewayv1.RouteReasonBackendNotFound {
			tg.invalid = r.Message
		}
		targets = append(targets, tg)
		total += weight
	}
	return targets, total
}

// rewriteHost is the rule's URLRewrite hostname, if any.
func rewriteHost(rule gatewayv1.HTTPRouteRule) string {
	for _, f := range rule.Filters {
		if f.Type == gatewayv1.HTTPRouteFilterURLRewrite && f.URLRewrite != nil && f.URLRewrite.Hostname != nil {
			return string(*f.URLRewrite.Hostname)
		}
	}
	return ""
}

func compileMatch(m gatewayv1.HTTPRouteMatch) (compiledMatch, error) {
	cm := compiledMatch{path: "/"}
	if m.Path != nil {
		if m.Path.Value != nil {
			cm.path = *m.Path.Value
		}
		typ := gatewayv1.PathMatchPathPrefix
		if m.Path.Type != nil {
			typ = *m.Path.Type
		}
		switch typ {
		case gatewayv1.PathMatchExact:
			cm.exact = true
		case gatewayv1.PathMatchRegularExpression:
			re, err := regexp.Compile("^(?:" + cm.path + ")$")
			if err != nil {
				return cm, fmt.Errorf("path regular expression %q: %w", cm.path, err)
			}
			cm.regex = re
		}
	}
	if m.Method != nil {
		cm.method = string(*m.Method)
	}
	for _, h := range m.Headers {
		vm, err := compileValue(string(h.Name), h.Value, h.Type != nil && *h.Type == gatewayv1.HeaderMatchRegularExpression)
		if err != nil {
			return cm, err
		}
		cm.headers = append(cm.headers, vm)
	}
	for _, q := range m.QueryParams {
		vm, err := compileValue(string(q.Name), q.Value, q.Type != nil && *q.Type == gatewayv1.QueryParamMatchRegularExpression)
		if err != nil {
			return cm, err
		}
		cm.queries = append(cm.queries, vm)
	}
	return cm, nil
}

func compileValue(name, value string, isRegex bool) (valueMatch, error) {
	vm := valueMatch{name: name, value: value}
	if isRegex {
		re, err := regexp.Compile(value)
		if err != nil {
			return vm, fmt.Errorf("match %s: regular expression %q: %w", name, value, err)
		}
		vm.regex = re
	}
	return vm, nil
}

// pathMatches applies a PathPrefix match element-wise: /api matches /api
// and /api/x but not /apix.
func (m compiledMatch) pathMatches(path string) bool {
	switch {
	case m.regex != nil:
		return m.regex.MatchString(path)
	case m.exact:
		return path == m.path
	}
	prefix := strings.TrimSuffix(m.path, "/")
	return prefix == "" || path == prefix || strings.HasPrefix(path, prefix+"/")
}

func (m compiledMatch) matches(r *http.Request) bool {
	if !m.pathMatches(r.URL.Path) || m.method != "" && r.Method != m.method {
		return false
	}
	for _, h := range m.headers {
		if !h.matches(r.Header.Values(h.name)) {
			return false
		}
	}
	query := r.URL.Query()
	for _, q := range m.queries {
		if !q.matches(query[q.name]) {
			return false
		}
	}
	return true
}

// hostRank is how specifically a rule's hostnames match host: 0 no match,
// 1 any host, 2+ a wildcard (longer is more specific), max an exact name.
func (r tableRule) hostRank(host string) int {
	best := 0
	for _, h := range r.hosts {
		switch {
		case h == "":
			best = max(best, 1)
		case h == host:
			return 1 << 20
		case hostMatches(h, host):
			best = max(best, 2+len(h))
		}
	}
	return best
}

// before reports whether rule a takes precedence over b, in the order of
// the HTTPRoute API: exact path, longest prefix, method, most headers, most
// query params, oldest route, route name, rule order.
func (a tableRule) before(b tableRule) bool {
	if a.match.exact != b.match.exact {
		return a.match.exact
	}
	if c := cmp.Compare(len(a.match.path), len(b.match.path)); c != 0 {
		return c > 0
	}
	if (a.match.method != "") != (b.match.method != "") {
		return a.match.method != ""
	}
	if c := cmp.Compare(len(a.match.headers), len(b.match.headers)); c != 0 {
		return c > 0
	}
	if c := cmp.Compare(len(a.match.queries), len(b.match.queries)); c != 0 {
		return c > 0
	}
	if !a.created.Equal(b.created) {
		return a.created.Before(b.created)
	}
	if a.route != b.route {
		return a.route < b.route
	}
	if a.ruleIdx != b.ruleIdx {
		return a.ruleIdx < b.ruleIdx
	}
	return a.matchIdx < b.matchIdx
}

// Match returns the rule that serves r, or false.
func (t *Table) match(r *http.Request) (tableRule, bool) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	var best tableRule
	bestRank := 0
	for _, rule := range t.rules {
		rank := rule.hostRank(host)
		if rank == 0 || rank < bestRank || !rule.match.matches(r) {
			continue
		}
		if rank > bestRank || rule.before(best) {
			best, bestRank = rule, rank
		}
	}
	return best, bestRank > 0
}

// pick chooses a backendRef by weight, or the first one when
// firstBackendOnly (the ignore-weights fault).
func (r tableRule) pick(firstBackendOnly bool) (target, bool) {
	if r.total == 0 {
		return target{}, false
	}
	if firstBackendOnly {
		return r.targets[0], true
	}
	n := rand.IntN(r.total)
	for _, tg := range r.targets {
		if n < tg.weight {
			return tg, true
		}
		n -= tg.weight
	}
	return target{}, false
}

// fallbackPort is the port-from-route fault's port: the backendRef's, else
// the default port of HTTP, whatever the XBackend says.
func (tg target) fallbackPort() int {
	if tg.refPort != 0 {
		return tg.refPort
	}
	return 80
}

// ServeHTTP routes r: 404 when no rule matches; 500 when the chosen
// backendRef is invalid, missing or not Accepted (never a fallback).
func (t *Table) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rule, ok := t.match(r)
	if !ok {
		http.Error(w, fmt.Sprintf("no HTTPRoute rule matches host %q path %q", r.Host, r.URL.Path), http.StatusNotFound)
		return
	}
	tg, ok := rule.pick(t.firstBackendOnly)
	switch {
	case !ok:
		http.Error(w, "the matching rule of "+rule.route+" has no backendRef with a positive weight", http.StatusInternalServerError)
		return
	case tg.invalid != "":
		http.Error(w, tg.invalid, http.StatusInternalServerError)
		return
	}
	port := 0
	if t.portFromRoute {
		port = tg.fallbackPort()
	}
	p, err := t.backends.proxy(tg.xbackend, rule.rewrite, port)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.ServeHTTP(w, r)
}
