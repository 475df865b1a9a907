package coverage

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// manifestsOf reads the Go files of the suites (sources, one folder per
// family) and returns, for each ShortName of names it finds declared, the
// YAML files its declaration applies: the .yaml string literals in the
// composite literal that names it (a harness.Scenario, or a table row) or the
// call that takes it first (admitsAtBound("Name", "file.yaml")), and in
// the package's functions those refer to, transitively. A helper
// that applies a file to every caller counts for every caller.
func manifestsOf(sources fs.FS, names []string) (map[string][]string, error) {
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	dirs := map[string][]string{}
	err := fs.WalkDir(sources, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			dirs[path.Dir(p)] = append(dirs[path.Dir(p)], p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the suites' sources: %w", err)
	}
	out := map[string][]string{}
	for _, files := range dirs {
		if err := packageManifests(sources, files, known, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func packageManifests(sources fs.FS, files []string, known map[string]bool, out map[string][]string) error {
	fset := token.NewFileSet()
	funcs := map[string]*ast.FuncDecl{}
	var parsed []*ast.File
	for _, name := range files {
		src, err := fs.ReadFile(sources, name)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			return fmt.Errorf("parse %s: %w", name, err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				funcs[fd.Name.Name] = fd
			}
		}
	}
	var walk func(n ast.Node, enclosing *ast.CompositeLit)
	walk = func(n ast.Node, enclosing *ast.CompositeLit) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				// A declaring call: Refuses("Name", "file.yaml", ...).
				if len(n.Args) > 0 {
					if name, ok := stringLit(n.Args[0]); ok && known[name] {
						out[name] = append(out[name], yamlLiterals(n, funcs)...)
					}
				}
				return true
			case *ast.CompositeLit:
				for _, name := range namesIn(n, known) {
					region := n
					if isScenario(n) && enclosing != nil {
						region = enclosing
					}
					out[name] = append(out[name], yamlLiterals(region, funcs)...)
				}
				for _, e := range n.Elts {
					walk(e, n)
				}
				return false
			}
			return true
		})
	}
	for _, f := range parsed {
		walk(f, nil)
	}
	for name, files := range out {
		slices.Sort(files)
		out[name] = slices.Compact(files)
	}
	return nil
}

// namesIn returns the known ShortNames lit declares: as an element or a
// field's value, or as the first argument of the call that is its
// Scenario field (Scenario: scenario("Name", ...)).
func namesIn(lit *ast.CompositeLit, known map[string]bool) []string {
	var out []string
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			e = kv.Value
			if key, ok := kv.Key.(*ast.Ident); ok && key.Name == "Scenario" {
				if call, ok := e.(*ast.CallExpr); ok && len(call.Args) > 0 {
					e = call.Args[0]
				}
			}
		}
		if s, ok := stringLit(e); ok && known[s] {
			out = append(out, s)
		}
	}
	return out
}

// isScenario reports whether lit is a verdict.Scenario, whose enclosing
// literal is the test that declares it.
func isScenario(lit *ast.CompositeLit) bool {
	sel, ok := lit.Type.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Scenario"
}

func stringLit(e ast.Expr) (string, bool) {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(b.Value)
	return s, err == nil
}

// yamlLiterals collects the .yaml string literals of n and of the package
// functions it refers to, transitively.
func yamlLiterals(n ast.Node, funcs map[string]*ast.FuncDecl) []string {
	var out []string
	seen := map[string]bool{}
	var visit func(ast.Node)
	visit = func(n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, ok := stringLit(n); ok && strings.HasSuffix(s, ".yaml") && !strings.ContainsAny(s, " /") {
					out = append(out, s)
				}
			case *ast.Ident:
				if fd, ok := funcs[n.Name]; ok && !seen[n.Name] {
					seen[n.Name] = true
					visit(fd.Body)
				}
			}
			return true
		})
	}
	visit(n)
	return out
}
