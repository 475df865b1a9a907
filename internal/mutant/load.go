package mutant

import (
	"context"
	"fmt"
	"go/ast"
	"go/types"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Pattern is what Generate mutates: the reference gateway's packages.
const Pattern = "./reference/..."

// source is one Go file to mutate, type-checked.
type source struct {
	// rel is the file's path from the module root, slash-separated.
	rel  string
	text []byte
	file *ast.File
	pkg  *packages.Package
}

// load parses and type-checks the reference's packages under root (the
// module root) and returns the files the operators may touch.
func load(ctx context.Context, root string) ([]source, error) {
	cfg := &packages.Config{
		Context: ctx,
		Dir:     root,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
			packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports,
		Env: append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly"),
	}
	pkgs, err := packages.Load(cfg, Pattern)
	if err != nil {
		return nil, fmt.Errorf("loading %s under %s: %w (run xbcheck mutate --operators in xbcheck's source tree, with go installed)", Pattern, root, err)
	}
	var out []source
	for _, p := range pkgs {
		if len(p.Errors) > 0 {
			return nil, fmt.Errorf("loading %s: %v", p.PkgPath, p.Errors[0])
		}
		for _, f := range p.Syntax {
			path := p.Fset.Position(f.FileStart).Filename
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return nil, err
			}
			rel = filepath.ToSlash(rel)
			if skipFile(rel) {
				continue
			}
			text, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			out = append(out, source{rel: rel, text: text, file: f, pkg: p})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Go files of %s under %s: run xbcheck mutate --operators in xbcheck's source tree", Pattern, root)
	}
	return out, nil
}

// skipFile leaves out tests and the fault injection: reference/faults and
// the files named for faults.
func skipFile(rel string) bool {
	base := filepath.Base(rel)
	return strings.HasSuffix(base, "_test.go") || strings.HasPrefix(rel, "reference/faults/") || strings.Contains(base, "fault")
}

// isFaultsType says whether t belongs to reference/faults.
func isFaultsType(t types.Type) bool {
	for {
		switch u := t.(type) {
		case *types.Pointer:
			t = u.Elem()
			continue
		case *types.Named:
			return u.Obj().Pkg() != nil && strings.HasSuffix(u.Obj().Pkg().Path(), "/reference/faults")
		}
		return false
	}
}
