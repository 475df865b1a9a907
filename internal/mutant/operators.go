package mutant

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strings"
)

// Operator names one kind of mechanical mutation.
type Operator string

// The operators, in the order [Operators] lists them.
const (
	// NegateCondition negates the condition of an if without else or of a for.
	NegateCondition Operator = "negate-condition"
	// SwapBranches swaps the branches of an if with an else (its condition
	// negated, which is the same thing).
	SwapBranches Operator = "swap-branches"
	// FlipComparison turns == into != and back, < into <=, <= into <, > into
	// >= and >= into >.
	FlipComparison Operator = "flip-comparison"
	// FlipLogical turns && into || and back.
	FlipLogical Operator = "flip-logical"
	// ShiftBoundaryUp adds 1 to an integer constant compared with.
	ShiftBoundaryUp Operator = "shift-boundary-up"
	// ShiftBoundaryDown subtracts 1 from an integer constant compared with.
	ShiftBoundaryDown Operator = "shift-boundary-down"
	// RemoveCall removes a call made as a statement (but logging and panic).
	RemoveCall Operator = "remove-call"
	// RemoveAssignment removes an assignment (=, op=, ++, --; not := and
	// not to _ alone).
	RemoveAssignment Operator = "remove-assignment"
	// RemoveReturn removes the return of an error from an if without else.
	RemoveReturn Operator = "remove-return"
	// ChangeConstant turns 0 into 1 and 1 into 0, true into false and back,
	// and doubles a constant time.Duration.
	ChangeConstant Operator = "change-constant"
)

// Operators lists every operator.
func Operators() []Operator {
	return []Operator{NegateCondition, SwapBranches, FlipComparison, FlipLogical, ShiftBoundaryUp,
		ShiftBoundaryDown, RemoveCall, RemoveAssignment, RemoveReturn, ChangeConstant}
}

var flipped = map[token.Token]token.Token{
	token.EQL: token.NEQ, token.NEQ: token.EQL,
	token.LSS: token.LEQ, token.LEQ: token.LSS,
	token.GTR: token.GEQ, token.GEQ: token.GTR,
	token.LAND: token.LOR, token.LOR: token.LAND,
}

// finder applies the operators to one file and collects its sites.
type finder struct {
	src     source
	info    *types.Info
	fset    *token.FileSet
	imports map[string]string // package path to its name in the file
	sites   []*site
}

func newFinder(src source) *finder {
	f := &finder{src: src, info: src.pkg.TypesInfo, fset: src.pkg.Fset, imports: map[string]string{}}
	for _, spec := range src.file.Imports {
		path := strings.Trim(spec.Path.Value, `"`)
		name := ""
		if spec.Name != nil {
			name = spec.Name.Name
		} else if p, ok := src.pkg.Imports[path]; ok {
			name = p.Name
		}
		if name != "" && name != "_" && name != "." {
			f.imports[path] = name
		}
	}
	return f
}

// find walks the file's function bodies and top-level variables.
func (f *finder) find() []*site {
	for _, d := range f.src.file.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Body != nil {
				f.walk(d.Body)
			}
		case *ast.GenDecl:
			if d.Tok == token.VAR {
				f.walk(d)
			}
		}
	}
	return f.sites
}

func (f *finder) walk(root ast.Node) {
	ast.Inspect(root, f.visit)
}

// visit applies the operators at n; false skips n's children (those walk
// visits itself, or none: types, constants, fault injection).
func (f *finder) visit(n ast.Node) bool {
	switch n := n.(type) {
	case nil:
		return false
	case *ast.GenDecl:
		return n.Tok == token.VAR
	case *ast.ArrayType, *ast.MapType, *ast.ChanType, *ast.FuncType, *ast.StructType, *ast.InterfaceType:
		return false
	case *ast.FuncLit:
		f.walk(n.Body)
		return false
	case *ast.CompositeLit:
		for _, e := range n.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				e = kv.Value // keys of arrays must stay constant
			}
			f.walk(e)
		}
		return false
	case *ast.IfStmt:
		return f.ifStmt(n)
	case *ast.ForStmt:
		if n.Cond != nil && !f.mentionsFaults(n.Cond) {
			f.negate(n.Cond, NegateCondition)
		}
	case *ast.BlockStmt:
		f.statements(n.List)
	case *ast.CaseClause:
		for _, e := range n.List {
			if f.mentionsFaults(e) { // a fault's case: injection, as an if
				return false
			}
		}
		f.statements(n.Body)
	case *ast.CommClause:
		f.statements(n.Body)
	case *ast.AssignStmt, *ast.ExprStmt, *ast.ReturnStmt, *ast.DeclStmt, *ast.IncDecStmt, *ast.SendStmt, *ast.DeferStmt, *ast.GoStmt:
		return !f.mentionsFaults(n)
	case *ast.SwitchStmt:
		return n.Tag == nil || !f.mentionsFaults(n.Tag)
	case *ast.BinaryExpr:
		if !f.constant(n) || (n.Op == token.LAND || n.Op == token.LOR) && f.mentionsFaults(n) {
			return false
		}
		f.binary(n)
	case ast.Expr:
		return f.constant(n)
	}
	return true
}

// ifStmt skips fault injection (an if whose condition involves
// reference/faults: its condition and body; its else is production code),
// negates the condition, or swaps the branches, and removes error returns
// from the body.
func (f *finder) ifStmt(n *ast.IfStmt) bool {
	if f.mentionsFaults(n.Cond) || n.Init != nil && f.mentionsFaults(n.Init) {
		if n.Else != nil {
			f.walk(n.Else)
		}
		return false
	}
	if n.Else != nil {
		f.negate(n.Cond, SwapBranches)
		return true
	}
	f.negate(n.Cond, NegateCondition)
	for _, s := range n.Body.List {
		if r, ok := s.(*ast.ReturnStmt); ok && f.returnsError(r) {
			f.addStmt(r, RemoveReturn)
		}
	}
	return true
}

// statements removes the calls and assignments among list.
func (f *finder) statements(list []ast.Stmt) {
	for _, s := range list {
		if f.mentionsFaults(s) {
			continue
		}
		switch s := s.(type) {
		case *ast.ExprStmt:
			if call, ok := s.X.(*ast.CallExpr); ok && !f.logOrPanic(call) {
				f.addStmt(s, RemoveCall)
			}
		case *ast.AssignStmt:
			if s.Tok != token.DEFINE && !allBlank(s.Lhs) {
				f.addStmt(s, RemoveAssignment)
			}
		case *ast.IncDecStmt:
			f.addStmt(s, RemoveAssignment)
		}
	}
}

// binary flips comparisons and logical operators and shifts the integer
// constants compared with.
func (f *finder) binary(n *ast.BinaryExpr) {
	to, ok := flipped[n.Op]
	if !ok {
		return
	}
	op := FlipComparison
	if n.Op == token.LAND || n.Op == token.LOR {
		op = FlipLogical
	}
	opStart := f.offset(n.OpPos)
	f.addExpr(n, n.OpPos, op, edit{opStart, opStart + len(n.Op.String()), to.String()})
	if op == FlipLogical {
		return
	}
	for _, side := range []ast.Expr{n.X, n.Y} {
		if !f.plainIntConstant(side) {
			continue
		}
		s, e := f.offset(side.Pos()), f.offset(side.End())
		text := string(f.src.text[s:e])
		f.addExpr(n, side.Pos(), ShiftBoundaryUp, edit{s, e, "(" + text + " + 1)"})
		f.addExpr(n, side.Pos(), ShiftBoundaryDown, edit{s, e, "(" + text + " - 1)"})
	}
}

// plainIntConstant says e is a constant of a plain integer type (not a
// time.Duration or another named type).
func (f *finder) plainIntConstant(e ast.Expr) bool {
	tv, ok := f.info.Types[e]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.Int {
		return false
	}
	b, ok := tv.Type.(*types.Basic)
	return ok && b.Info()&types.IsInteger != 0
}

// constant changes 0 and 1, true and false, and doubles a constant
// duration; false stops at a constant duration, changed as a whole.
func (f *finder) constant(e ast.Expr) bool {
	tv, ok := f.info.Types[e]
	if !ok || tv.IsType() {
		return !ok
	}
	if tv.Value != nil && isDuration(tv.Type) {
		if constant.Sign(tv.Value) != 0 {
			s, end := f.offset(e.Pos()), f.offset(e.End())
			f.addExpr(e, e.Pos(), ChangeConstant, edit{s, end, "2 * (" + string(f.src.text[s:end]) + ")"})
		}
		return false
	}
	s, end := f.offset(e.Pos()), f.offset(e.End())
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.INT && (e.Value == "0" || e.Value == "1") {
			f.addExpr(e, e.Pos(), ChangeConstant, edit{s, end, map[string]string{"0": "1", "1": "0"}[e.Value]})
		}
	case *ast.Ident:
		if obj := f.info.Uses[e]; obj != nil && obj.Parent() == types.Universe && (e.Name == "true" || e.Name == "false") {
			f.addExpr(e, e.Pos(), ChangeConstant, edit{s, end, map[string]string{"true": "false", "false": "true"}[e.Name]})
		}
	}
	return true
}

func isDuration(t types.Type) bool {
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Duration"
}

// negate negates cond as op; not an == or != comparison, which
// flip-comparison negates already.
func (f *finder) negate(cond ast.Expr, op Operator) {
	if b, ok := ast.Unparen(cond).(*ast.BinaryExpr); ok && (b.Op == token.EQL || b.Op == token.NEQ) {
		return
	}
	s, e := f.offset(cond.Pos()), f.offset(cond.End())
	f.addExpr(cond, cond.Pos(), op, edit{s, s, "!("}, edit{e, e, ")"})
}

// returnsError says r returns an error that is not nil as its last result.
func (f *finder) returnsError(r *ast.ReturnStmt) bool {
	if len(r.Results) == 0 {
		return false
	}
	last := r.Results[len(r.Results)-1]
	if id, ok := last.(*ast.Ident); ok && id.Name == "nil" {
		return false
	}
	t := f.info.TypeOf(last)
	return t != nil && types.Implements(t, types.Universe.Lookup("error").Type().Underlying().(*types.Interface))
}

// logOrPanic says call logs (slog, logr, log) or panics: removing a log
// line changes nothing a request can see, and a removed panic no longer
// ends its function, which does not compile.
func (f *finder) logOrPanic(call *ast.CallExpr) bool {
	if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "panic" {
		return true
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	if pkg, ok := f.info.Uses[identOf(sel.X)].(*types.PkgName); ok {
		return pkg.Imported().Path() == "log" || pkg.Imported().Path() == "log/slog"
	}
	t := f.info.TypeOf(sel.X)
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return false
	}
	path := n.Obj().Pkg().Path()
	return path == "log/slog" || path == "github.com/go-logr/logr" || path == "log"
}

// allBlank says every left-hand side is _: such an assignment only keeps
// the compiler quiet.
func allBlank(lhs []ast.Expr) bool {
	for _, e := range lhs {
		if id := identOf(e); id == nil || id.Name != "_" {
			return false
		}
	}
	return true
}

func identOf(e ast.Expr) *ast.Ident {
	id, _ := e.(*ast.Ident)
	return id
}

// mentionsFaults says n uses a value of reference/faults (a fault set or
// a fault): it injects faults, which are not mutated.
func (f *finder) mentionsFaults(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(c ast.Node) bool {
		if e, ok := c.(ast.Expr); ok && !found {
			if t := f.info.TypeOf(e); t != nil && isFaultsType(t) {
				found = true
			}
		}
		return !found
	})
	return found
}

func (f *finder) offset(p token.Pos) int { return f.fset.Position(p).Offset }

// addStmt adds the removal of s as op.
func (f *finder) addStmt(s ast.Stmt, op Operator) {
	start, end := f.offset(s.Pos()), f.offset(s.End())
	f.add(&site{start: start, end: end, stmt: true}, s.Pos(), op, "(removed)")
}

// addExpr adds a mutant of e as op, at pos, made by edits; e becomes a
// closure returning e's type, so that type must be writable in the file.
func (f *finder) addExpr(e ast.Expr, pos token.Pos, op Operator, edits ...edit) {
	typ, ok := f.typeName(e)
	if !ok {
		return
	}
	start, end := f.offset(e.Pos()), f.offset(e.End())
	st := &site{start: start, end: end, typ: typ}
	f.add(st, pos, op, apply(f.src.text, start, end, edits))
}

func (f *finder) add(st *site, pos token.Pos, op Operator, mutated string) {
	p := f.fset.Position(pos)
	st.mutant = Mutant{
		ID:       fmt.Sprintf("%s:%d:%d:%s", f.src.rel, p.Line, p.Column, op),
		Operator: op,
		File:     f.src.rel,
		Line:     p.Line,
		Original: snippet(string(f.src.text[st.start:st.end])),
		Mutated:  snippet(mutated),
	}
	st.mutated = mutated
	f.sites = append(f.sites, st)
}

// typeName writes e's type as the file can name it; ok is false when it
// cannot (a package the file does not import, an unexported type).
func (f *finder) typeName(e ast.Expr) (string, bool) {
	t := f.info.TypeOf(e)
	if t == nil {
		return "", false
	}
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		t = types.Default(t)
	}
	ok := true
	name := types.TypeString(t, func(p *types.Package) string {
		if p == f.src.pkg.Types {
			return ""
		}
		name, found := f.imports[p.Path()]
		if !found {
			ok = false
		}
		return name
	})
	if n, named := t.(*types.Named); named && n.Obj().Pkg() != f.src.pkg.Types && !n.Obj().Exported() {
		ok = false
	}
	return name, ok && !strings.Contains(name, "untyped")
}

// snippet shortens source text to one line for reports.
func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
