package mutant

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

const sample = `package p

import (
	"errors"
	"log/slog"
	"time"

	"example.com/reference/faults"
)

var errBad = errors.New("bad")

func f(a, b int, ok bool, fs faults.Set, log *slog.Logger) (int, error) {
	if a < 10 {
		a++
	}
	if ok && b != 0 {
		return 0, errBad
	} else {
		b = 1
	}
	if fs.Has("x") {
		a = 2
	}
	switch {
	case fs.Has("y") && a == 3:
		a = 4
	case a == 5:
	}
	log.Info("hello")
	touch(&a)
	wait := 3 * time.Second
	_ = wait
	for i := 0; i <= b; i++ {
		a += i
	}
	const limit = 1
	var arr [1]int
	_ = arr
	return a + limit, nil
}

func g(a int) error {
	if a > 0 {
		return errBad
	}
	return nil
}

func touch(*int) {}
`

// fakeFaults stands in for reference/faults.
const fakeFaults = `package faults

type Set map[string]bool

func (s Set) Has(f string) bool { return s[f] }
`

// checkSample type-checks sample as the loader would.
func checkSample(t *testing.T, text string, imp types.Importer) (source, error) {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "p.go", text, parser.ParseComments)
	if err != nil {
		return source{}, err
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}}
	pkg, err := (&types.Config{Importer: imp}).Check("example.com/p", fset, []*ast.File{file}, info)
	if err != nil {
		return source{}, err
	}
	imports := map[string]*packages.Package{}
	for _, p := range pkg.Imports() {
		imports[p.Path()] = &packages.Package{Name: p.Name(), PkgPath: p.Path()}
	}
	return source{rel: "reference/p.go", text: []byte(text), file: file,
		pkg: &packages.Package{Fset: fset, Types: pkg, TypesInfo: info, Imports: imports}}, nil
}

// importer resolves the standard library, the fake faults and the switch.
type fakeImporter map[string]string

func (f fakeImporter) Import(path string) (*types.Package, error) {
	text, ok := f[path]
	if !ok {
		return importer.Default().Import(path)
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path+".go", text, 0)
	if err != nil {
		return nil, err
	}
	return (&types.Config{Importer: importer.Default()}).Check(path, fset, []*ast.File{file}, nil)
}

func TestOperatorsOnASmallSource(t *testing.T) {
	imp := fakeImporter{
		"example.com/reference/faults": fakeFaults,
		ActivePackage:                  "package active\n\nfunc On(id string) bool { return id == \"\" }\n",
	}
	src, err := checkSample(t, sample, imp)
	if err != nil {
		t.Fatal(err)
	}
	sites := newFinder(src).find()
	var got []string
	for _, s := range sites {
		got = append(got, s.mutant.ID+" "+s.mutant.Original+" → "+s.mutated)
	}
	for _, want := range []string{
		"reference/p.go:28:9:flip-comparison a == 5 → a != 5",
		"reference/p.go:14:5:negate-condition a < 10 → !(a < 10)",
		"reference/p.go:14:7:flip-comparison a < 10 → a <= 10",
		"reference/p.go:14:9:shift-boundary-up a < 10 → a < (10 + 1)",
		"reference/p.go:14:9:shift-boundary-down a < 10 → a < (10 - 1)",
		"reference/p.go:15:3:remove-assignment a++ → (removed)",
		"reference/p.go:17:5:swap-branches ok && b != 0 → !(ok && b != 0)",
		"reference/p.go:17:8:flip-logical ok && b != 0 → ok || b != 0",
		"reference/p.go:17:13:flip-comparison b != 0 → b == 0",
		"reference/p.go:17:16:change-constant 0 → 1",
		"reference/p.go:20:7:change-constant 1 → 0",
		"reference/p.go:31:2:remove-call touch(&a) → (removed)",
		"reference/p.go:32:10:change-constant 3 * time.Second → 2 * (3 * time.Second)",
		"reference/p.go:34:14:negate-condition i <= b → !(i <= b)",
		"reference/p.go:34:16:flip-comparison i <= b → i < b",
		"reference/p.go:35:3:remove-assignment a += i → (removed)",
		"reference/p.go:44:7:flip-comparison a > 0 → a >= 0",
		"reference/p.go:45:3:remove-return return errBad → (removed)",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("no mutant %q", want)
		}
	}
	for _, g := range got {
		// the fault injection (lines 22, 23, 26, 27), logging (30), blank
		// assignments (33, 39), constants and array lengths (37, 38), a
		// return of nil (47) are left alone; the branch with an else (18)
		// keeps its return.
		for _, line := range []string{":18:3:remove-return", ":22:", ":23:", ":26:", ":27:", ":30:", ":33:", ":37:", ":38:", ":39:", ":47:"} {
			if strings.Contains(g, line) {
				t.Errorf("mutant %q: that line is not to be mutated", g)
			}
		}
	}
	schemaText := schema(src.text, src.pkg.Fset.Position(src.file.Name.End()).Offset, sites)
	if _, err := checkSample(t, string(schemaText), imp); err != nil {
		t.Errorf("the schemata do not compile: %v\n%s", err, schemaText)
	}
	if n := strings.Count(string(schemaText), "\n"); n != strings.Count(sample, "\n") {
		t.Errorf("the schemata have %d lines, the source %d: lines must keep their numbers", n, strings.Count(sample, "\n"))
	}
}
