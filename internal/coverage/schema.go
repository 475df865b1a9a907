package coverage

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// scope is a subtree of a CRD's schema the map covers: XBackend's spec,
// or one place of HTTPRoute that refers to a backend.
type scope struct {
	path          string // e.g. "spec", "spec.rules[].backendRefs[]"
	schema        *apiextensionsv1.JSONSchemaProps
	fields, rules Group
	// nodes are the scope's schema nodes by path, the scope's own first.
	nodes map[string]*apiextensionsv1.JSONSchemaProps
	// leaves are paths not walked below (a backendRef's filters, whose
	// own backendRefs are scopes of their own).
	leaves map[string]bool
}

func newScope(path string, s *apiextensionsv1.JSONSchemaProps, fields, rules Group, leaves ...string) *scope {
	sc := &scope{path: path, schema: s, fields: fields, rules: rules, nodes: map[string]*apiextensionsv1.JSONSchemaProps{}, leaves: map[string]bool{}}
	for _, l := range leaves {
		sc.leaves[path+"."+l] = true
	}
	sc.index(path, s)
	return sc
}

func (sc *scope) index(path string, s *apiextensionsv1.JSONSchemaProps) {
	sc.nodes[path] = s
	if sc.leaves[path] {
		return
	}
	for name, p := range s.Properties {
		sc.index(path+"."+name, &p)
	}
	if s.Items != nil && s.Items.Schema != nil {
		sc.index(path+"[]", s.Items.Schema)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		sc.index(path+"{}", s.AdditionalProperties.Schema)
	}
}

// The value classes of a field, as cell IDs.
func absent(p string) string           { return p + " absent" }
func requiredAbsent(p string) string   { return p + " absent, refused (required)" }
func present(p string) string          { return p + " present" }
func enumValue(p string, v any) string { return fmt.Sprintf("%s = %v", p, v) }
func outsideEnum(p string) string      { return p + ": a value outside the enum, refused" }
func atMinimum(p string, n any) string { return fmt.Sprintf("%s = %v (minimum)", p, n) }
func belowMinimum(p string, n any) string {
	return fmt.Sprintf("%s < %v (below minimum), refused", p, n)
}
func atMaximum(p string, n any) string { return fmt.Sprintf("%s = %v (maximum)", p, n) }
func aboveMaximum(p string, n any) string {
	return fmt.Sprintf("%s > %v (above maximum), refused", p, n)
}
func atMaxSize(p, unit string, n int64) string {
	return fmt.Sprintf("%s: %d %s (the maximum)", p, n, unit)
}
func aboveMaxSize(p, unit string, n int64) string {
	return fmt.Sprintf("%s: more than %d %s, refused", p, n, unit)
}
func belowMinSize(p, unit string, n int64) string {
	return fmt.Sprintf("%s: fewer than %d %s, refused", p, n, unit)
}
func patternViolated(p string) string { return p + ": does not match the pattern, refused" }
func ruleHolds(p string, r apiextensionsv1.ValidationRule) string {
	return fmt.Sprintf("%s: rule %q holds", p, ruleName(r))
}
func ruleFails(p string, r apiextensionsv1.ValidationRule) string {
	return fmt.Sprintf("%s: rule %q fails, refused", p, ruleName(r))
}

func ruleName(r apiextensionsv1.ValidationRule) string {
	if r.Message != "" {
		return r.Message
	}
	return r.Rule
}

// sizeUnit names what a length bound of s counts.
func sizeUnit(s *apiextensionsv1.JSONSchemaProps) string {
	switch s.Type {
	case "array":
		return "items"
	case "object":
		return "entries"
	}
	return "characters"
}

// bounds returns the minimum and maximum size of s, if any.
func bounds(s *apiextensionsv1.JSONSchemaProps) (lo, hi *int64) {
	switch s.Type {
	case "array":
		return s.MinItems, s.MaxItems
	case "object":
		return s.MinProperties, s.MaxProperties
	}
	return s.MinLength, s.MaxLength
}

// cells lists every value class of the scope's fields and rules.
func (sc *scope) cells() []Cell {
	var out []Cell
	paths := make([]string, 0, len(sc.nodes))
	for p := range sc.nodes {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		s := sc.nodes[p]
		field := func(id string) { out = append(out, Cell{ID: id, Group: sc.fields, Source: describe(s)}) }
		if p != sc.path && !element(p) {
			if sc.required(p) {
				field(requiredAbsent(p))
			} else {
				field(absent(p))
			}
			if len(s.Enum) > 0 {
				for _, v := range s.Enum {
					field(enumValue(p, enumString(v)))
				}
				field(outsideEnum(p))
			} else {
				field(present(p))
			}
		}
		if s.Minimum != nil {
			field(atMinimum(p, *s.Minimum))
			field(belowMinimum(p, *s.Minimum))
		}
		if s.Maximum != nil {
			field(atMaximum(p, *s.Maximum))
			field(aboveMaximum(p, *s.Maximum))
		}
		lo, hi := bounds(s)
		if lo != nil && *lo > 0 {
			field(belowMinSize(p, sizeUnit(s), *lo))
		}
		if hi != nil {
			field(atMaxSize(p, sizeUnit(s), *hi))
			field(aboveMaxSize(p, sizeUnit(s), *hi))
		}
		if s.Pattern != "" {
			field(patternViolated(p))
		}
		for _, r := range s.XValidations {
			out = append(out, Cell{ID: ruleHolds(p, r), Group: sc.rules, Source: r.Rule})
			out = append(out, Cell{ID: ruleFails(p, r), Group: sc.rules, Source: r.Rule})
		}
	}
	return out
}

// element reports whether p is a list's item or a map's value, which is
// present whenever its container is.
func element(p string) bool { return strings.HasSuffix(p, "[]") || strings.HasSuffix(p, "{}") }

// describe is the first sentence of a field's description.
func describe(s *apiextensionsv1.JSONSchemaProps) string {
	d := strings.Join(strings.Fields(s.Description), " ")
	if i := strings.Index(d, ". "); i >= 0 {
		d = d[:i+1]
	}
	return d
}

func enumString(v apiextensionsv1.JSON) string {
	return strings.Trim(string(v.Raw), `"`)
}

// required reports whether the field at p is required by its parent.
func (sc *scope) required(p string) bool {
	i := strings.LastIndex(p, ".")
	parent, ok := sc.nodes[p[:i]]
	return ok && slices.Contains(parent.Required, p[i+1:])
}

// admitted adds the classes an admitted value v at the scope's root
// exercises: each field absent or present (or its enum value), bounds met
// exactly, and each rule that held where it was evaluated.
func (sc *scope) admitted(v any, add func(id string)) {
	sc.walkValue(sc.path, v, add)
}

func (sc *scope) walkValue(p string, v any, add func(string)) {
	s := sc.nodes[p]
	if p != sc.path && !element(p) {
		if len(s.Enum) > 0 {
			add(enumValue(p, fmt.Sprint(v)))
		} else {
			add(present(p))
		}
	}
	if n, ok := number(v); ok {
		if s.Minimum != nil && n == *s.Minimum {
			add(atMinimum(p, *s.Minimum))
		}
		if s.Maximum != nil && n == *s.Maximum {
			add(atMaximum(p, *s.Maximum))
		}
	}
	if _, hi := bounds(s); hi != nil && size(v) == *hi {
		add(atMaxSize(p, sizeUnit(s), *hi))
	}
	for _, r := range s.XValidations {
		add(ruleHolds(p, r))
	}
	if sc.leaves[p] {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		if len(s.Properties) > 0 {
			for name := range s.Properties {
				child := p + "." + name
				if cv, ok := v[name]; ok {
					sc.walkValue(child, cv, add)
				} else if !sc.required(child) {
					add(absent(child))
				}
			}
		} else if _, ok := sc.nodes[p+"{}"]; ok {
			for _, cv := range v {
				sc.walkValue(p+"{}", cv, add)
			}
		}
	case []any:
		for _, cv := range v {
			sc.walkValue(p+"[]", cv, add)
		}
	}
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func size(v any) int64 {
	switch v := v.(type) {
	case string:
		return int64(len(v))
	case []any:
		return int64(len(v))
	case map[string]any:
		return int64(len(v))
	}
	return -1
}

// refused returns the class a refusal error exercises, or "" when the
// error is outside the scope or matches none of its cells.
func (sc *scope) refused(e *field.Error) string {
	p, ok := sc.normalize(e.Field)
	if !ok {
		return ""
	}
	if strings.Contains(e.Detail, "evaluating rule") {
		return "" // the rule could not be evaluated (a field it reads is missing): it neither held nor failed
	}
	s := sc.nodes[p]
	for _, r := range s.XValidations {
		if strings.Contains(e.Detail, r.Message) && r.Message != "" || strings.Contains(e.Detail, r.Rule) {
			return ruleFails(p, r)
		}
	}
	lo, hi := bounds(s)
	d := e.Detail
	switch {
	case e.Type == field.ErrorTypeRequired:
		return requiredAbsent(p)
	case e.Type == field.ErrorTypeNotSupported:
		return outsideEnum(p)
	case (e.Type == field.ErrorTypeTooLong || e.Type == field.ErrorTypeTooMany) && hi != nil:
		return aboveMaxSize(p, sizeUnit(s), *hi)
	case strings.Contains(d, "greater than or equal") && s.Minimum != nil:
		return belowMinimum(p, *s.Minimum)
	case strings.Contains(d, "less than or equal") && s.Maximum != nil:
		return aboveMaximum(p, *s.Maximum)
	case strings.Contains(d, "should match"):
		return patternViolated(p)
	case strings.Contains(d, "at least") && lo != nil:
		return belowMinSize(p, sizeUnit(s), *lo)
	}
	return ""
}

// normalize turns an error's field path (spec.a[0].b, spec.m[key]) into
// the scope's schema path (spec.a[].b, spec.m{}); false when the path is
// outside the scope.
func (sc *scope) normalize(errPath string) (string, bool) {
	errPath = strings.NewReplacer("[", ".", "]", "").Replace(errPath)
	parts := strings.Split(errPath, ".")
	p := parts[0]
	if _, ok := sc.nodes[p]; !ok && !strings.HasPrefix(sc.path, p) {
		return "", false
	}
	for i := 1; i < len(parts); i++ {
		tok := parts[i]
		s := sc.lookup(p)
		switch {
		case s == nil:
			p += "." + tok
		case s.Type == "array":
			if _, err := strconv.Atoi(tok); err != nil {
				return "", false
			}
			p += "[]"
		case len(s.Properties) == 0 && s.AdditionalProperties != nil:
			return p + "{}", sc.nodes[p+"{}"] != nil
		default:
			p += "." + tok
		}
	}
	_, ok := sc.nodes[p]
	return p, ok
}

// lookup returns the schema node at p, also above the scope's root (where
// the scope knows only the root's own path).
func (sc *scope) lookup(p string) *apiextensionsv1.JSONSchemaProps {
	if s, ok := sc.nodes[p]; ok {
		return s
	}
	if strings.HasPrefix(sc.path, p+"[]") {
		return &apiextensionsv1.JSONSchemaProps{Type: "array"}
	}
	return nil
}
