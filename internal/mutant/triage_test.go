package mutant

import (
	"strings"
	"testing"
)

func TestParseTriage(t *testing.T) {
	good := `
- id: reference/a.go:1:1:remove-call
  verdict: equivalent
  why: the call only closes an idle connection the transport closes anyway
- id: reference/a.go:2:1:flip-comparison
  verdict: killed
  by: RoutingPlainHTTP
`
	tr, err := ParseTriage([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Equivalent("reference/a.go:1:1:remove-call") || tr.Equivalent("reference/a.go:2:1:flip-comparison") || tr.Equivalent("other") {
		t.Errorf("Equivalent wrong for %v", tr)
	}
	for text, want := range map[string]string{
		"- id: a\n  verdict: equivalent\n":                                           "says not why",
		"- id: a\n  verdict: killed\n":                                               "names no scenario",
		"- id: a\n  verdict: maybe\n  why: x\n":                                      `verdict "maybe"`,
		"- verdict: equivalent\n  why: x\n":                                          "no id",
		"- id: a\n  verdict: killed\n  by: X\n  extra: 1\n":                          "unknown field",
		"- id: a\n  verdict: killed\n  by: X\n- id: a\n  verdict: killed\n  by: X\n": "twice",
	} {
		if _, err := ParseTriage([]byte(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTriage(%q) error %v; want %q", text, err, want)
		}
	}
	if _, err := LoadTriage(); err != nil {
		t.Errorf("the checked-in triage.yaml: %v", err)
	}
}
