package coverage

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/xbcheck/xbcheck/internal/coverage/dimension"
	"github.com/xbcheck/xbcheck/internal/crds"
)

// Spec is what the map knows of one spec that runs on the release.
type Spec struct {
	ShortName string
	// Source is the sentence the spec's level rests on, "Where: text".
	Source string
	// Covers are the behaviour classes its declaration names.
	Covers []dimension.Class
	// Objects are the objects of the manifests it applies, rendered in the
	// release's schema.
	Objects []map[string]any
}

// Input is what a map is generated from.
type Input struct {
	Bundle *crds.Bundle
	Specs  []Spec
	// Quotes are the sentences the suite quotes (package apitext), each
	// "Where: text"; those of other releases are left out.
	Quotes []string
	// NoneCan says why no spec can exercise a cell of the release, or "".
	NoneCan func(c Cell, release string) string
	// Choices are the choices of the reference gateway, each with the
	// sentence that leaves it open.
	Choices []Choice
}

// Build generates the coverage map of the bundle's release.
func Build(ctx context.Context, in Input) (Map, error) {
	xb, route, err := scopesOf(in.Bundle)
	if err != nil {
		return Map{}, err
	}
	scopes := append([]*scope{xb}, route...)
	var cells []Cell
	for _, sc := range scopes {
		cells = append(cells, sc.cells()...)
	}
	sentences := sentenceCells(scopes)
	cells = append(cells, sentences...)
	cells = append(cells, quoteCells(in.Quotes, sentences, in.Bundle.BundleVersion)...)
	for _, d := range dimension.All() {
		cells = append(cells, Cell{ID: string(d.Class) + ": " + d.Text, Group: GroupBehaviour, Source: d.Dimension + "; " + d.Source})
	}

	rows := make([]Row, len(cells))
	index := map[string]int{}
	for i, c := range cells {
		rows[i] = Row{Cell: c}
		if in.NoneCan != nil {
			rows[i].NoneCan = in.NoneCan(c, in.Bundle.BundleVersion)
		}
		if _, dup := index[c.ID]; !dup {
			index[c.ID] = i
		}
	}
	mark := func(id, spec string) {
		if i, ok := index[id]; ok && !slices.Contains(rows[i].Specs, spec) {
			rows[i].Specs = append(rows[i].Specs, spec)
		}
	}
	xbAdm, routeAdm, err := admissions(in.Bundle)
	if err != nil {
		return Map{}, err
	}
	for _, s := range in.Specs {
		for _, obj := range s.Objects {
			switch kind, _ := obj["kind"].(string); kind {
			case "XBackend":
				exercise(ctx, xbAdm, []*scope{xb}, obj, func(id string) { mark(id, s.ShortName) })
			case "HTTPRoute":
				exercise(ctx, routeAdm, route, obj, func(id string) { mark(id, s.ShortName) })
			}
		}
		for _, r := range rows {
			if r.Group == GroupSentence && quoteCovers(quoteOf(s.Source), r.Source) {
				mark(r.ID, s.ShortName)
			}
		}
		for _, c := range s.Covers {
			mark(dimensionID(c), s.ShortName)
		}
	}
	markRestatements(rows, index)
	markChoices(rows, in.Choices)
	for _, d := range dimension.All() {
		if d.NoneCan != "" {
			rows[index[dimensionID(d.Class)]].NoneCan = d.NoneCan
		}
	}
	sortRows(rows)
	return Map{Release: in.Bundle.BundleVersion, Rows: rows}, nil
}

func dimensionID(c dimension.Class) string {
	for _, d := range dimension.All() {
		if d.Class == c {
			return string(c) + ": " + d.Text
		}
	}
	return string(c)
}

// quoteOf is the text of a "Where: text" quote.
func quoteOf(q string) string {
	_, text := quoteText(q)
	return text
}

var releaseIn = regexp.MustCompile(`v\d+\.\d+\.\d+`)

// quoteCells are the normative quoted sentences no field description
// states (the GEP, RFCs, route and policy text): cells of their own.
// Quotes of another release, and xbcheck's own words, are left out.
func quoteCells(quotes []string, sentences []Cell, release string) []Cell {
	var out []Cell
	for _, q := range quotes {
		where, text := quoteText(q)
		if where == "xbcheck" || !normative.MatchString(text) {
			continue
		}
		if v := releaseIn.FindString(where); v != "" && v != release {
			continue
		}
		stated := slices.ContainsFunc(sentences, func(c Cell) bool { return quoteCovers(text, c.Source) })
		if !stated {
			out = append(out, Cell{ID: where + ": " + normalizeText(text), Group: GroupSentence, Source: normalizeText(text)})
		}
	}
	return out
}

// exercise adds the classes obj exercises in the scopes: refusal classes
// for each error when the API server would refuse it, value classes and
// rules that held when it would admit it.
func exercise(ctx context.Context, adm *admission, scopes []*scope, obj map[string]any, add func(string)) {
	if errs := adm.judge(ctx, obj); len(errs) > 0 {
		for _, e := range errs {
			for _, sc := range scopes {
				if id := sc.refused(e); id != "" {
					add(id)
				}
			}
		}
		return
	}
	for _, sc := range scopes {
		for _, v := range valuesAt(obj, sc.path) {
			if sc.fields == GroupRouteField && !refersToXBackend(v) {
				continue
			}
			sc.admitted(v, add)
		}
	}
}

func refersToXBackend(v any) bool {
	m, _ := v.(map[string]any)
	return m["kind"] == "XBackend"
}

// valuesAt returns the values at a schema path (a.b[].c) of obj.
func valuesAt(obj any, path string) []any {
	vals := []any{obj}
	for _, seg := range strings.Split(path, ".") {
		name, list := strings.CutSuffix(seg, "[]")
		var next []any
		for _, v := range vals {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			child, ok := m[name]
			if !ok {
				continue
			}
			if !list {
				next = append(next, child)
				continue
			}
			items, _ := child.([]any)
			next = append(next, items...)
		}
		vals = next
	}
	return vals
}

// scopesOf finds XBackend's spec and the places of HTTPRoute that refer
// to a backend (its backendRefs, a mirror's or an external
// authorization's backendRef) in the bundle's CRDs.
func scopesOf(b *crds.Bundle) (*scope, []*scope, error) {
	xbAdm, routeAdm, err := admissions(b)
	if err != nil {
		return nil, nil, err
	}
	spec := xbAdm.schema.Properties["spec"]
	xb := newScope("spec", &spec, GroupXBackendField, GroupXBackendRule)
	var route []*scope
	var find func(path string, s *apiextensionsv1.JSONSchemaProps)
	find = func(path string, s *apiextensionsv1.JSONSchemaProps) {
		_, kind := s.Properties["kind"]
		_, name := s.Properties["name"]
		if kind && name && (strings.HasSuffix(path, ".backendRef") || strings.HasSuffix(path, ".backendRefs[]")) {
			route = append(route, newScope(path, s, GroupRouteField, GroupRouteRule, "filters"))
		}
		for _, k := range sortedKeys(s.Properties) {
			p := s.Properties[k]
			find(path+"."+k, &p)
		}
		if s.Items != nil && s.Items.Schema != nil {
			find(path+"[]", s.Items.Schema)
		}
	}
	rs := routeAdm.schema.Properties["spec"]
	find("spec", &rs)
	if len(route) == 0 {
		return nil, nil, fmt.Errorf("the HTTPRoute CRD of %s has no backendRefs", b.BundleVersion)
	}
	return xb, route, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// admissions are the judges of XBackend and HTTPRoute objects.
func admissions(b *crds.Bundle) (xb, route *admission, err error) {
	for _, crd := range b.CRDs {
		switch crd.Spec.Names.Kind {
		case "XBackend":
			xb, err = newAdmission(crd)
		case "HTTPRoute":
			route, err = newAdmission(crd)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if xb == nil || route == nil {
		return nil, nil, fmt.Errorf("%s: the XBackend and HTTPRoute CRDs are both needed for the coverage map", b.Dir)
	}
	return xb, route, nil
}
