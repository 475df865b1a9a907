package coverage

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/crds"
)

// pinned copies the pinned module's experimental CRDs to a folder of the
// test's own, so a test may change them.
func pinned(t *testing.T) string {
	t.Helper()
	src, err := crds.ModuleDir(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func build(t *testing.T, dir string, specs ...Spec) Map {
	t.Helper()
	b, err := crds.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(context.Background(), Input{Bundle: b, Specs: specs})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func row(m Map, id string) (Row, bool) {
	i := slices.IndexFunc(m.Rows, func(r Row) bool { return r.ID == id })
	if i < 0 {
		return Row{}, false
	}
	return m.Rows[i], true
}

// The map follows the CRD: an enum value and a CEL rule added to the
// XBackend CRD's spec become cells, and nothing else of the map changes.
func TestMapIsGeneratedFromTheCRDs(t *testing.T) {
	dir := pinned(t)
	before := build(t, dir)
	file := filepath.Join(dir, "gateway.networking.x-k8s.io_xbackends.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	enum := "                - HTTP2\n"
	rules := "            x-kubernetes-validations:\n"
	if strings.Count(text, enum) != 1 || !strings.Contains(text, rules) {
		t.Fatalf("the pinned XBackend CRD no longer lists protocol HTTP2 once, or has no rules on spec: update the test")
	}
	text = strings.Replace(text, enum, enum+"                - QUIC\n", 1)
	i := strings.LastIndex(text, rules)
	text = text[:i+len(rules)] + "            - message: coverage test rule\n              rule: has(self.port)\n" + text[i+len(rules):]
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	after := build(t, dir)
	added := map[string]bool{}
	for _, r := range after.Rows {
		if _, ok := row(before, r.ID); !ok {
			added[r.ID] = true
		}
	}
	want := []string{
		"spec.protocol = QUIC",
		`spec: rule "coverage test rule" holds`,
		`spec: rule "coverage test rule" fails, refused`,
	}
	for _, id := range want {
		if !added[id] {
			t.Errorf("cell %q not generated from the changed CRD", id)
		}
	}
	if len(added) != len(want) || len(after.Rows) != len(before.Rows)+len(want) {
		t.Errorf("the change added %d cells (%v), want exactly %v", len(added), added, want)
	}
	if after.Uncovered() != before.Uncovered()+len(want) {
		t.Errorf("uncovered went from %d to %d, want %d more", before.Uncovered(), after.Uncovered(), len(want))
	}
}

// A spec's objects are judged as the API server would: an admitted one
// covers the classes of its values, a refused one only what refused it.
func TestObjectsCoverTheirClasses(t *testing.T) {
	dir := pinned(t)
	xb := func(port int64, protocol string) map[string]any {
		return map[string]any{
			"apiVersion": "gateway.networking.x-k8s.io/v1alpha1", "kind": "XBackend",
			"metadata": map[string]any{"name": "x", "namespace": "ns"},
			"spec": map[string]any{
				"type": "ExternalHostname", "port": map[string]any{"port": port},
				"externalHostname": map[string]any{"hostname": "api.example.test"}, "protocol": protocol,
			},
		}
	}
	m := build(t, dir,
		Spec{ShortName: "Max", Objects: []map[string]any{xb(65535, "H2C")}},
		Spec{ShortName: "Zero", Objects: []map[string]any{xb(0, "H2C")}},
		Spec{ShortName: "Sentence", Source: "XBackend API: Port defines the port that the implementation should use when connecting to this backend."},
	)
	b, _ := crds.Load(dir)
	if b.Schema.Version != "v1.6.3" {
		t.Skipf("the test writes spec.port.port, the schema of v1.6.3; the pinned module serves %s", b.Schema.Version)
	}
	for id, want := range map[string][]string{
		"spec.port.port = 65535 (maximum)":                {"Max"},
		"spec.port.port < 1 (below minimum), refused":     {"Zero"},
		"spec.protocol = H2C":                             {"Max"},
		"spec.tls absent":                                 {"Max"},
		"spec.port.port > 65535 (above maximum), refused": nil,
	} {
		r, ok := row(m, id)
		if !ok {
			t.Errorf("no cell %q", id)
			continue
		}
		if !slices.Equal(r.Specs, want) {
			t.Errorf("cell %q: scenarios %v, want %v", id, r.Specs, want)
		}
	}
}

// The counting: a cell is covered by a spec or by a reason, and the last
// line counts the others.
func TestUncoveredCount(t *testing.T) {
	m := Map{Release: "v0", Rows: []Row{
		{Cell: Cell{ID: "a", Group: GroupXBackendField}, Specs: []string{"S"}},
		{Cell: Cell{ID: "b", Group: GroupXBackendField}, NoneCan: "no scenario can: why"},
		{Cell: Cell{ID: "c", Group: GroupXBackendField}},
		{Cell: Cell{ID: "d", Group: GroupBehaviour}},
	}}
	if got := m.Uncovered(); got != 2 {
		t.Errorf("Uncovered() = %d, want 2", got)
	}
	want := []Count{{GroupXBackendField, 3, 2}, {GroupBehaviour, 1, 0}}
	if got := m.Counts(); !slices.Equal(got, want) {
		t.Errorf("Counts() = %v, want %v", got, want)
	}
	for _, format := range []string{Text, Markdown} {
		var out bytes.Buffer
		if err := m.Write(&out, format); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(out.String(), "\nuncovered: 2\n") || strings.Count(out.String(), "UNCOVERED") != 2 {
			t.Errorf("%s map does not end with uncovered: 2 or marks other than 2 cells UNCOVERED:\n%s", format, out.String())
		}
	}
	if err := m.Write(&bytes.Buffer{}, "html"); err == nil {
		t.Error("an unknown format was accepted")
	}
}
