package taskletgen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"maps"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/ast/astutil"
)

// persistPath is the import path of package persist.
const persistPath = "github.com/stackworld/stackworld/persist"

// fileCtx is what the functions of one generated file share: import names.
type fileCtx struct {
	g       *pkgGen
	names   map[string]string // import path → name in the source file
	extra   map[string]string // import path → name, for types the source does not import
	sim     string
	persist string
}

func (g *pkgGen) newFileCtx(f *ast.File) *fileCtx {
	c := &fileCtx{g: g, names: map[string]string{}, extra: map[string]string{}}
	for _, is := range f.Imports {
		path, _ := strconv.Unquote(is.Path.Value)
		name := ""
		if is.Name != nil {
			name = is.Name.Name
		} else if pn, ok := g.info.Implicits[is].(*types.PkgName); ok {
			name = pn.Imported().Name()
		}
		if name == "_" || name == "." {
			continue
		}
		c.names[path] = name
	}
	c.sim = c.pkgName(simPath, "sim")
	c.persist = c.pkgName(persistPath, "persist")
	return c
}

func (c *fileCtx) pkgName(path, def string) string {
	if n, ok := c.names[path]; ok {
		return n
	}
	c.extra[path] = def
	return def
}

// qualifier names packages in type strings as the source file does.
func (c *fileCtx) qualifier(p *types.Package) string {
	if p == c.g.pkg.Types {
		return ""
	}
	return c.pkgName(p.Path(), p.Name())
}

func (c *fileCtx) typeString(t types.Type) string { return types.TypeString(t, c.qualifier) }

// emitFile generates the file for source file src, holding fns.
func (g *pkgGen) emitFile(f *ast.File, src string, fns []*fnGen) ([]byte, Refusals) {
	c := g.newFileCtx(f)
	var body bytes.Buffer
	for _, fn := range fns {
		e := newEmitter(fn, c, relName(src))
		e.emitFunc(&body)
	}
	if len(g.refused) > 0 {
		return nil, g.refused
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%s\n// Source: %s\n\npackage %s\n\nimport (\n", header, relName(src), g.pkg.Name)
	paths := map[string]string{}
	for p, n := range c.names {
		paths[p] = n
	}
	for p, n := range c.extra {
		paths[p] = n
	}
	used := usedNames(body.Bytes())
	keys := slices.Sorted(maps.Keys(paths))
	for _, std := range []bool{true, false} {
		if !std {
			out.WriteString("\n")
		}
		for _, p := range keys {
			n := paths[p]
			if !used[n] || isStd(p) != std {
				continue
			}
			if n == lastElem(p) {
				fmt.Fprintf(&out, "\t%q\n", p)
			} else {
				fmt.Fprintf(&out, "\t%s %q\n", n, p)
			}
		}
	}
	out.WriteString(")\n\n")
	out.Write(body.Bytes())
	formatted, err := format.Source(out.Bytes())
	if err != nil {
		return nil, Refusals{{Pos: g.fset.Position(f.Pos()), Msg: fmt.Sprintf("internal error: generated code does not parse: %v\n%s", err, out.Bytes())}}
	}
	return fixLines(formatted, relName(outPath(src))), nil
}

// usedNames returns the identifiers used as X in X.Sel in the generated body.
func usedNames(body []byte) map[string]bool {
	used := map[string]bool{}
	f, err := parser.ParseFile(token.NewFileSet(), "", append([]byte("package p\n"), body...), 0)
	if err != nil {
		return used
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if s, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := s.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	return used
}

// isStd reports whether path is a standard library package (no dot in its first element).
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func lastElem(path string) string {
	if i := strings.LastIndex(path, "/"); i >= 0 {
		return path[i+1:]
	}
	return path
}

// genLine marks a //line directive that points back into the generated file itself.
const genLine = "//line @gen:1"

// fixLines turns the generated file's own directives into real lines and drops directives
// that say what the line count says anyway.
func fixLines(src []byte, self string) []byte {
	lines := strings.Split(string(src), "\n")
	out := make([]string, 0, len(lines))
	file, next := "", 0 // where the next line is, as the compiler counts
	for _, l := range lines {
		if l == genLine {
			l = fmt.Sprintf("//line %s:%d", self, len(out)+2)
		}
		if rest, ok := strings.CutPrefix(l, "//line "); ok {
			i := strings.LastIndex(rest, ":")
			n, _ := strconv.Atoi(rest[i+1:])
			if rest[:i] == file && n == next {
				continue
			}
			if len(out) > 0 && strings.HasPrefix(out[len(out)-1], "//line ") {
				out = out[:len(out)-1] // a directive for no line
			}
			file, next = rest[:i], n
			out = append(out, l)
			continue
		}
		out = append(out, l)
		next++
	}
	return []byte(strings.Join(out, "\n"))
}

// emitter writes one function's frame.
type emitter struct {
	fn      *fnGen
	c       *fileCtx
	src     string
	lines   []string
	used    map[string]bool // labels jumped to
	targets []target
	dead    bool // the last line was a return or a goto
	hoisted []hoisted
	hidden  []hoisted // fields the translation adds (range state)
	// hoistedVars are the source's variables among hoisted.
	hoistedVars map[*types.Var]bool
	results     []string // result fields R0.. (no trailing error)
}

type hoisted struct{ name, typ string }

// target is a statement that break or continue may name.
type target struct {
	label    string // the source label, or ""
	loop     bool
	brk, cnt string // generated labels; "" when the statement stays structured
}

func newEmitter(fn *fnGen, c *fileCtx, src string) *emitter {
	return &emitter{fn: fn, c: c, src: src, used: map[string]bool{}, hoistedVars: map[*types.Var]bool{}}
}

func (e *emitter) line(pos token.Pos) {
	e.lines = append(e.lines, fmt.Sprintf("//line %s:%d", e.src, e.fn.g.fset.Position(pos).Line))
}

func (e *emitter) emit(format string, a ...any) {
	e.lines = append(e.lines, fmt.Sprintf(format, a...))
	e.dead = false
}

// gotoIf emits a jump to label taken when cond (Go source) holds.
func (e *emitter) gotoIf(cond, label string) {
	e.emit("if %s {", cond)
	e.emit("goto %s", label)
	e.emit("}")
	e.used[label] = true
}

// jump emits a goto unless the code before cannot fall through to it.
func (e *emitter) jump(label string) {
	if e.dead {
		return
	}
	e.emit("goto %s", label)
	e.used[label] = true
	e.dead = true
}

// label places a label. Code after it is reachable if something jumps to it: every jump to
// a label after its place is emitted before it, and loop heads are marked used at once.
func (e *emitter) label(name string) {
	e.lines = append(e.lines, "\x00"+name)
	if e.used[name] {
		e.dead = false
	}
}

// resumeAt places p's resume point, which Step's entry switch jumps to.
func (e *emitter) resumeAt(p *point) {
	e.used[p.label] = true
	e.label(p.label)
}

func (e *emitter) ret(format string, a ...any) {
	if e.dead {
		return
	}
	e.emit(format, a...)
	e.dead = true
}

// ---- expressions ----

// x prints n with the function's variables renamed: the tasklet is t, fields are f.X.
func (e *emitter) x(n ast.Node) string {
	info := e.fn.g.info
	n = astutil.Apply(n, func(cur *astutil.Cursor) bool {
		switch id := cur.Node().(type) {
		case *ast.Ident:
			obj := info.Uses[id]
			if obj == nil {
				obj = info.Defs[id]
			}
			v, ok := obj.(*types.Var)
			if !ok {
				return true
			}
			if v == e.fn.h {
				cur.Replace(ast.NewIdent("t"))
				return false
			}
			if l := e.fn.locals[v]; l != nil {
				if isResult(e.fn.sig, v) {
					e.hoist(v) // a named result is declared where it is first used
				}
				if l.field != "" {
					cur.Replace(&ast.SelectorExpr{X: ast.NewIdent("f"), Sel: ast.NewIdent(l.field)})
				} else if l.name != id.Name {
					cur.Replace(ast.NewIdent(l.name))
				}
				return false
			}
		case *ast.FuncLit:
			return true
		}
		return true
	}, nil)
	var b bytes.Buffer
	// Without the source's positions the printer keeps the expression on one line (the
	// //line directive before it says where it came from).
	if err := printer.Fprint(&b, token.NewFileSet(), n); err != nil {
		return "/* " + err.Error() + " */"
	}
	return b.String()
}

func (e *emitter) xs(list []ast.Expr) string {
	parts := make([]string, len(list))
	for i, x := range list {
		parts[i] = e.x(x)
	}
	return strings.Join(parts, ", ")
}

// varRef names variable v in generated code.
func (e *emitter) varRef(v *types.Var) string {
	l := e.fn.locals[v]
	if l == nil {
		return v.Name()
	}
	if l.field != "" {
		return "f." + l.field
	}
	e.hoist(v)
	return l.name
}

// hoist declares a local at the top of Step (it is assigned where the source declared it).
func (e *emitter) hoist(v *types.Var) {
	if v.Name() == "_" {
		return
	}
	l := e.fn.locals[v]
	if l == nil || l.field != "" || e.hoistedVars[v] {
		return
	}
	for _, h := range e.hoisted {
		if h.name == l.name { // another variable of that name, in another scope
			l.name = e.fn.fresh(l.name)
			break
		}
	}
	e.hoistedVars[v] = true
	e.hoisted = append(e.hoisted, hoisted{l.name, e.c.typeString(v.Type())})
}

// temp declares a hidden local of type t at the top of Step.
func (e *emitter) temp(base string, t types.Type) string {
	name := e.fn.fresh(base)
	e.hoisted = append(e.hoisted, hoisted{name, e.c.typeString(t)})
	return name
}

// field adds a hidden field of type t (state of a loop that suspends).
func (e *emitter) field(base string, t types.Type) string {
	name := e.fn.field(base)
	e.hidden = append(e.hidden, hoisted{name, e.c.typeString(t)})
	return "f." + name
}

// zero returns the zero value of t as an expression.
func (e *emitter) zero(t types.Type) string {
	if _, ok := types.Unalias(t).(*types.TypeParam); ok {
		return "*new(" + e.c.typeString(t) + ")"
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsBoolean != 0:
			return "false"
		case u.Info()&types.IsString != 0:
			return `""`
		case u.Info()&types.IsNumeric != 0:
			return "0"
		}
	case *types.Struct, *types.Array:
		return e.c.typeString(t) + "{}"
	}
	return "nil"
}

// ---- the function ----

// emitFunc translates the function's body, then writes its frame: the type, the resume
// points with the Register call, Step, Catch and the results method.
func (e *emitter) emitFunc(out *bytes.Buffer) {
	fn := e.fn
	e.line(fn.decl.Body.Lbrace)
	e.flatList(fn.decl.Body.List)
	if !e.dead {
		e.line(fn.decl.Body.Rbrace)
		e.emitReturn(fn.decl.Body.Rbrace, nil)
	}
	e.emitType(out)
	e.emitResumePoints(out)
	e.emitStep(out)
	e.emitCatch(out)
	e.emitResults(out)
}

// emitType writes the frame type: parameters, the locals that live across a suspension,
// the hidden fields of lowered loops, and the results but a trailing error.
func (e *emitter) emitType(out *bytes.Buffer) {
	fn := e.fn
	res := fn.sig.Results()
	fmt.Fprintf(out, "%s\n\n", genLine)
	// The doc names the source file but not the line: an edit above the function must not
	// change it (the //line directives in Step carry the lines).
	fmt.Fprintf(out, "// %s is %s (%s) as a restorable soft frame. Its fields are the parameters\n// and the locals that live across a suspension.\n", fn.frame, fn.name, e.src)
	fmt.Fprintf(out, "type %s%s struct {\n", fn.frame, e.typeParams())
	for _, p := range fn.params {
		fmt.Fprintf(out, "\t%s %s\n", fn.locals[p].field, e.c.typeString(p.Type()))
	}
	for _, l := range e.sortedFields() {
		fmt.Fprintf(out, "\t%s %s\n", l.field, e.c.typeString(l.v.Type()))
	}
	for _, h := range e.hidden {
		fmt.Fprintf(out, "\t%s %s\n", h.name, h.typ)
	}
	for i := range res.Len() {
		if i == res.Len()-1 && isError(res.At(i).Type()) {
			break
		}
		fmt.Fprintf(out, "\t%s %s\n", fn.resultField(i), e.c.typeString(res.At(i).Type()))
	}
	fmt.Fprintf(out, "}\n\n")
}

// emitResumePoints writes the resume point constants and the init that registers the
// frame with their names.
func (e *emitter) emitResumePoints(out *bytes.Buffer) {
	fn := e.fn
	names := []string{strconv.Quote("start")}
	fmt.Fprintf(out, "// Resume points of %s: the start, and one per suspension.\nconst (\n\t%s %s.PC = iota\n", fn.frame, fn.startConst(), e.c.sim)
	for _, p := range fn.points {
		fmt.Fprintf(out, "\t%s // %s\n", p.konst, p.name)
		names = append(names, strconv.Quote(p.name))
	}
	fmt.Fprintf(out, ")\n\n")
	if fn.sig.TypeParams().Len() == 0 {
		fmt.Fprintf(out, "func init() {\n\t%s.Register[%s](%q, %s)\n}\n\n", e.c.persist, fn.frame, fn.reg, strings.Join(names, ", "))
	} else {
		// A generic frame is registered per instantiation, by its user, with a name for
		// each resume point in this order.
		fmt.Fprintf(out, "// %s is generic: register each instantiation with persist.Register and %d\n// resume point names (%s's, in order: %s).\n\n", fn.frame, len(names), fn.name, strings.Join(names, ", "))
	}
	fmt.Fprintf(out, "// ResumePoints returns the number of %s's resume points (persist.CheckFrame compares\n// it with the names registered).\n", fn.frame)
	fmt.Fprintf(out, "func (*%s) ResumePoints() int { return %d }\n\n", fn.typ(), len(names))
}

// emitStep writes Step: the hoisted locals, the entry switch to the resume point, and the
// translated body.
func (e *emitter) emitStep(out *bytes.Buffer) {
	fn, sim, start := e.fn, e.c.sim, e.fn.startConst()
	fmt.Fprintf(out, "// Step runs %s from its resume point to its next suspension.\n", fn.name)
	fmt.Fprintf(out, "func (f *%s) Step(t *%s.Tasklet) %s.Op {\n", fn.typ(), sim, sim)
	if len(e.hoisted) > 0 {
		fmt.Fprintf(out, "\tvar (\n")
		for _, h := range e.hoisted {
			fmt.Fprintf(out, "\t\t%s %s\n", h.name, h.typ)
		}
		fmt.Fprintf(out, "\t)\n")
	}
	if len(fn.points) > 0 {
		fmt.Fprintf(out, "\tswitch t.At() {\n\tcase %s:\n", start)
		for _, p := range fn.points {
			fmt.Fprintf(out, "\tcase %s:\n\t\tgoto %s\n", p.konst, p.label)
		}
		fmt.Fprintf(out, "\tdefault:\n\t\treturn t.Raise(%s.ErrBadPC)\n\t}\n", sim)
	} else {
		fmt.Fprintf(out, "\tif t.At() != %s {\n\t\treturn t.Raise(%s.ErrBadPC)\n\t}\n", start, sim)
	}
	lines, used := e.tidy()
	for _, l := range lines {
		if name, ok := strings.CutPrefix(l, "\x00"); ok {
			if used[name] {
				fmt.Fprintf(out, "%s:\n", name)
			}
			continue
		}
		fmt.Fprintf(out, "%s\n", l)
	}
	fmt.Fprintf(out, "}\n%s\n\n", genLine)
}

// emitCatch writes Catch, which hands an error raised at a resume point to the code there
// (or drops it where the source drops the call's error); a frame that never suspends has
// none.
func (e *emitter) emitCatch(out *bytes.Buffer) {
	fn, sim := e.fn, e.c.sim
	if len(fn.points) == 0 {
		return
	}
	fmt.Fprintf(out, "// Catch resumes %s with err, raised at its resume point: the code there gets err\n// as the hard version's call returns it.\n", fn.name)
	fmt.Fprintf(out, "func (f *%s) Catch(t *%s.Tasklet, err error) %s.Op {\n", fn.typ(), sim, sim)
	var dropped []string
	for _, p := range fn.points {
		if p.discarded {
			dropped = append(dropped, p.konst)
		}
	}
	fmt.Fprintf(out, "\tswitch t.At() {\n\tcase %s:\n\t\treturn t.Raise(err)\n", fn.startConst())
	if len(dropped) > 0 {
		fmt.Fprintf(out, "\tcase %s:\n\t\treturn f.Step(t) // the source drops the error\n", strings.Join(dropped, ", "))
	}
	fmt.Fprintf(out, "\t}\n\tt.StashError(err)\n\treturn f.Step(t)\n}\n\n")
}

// tidy drops each goto that jumps to the label right after it, and returns the lines
// with the labels that are still jumped to (resume points always are).
func (e *emitter) tidy() ([]string, map[string]bool) {
	var out []string
	for i, l := range e.lines {
		if target, ok := strings.CutPrefix(l, "goto "); ok {
			j := i + 1
			for j < len(e.lines) && strings.HasPrefix(e.lines[j], "//line ") {
				j++
			}
			if j < len(e.lines) && e.lines[j] == "\x00"+target {
				continue
			}
		}
		out = append(out, l)
	}
	used := map[string]bool{}
	for _, p := range e.fn.points {
		used[p.label] = true
	}
	for _, l := range out {
		if target, ok := strings.CutPrefix(strings.TrimSpace(l), "goto "); ok {
			used[target] = true
		}
	}
	return out, used
}

// sortedFields returns the locals that are fields (not parameters, nor the named results,
// which come last), in declaration order.
func (e *emitter) sortedFields() []*local {
	var ls []*local
	for _, l := range e.fn.sortedLocals() {
		if l.field != "" && !l.param && e.fn.resultIndex(l.v) < 0 {
			ls = append(ls, l)
		}
	}
	return ls
}

// emitResults writes the method a caller's resume point reads the results with.
func (e *emitter) emitResults(out *bytes.Buffer) {
	fn := e.fn
	res := fn.sig.Results()
	n := res.Len()
	if n == 0 || n == 1 && isError(res.At(0).Type()) {
		return
	}
	withErr := isError(res.At(n - 1).Type())
	var types_, vals, zeros []string
	for i := range n {
		types_ = append(types_, e.c.typeString(res.At(i).Type()))
		if i == n-1 && withErr {
			vals = append(vals, "t.ResumeErr()")
			zeros = append(zeros, "t.ResumeErr()")
			continue
		}
		vals = append(vals, "f."+fn.resultField(i))
		zeros = append(zeros, e.zero(res.At(i).Type()))
	}
	param := ""
	if withErr {
		param = "t *" + e.c.sim + ".Tasklet"
	}
	fmt.Fprintf(out, "// results returns what %s returned, at the caller's resume point.\n", fn.name)
	fmt.Fprintf(out, "func (f *%s) results(%s) (%s) {\n", fn.typ(), param, strings.Join(types_, ", "))
	fmt.Fprintf(out, "\tif f == nil {\n\t\treturn %s\n\t}\n\treturn %s\n}\n\n", strings.Join(zeros, ", "), strings.Join(vals, ", "))
}

// ---- statements: flattened (they suspend; labels at the top level of Step) ----

func (e *emitter) flatList(list []ast.Stmt) {
	for _, s := range list {
		e.flat(s, "")
	}
}

// flat emits s at the top level of Step: a statement that suspends is lowered to labels
// and gotos; one that does not is emitted as it is, its declarations hoisted.
func (e *emitter) flat(s ast.Stmt, label string) {
	fn := e.fn
	if !fn.suspendsIn(s) {
		e.simpleFlat(s, label)
		return
	}
	switch s := s.(type) {
	case *ast.LabeledStmt:
		e.flat(s.Stmt, s.Label.Name)
	case *ast.BlockStmt:
		e.flatList(s.List)
	case *ast.IfStmt:
		e.flatIf(s)
	case *ast.ForStmt:
		e.flatFor(s, label)
	case *ast.RangeStmt:
		e.flatRange(s, label)
	case *ast.SwitchStmt:
		e.flatSwitch(s, label)
	case *ast.TypeSwitchStmt:
		e.flatTypeSwitch(s, label)
	case *ast.ExprStmt, *ast.AssignStmt, *ast.ReturnStmt, *ast.DeclStmt:
		e.suspension(s)
	default:
		fn.g.refuse(s.Pos(), "%T around a suspension: not translated", s)
	}
}

// simpleFlat emits a statement without suspension at the top level: declarations become
// assignments to hoisted locals or fields.
func (e *emitter) simpleFlat(s ast.Stmt, label string) {
	info := e.fn.g.info
	switch s := s.(type) {
	case *ast.AssignStmt:
		if s.Tok == token.DEFINE {
			for _, l := range s.Lhs {
				if id, ok := l.(*ast.Ident); ok {
					if v, ok := info.Defs[id].(*types.Var); ok {
						e.hoist(v)
					}
				}
			}
			e.line(s.Pos())
			e.emit("%s = %s", e.xs(s.Lhs), e.xs(s.Rhs))
			return
		}
	case *ast.DeclStmt:
		gd, ok := s.Decl.(*ast.GenDecl)
		if ok && gd.Tok == token.VAR {
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				pos := vs.Pos()
				var lhs, rhs []string
				for i, id := range vs.Names {
					v, _ := info.Defs[id].(*types.Var)
					if v == nil {
						continue
					}
					e.hoist(v)
					lhs = append(lhs, e.x(id))
					if len(vs.Values) == 0 {
						rhs = append(rhs, e.zero(v.Type()))
					} else if len(vs.Values) == len(vs.Names) {
						rhs = append(rhs, e.x(vs.Values[i]))
					}
				}
				if len(vs.Values) == 1 && len(vs.Names) > 1 {
					rhs = []string{e.x(vs.Values[0])}
				}
				e.line(pos)
				e.emit("%s = %s", strings.Join(lhs, ", "), strings.Join(rhs, ", "))
			}
			return
		}
	}
	if label != "" {
		e.emit("%s:", label)
	}
	e.stmt(s)
}

func (e *emitter) flatIf(s *ast.IfStmt) {
	if s.Init != nil {
		e.flat(s.Init, "")
	}
	end := e.fn.fresh("endif")
	els := end
	if s.Else != nil {
		els = e.fn.fresh("else")
	}
	e.line(s.Cond.Pos())
	e.gotoIf(e.not(s.Cond), els)
	e.flatList(s.Body.List)
	if s.Else != nil {
		e.jump(end)
		e.label(els)
		e.flat(s.Else, "")
	}
	e.label(end)
}

// not returns the negation of cond, readable where that is exact.
func (e *emitter) not(cond ast.Expr) string {
	switch c := ast.Unparen(cond).(type) {
	case *ast.UnaryExpr:
		if c.Op == token.NOT {
			return e.x(c.X)
		}
	case *ast.BinaryExpr:
		neg := map[token.Token]token.Token{token.EQL: token.NEQ, token.NEQ: token.EQL}
		if isIntegerOrString(e.fn.g.info.TypeOf(c.X)) && isIntegerOrString(e.fn.g.info.TypeOf(c.Y)) {
			neg[token.LSS], neg[token.GEQ], neg[token.GTR], neg[token.LEQ] = token.GEQ, token.LSS, token.LEQ, token.GTR
		}
		if op, ok := neg[c.Op]; ok {
			return e.x(&ast.BinaryExpr{X: c.X, Op: op, Y: c.Y})
		}
	case *ast.Ident:
		return "!" + e.x(c)
	}
	return "!(" + e.x(cond) + ")"
}

func isIntegerOrString(t types.Type) bool {
	if t == nil {
		return false
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&(types.IsInteger|types.IsString) != 0
}

func (e *emitter) flatFor(s *ast.ForStmt, label string) {
	fn := e.fn
	if s.Init != nil {
		e.flat(s.Init, "")
	}
	loop, done, cont := fn.fresh("loop"), fn.fresh("done"), fn.fresh("next")
	e.used[loop] = true
	e.label(loop)
	if s.Cond != nil {
		e.line(s.Cond.Pos())
		e.gotoIf(e.not(s.Cond), done)
	}
	e.push(target{label: label, loop: true, brk: done, cnt: cont})
	e.flatList(s.Body.List)
	e.pop()
	e.label(cont)
	if s.Post != nil {
		e.simpleFlat(s.Post, "")
	}
	e.jump(loop)
	e.label(done)
}

// flatRange lowers a range statement that suspends: over sim.Values (flatValues), an
// integer, a slice or array, or a string. The operand is evaluated once, as range does,
// and the iteration is counted in the key itself when the body leaves it alone, else in
// a hidden field: either way the position survives a save.
func (e *emitter) flatRange(s *ast.RangeStmt, label string) {
	if p := e.fn.pointAt[s]; p != nil {
		e.flatValues(s, p, label)
		return
	}
	kind := rangeKindOf(e.fn.g.info.TypeOf(s.X))
	e.line(s.Pos())
	limit := e.rangeLimit(s)
	counter, keyIsCounter := e.rangeCounter(s, kind)
	e.emit("%s = 0", counter)
	loop, done, cont := e.fn.fresh("loop"), e.fn.fresh("done"), e.fn.fresh("next")
	e.used[loop] = true
	e.label(loop)
	bound := "len(" + limit + ")"
	if kind == rangeInt {
		bound = limit
	}
	e.gotoIf(counter+" >= "+bound, done)
	if !keyIsCounter {
		e.rangeVar(s, s.Key, counter)
	}
	e.rangeValue(s, kind, limit, counter)
	e.push(target{label: label, loop: true, brk: done, cnt: cont})
	e.flatList(s.Body.List)
	e.pop()
	e.label(cont)
	e.rangeStep(kind, limit, counter)
	e.jump(loop)
	e.label(done)
}

// rangeKind is what a lowered range statement iterates over.
type rangeKind int

const (
	rangeInt rangeKind = iota
	rangeIndexed
	rangeString
)

// rangeKindOf classifies the operand type of a range that check let through.
func rangeKindOf(t types.Type) rangeKind {
	if b, ok := t.Underlying().(*types.Basic); ok {
		if b.Info()&types.IsString != 0 {
			return rangeString
		}
		return rangeInt
	}
	return rangeIndexed
}

// rangeLimit returns the range's operand, evaluated once: a constant or a variable the
// body does not assign as it is, anything else copied into a hidden field.
func (e *emitter) rangeLimit(s *ast.RangeStmt) string {
	info := e.fn.g.info
	if tv, ok := info.Types[s.X]; ok && tv.Value != nil {
		return e.x(s.X)
	}
	if id, ok := s.X.(*ast.Ident); ok && !e.fn.assignedIn(id, s.Body) {
		return e.x(id)
	}
	limit := e.field("range", info.TypeOf(s.X))
	e.emit("%s = %s", limit, e.x(s.X))
	return limit
}

// rangeCounter returns where the iteration's position is kept: the key, when it is a
// field the body leaves alone (keyIsCounter), else a hidden field.
func (e *emitter) rangeCounter(s *ast.RangeStmt, kind rangeKind) (counter string, keyIsCounter bool) {
	fn := e.fn
	if key, ok := s.Key.(*ast.Ident); ok && s.Tok == token.DEFINE {
		if v, ok := fn.g.info.Defs[key].(*types.Var); ok && fn.locals[v] != nil && fn.locals[v].field != "" && !fn.assignedIn(key, s.Body) {
			return e.x(key), true
		}
	}
	var t types.Type = types.Typ[types.Int]
	if kind == rangeInt {
		t = fn.g.info.TypeOf(s.X)
	}
	return e.field("i", t), false
}

// rangeValue assigns the range's value for the position counter: an element, or the
// rune a string holds there (utf8.RuneError for an invalid byte, as range gives).
func (e *emitter) rangeValue(s *ast.RangeStmt, kind rangeKind, limit, counter string) {
	if s.Value == nil || isBlank(s.Value) {
		return
	}
	if kind != rangeString {
		e.rangeVar(s, s.Value, limit+"["+counter+"]")
		return
	}
	e.hoistRangeVar(s, s.Value)
	e.emit("%s, _ = %s.DecodeRuneInString(%s[%s:])", e.x(s.Value), e.c.pkgName("unicode/utf8", "utf8"), limit, counter)
}

// rangeStep moves counter to the next position: one, or past the rune at counter.
func (e *emitter) rangeStep(kind rangeKind, limit, counter string) {
	if kind != rangeString {
		e.emit("%s++", counter)
		return
	}
	size := e.temp("size", types.Typ[types.Int])
	e.emit("_, %s = %s.DecodeRuneInString(%s[%s:])", size, e.c.pkgName("unicode/utf8", "utf8"), limit, counter)
	e.emit("%s += %s", counter, size)
}

// rangeVar assigns a range statement's key or value.
func (e *emitter) rangeVar(s *ast.RangeStmt, x ast.Expr, val string) {
	if x == nil || isBlank(x) {
		return
	}
	e.hoistRangeVar(s, x)
	e.emit("%s = %s", e.x(x), val)
}

// hoistRangeVar declares the key or value x of a range statement that defines it.
func (e *emitter) hoistRangeVar(s *ast.RangeStmt, x ast.Expr) {
	if id, ok := x.(*ast.Ident); ok && s.Tok == token.DEFINE {
		if v, ok := e.fn.g.info.Defs[id].(*types.Var); ok {
			e.hoist(v)
		}
	}
}

func isBlank(x ast.Expr) bool {
	id, ok := x.(*ast.Ident)
	return ok && id.Name == "_"
}

// assignedIn reports whether the variable id names is assigned or has its address taken in n.
func (fn *fnGen) assignedIn(id *ast.Ident, n ast.Node) bool {
	info := fn.g.info
	obj := info.ObjectOf(id)
	found := false
	is := func(x ast.Expr) bool {
		y, ok := ast.Unparen(x).(*ast.Ident)
		return ok && info.Uses[y] == obj
	}
	ast.Inspect(n, func(m ast.Node) bool {
		switch m := m.(type) {
		case *ast.AssignStmt:
			for _, l := range m.Lhs {
				found = found || is(l)
			}
		case *ast.IncDecStmt:
			found = found || is(m.X)
		case *ast.UnaryExpr:
			found = found || m.Op == token.AND && is(m.X)
		}
		return !found
	})
	return found
}

func (e *emitter) flatValues(s *ast.RangeStmt, p *point, label string) {
	fn := e.fn
	sim := e.c.sim
	ch := e.x(p.ch)
	if _, ok := ast.Unparen(p.ch).(*ast.Ident); !ok {
		f := e.field("ch", fn.g.info.TypeOf(p.ch))
		e.line(s.Pos())
		e.emit("%s = %s", f, ch)
		ch = f
	}
	loop, done := fn.fresh("loop"), fn.fresh("done")
	e.used[loop] = true
	e.label(loop)
	e.line(s.Pos())
	e.ret("return %s.Next(t).Then(%s)", ch, p.konst)
	e.resumeAt(p)
	e.line(s.For)
	v := "_"
	if s.Key != nil && !isBlank(s.Key) {
		if id, ok := s.Key.(*ast.Ident); ok && s.Tok == token.DEFINE {
			if obj, ok := fn.g.info.Defs[id].(*types.Var); ok {
				e.hoist(obj)
			}
		}
		v = e.x(s.Key)
	}
	ok := e.temp("ok", types.Typ[types.Bool])
	errv := e.temp("err", types.Universe.Lookup("error").Type())
	e.emit("%s, %s, %s = %s.ResumeNext[%s](t)", v, ok, errv, sim, e.c.typeString(p.elem))
	e.emit("if %s != nil {", errv)
	if errp := ast.Unparen(p.errp); !isNil(fn.g.info, errp) {
		if u, isAddr := errp.(*ast.UnaryExpr); isAddr && u.Op == token.AND {
			e.emit("%s = %s", e.x(u.X), errv)
		} else {
			e.emit("*%s = %s", e.x(errp), errv)
		}
	}
	e.emit("goto %s", done)
	e.emit("}")
	e.gotoIf("!"+ok, done)
	e.push(target{label: label, loop: true, brk: done, cnt: loop})
	e.flatList(s.Body.List)
	e.pop()
	e.jump(loop)
	e.label(done)
}

func isNil(info *types.Info, x ast.Expr) bool {
	tv, ok := info.Types[x]
	return ok && tv.IsNil()
}

func (e *emitter) flatSwitch(s *ast.SwitchStmt, label string) {
	fn := e.fn
	if s.Init != nil {
		e.flat(s.Init, "")
	}
	tag := ""
	if s.Tag != nil {
		e.line(s.Tag.Pos())
		switch ast.Unparen(s.Tag).(type) {
		case *ast.Ident, *ast.BasicLit:
			tag = e.x(s.Tag)
		default:
			tag = e.temp("tag", fn.g.info.TypeOf(s.Tag))
			e.emit("%s = %s", tag, e.x(s.Tag))
		}
	}
	labels, done := e.dispatch(s.Body.List, func(cc *ast.CaseClause) []string {
		var conds []string
		for _, x := range cc.List {
			if tag != "" {
				conds = append(conds, tag+" == "+e.x(x))
			} else {
				conds = append(conds, e.x(x))
			}
		}
		return []string{strings.Join(conds, " || ")}
	})
	e.push(target{label: label, brk: done})
	for i, cl := range s.Body.List {
		cc := cl.(*ast.CaseClause)
		e.label(labels[i])
		body := cc.Body
		fall := len(body) > 0 && isFallthrough(body[len(body)-1])
		if fall {
			body = body[:len(body)-1]
		}
		e.flatList(body)
		if fall {
			if i+1 < len(labels) {
				e.jump(labels[i+1])
			}
		} else {
			e.jump(done)
		}
	}
	e.pop()
	e.label(done)
}

// dispatch emits a switch's jump to its clauses, shared by expression and type switches:
// each case clause gets a label, tried in source order with an "if cond { goto label }"
// per condition conds returns for it, then a jump to the default clause's label (or past
// the switch). It returns the clauses' labels and the label past the switch.
func (e *emitter) dispatch(clauses []ast.Stmt, conds func(cc *ast.CaseClause) []string) (labels []string, done string) {
	done = e.fn.fresh("done")
	labels = make([]string, len(clauses))
	deflt := done
	for i, cl := range clauses {
		cc := cl.(*ast.CaseClause)
		labels[i] = e.fn.fresh("case")
		if cc.List == nil {
			deflt = labels[i]
			continue
		}
		cs := conds(cc)
		e.line(cc.Pos())
		for _, c := range cs {
			e.gotoIf(c, labels[i])
		}
		e.used[labels[i]] = true
	}
	e.jump(deflt)
	return labels, done
}

// flatTypeSwitch lowers a type switch that suspends: the operand is evaluated once, the
// clauses' types are tried in source order (the first that matches wins, as in Go), and
// each clause's variable is assigned at its label when the clause reads it.
func (e *emitter) flatTypeSwitch(s *ast.TypeSwitchStmt, label string) {
	fn := e.fn
	if s.Init != nil {
		e.flat(s.Init, "")
	}
	assert := typeSwitchAssert(s)
	e.line(s.Assign.Pos())
	x := e.temp("x", fn.g.info.TypeOf(assert.X))
	e.emit("%s = %s", x, e.x(assert.X))
	labels, done := e.dispatch(s.Body.List, func(cc *ast.CaseClause) []string {
		conds := make([]string, len(cc.List)) // one test each: a type assertion's ok cannot be ORed
		for i, t := range cc.List {
			conds[i] = e.typeCond(x, t)
		}
		return conds
	})
	e.push(target{label: label, brk: done})
	for i, cl := range s.Body.List {
		cc := cl.(*ast.CaseClause)
		e.label(labels[i])
		e.typeClauseVar(cc, x)
		e.flatList(cc.Body)
		e.jump(done)
	}
	e.pop()
	e.label(done)
}

// typeSwitchAssert returns the x.(type) of a type switch.
func typeSwitchAssert(s *ast.TypeSwitchStmt) *ast.TypeAssertExpr {
	switch a := s.Assign.(type) {
	case *ast.AssignStmt:
		return ast.Unparen(a.Rhs[0]).(*ast.TypeAssertExpr)
	case *ast.ExprStmt:
		return ast.Unparen(a.X).(*ast.TypeAssertExpr)
	}
	panic("taskletgen: a type switch without x.(type)") // go/parser makes no other
}

// typeCond returns the condition under which x's dynamic type is t (or x is nil).
func (e *emitter) typeCond(x string, t ast.Expr) string {
	if isNil(e.fn.g.info, t) {
		return x + " == nil"
	}
	return fmt.Sprintf("_, ok := %s.(%s); ok", x, e.x(t))
}

// typeClauseVar assigns a type switch clause's variable from the operand x, if the
// clause reads it: asserted to the clause's type when it names one type, x itself else.
func (e *emitter) typeClauseVar(cc *ast.CaseClause, x string) {
	info := e.fn.g.info
	v, ok := info.Implicits[cc].(*types.Var)
	if !ok || !e.fn.usedIn(v, cc) {
		return
	}
	val := x
	if len(cc.List) == 1 && !isNil(info, cc.List[0]) {
		val = fmt.Sprintf("%s.(%s)", x, e.x(cc.List[0]))
	}
	e.line(cc.Colon)
	e.emit("%s = %s", e.varRef(v), val)
}

// usedIn reports whether v is used in n.
func (fn *fnGen) usedIn(v *types.Var, n ast.Node) bool {
	found := false
	ast.Inspect(n, func(m ast.Node) bool {
		if id, ok := m.(*ast.Ident); ok && fn.g.info.Uses[id] == v {
			found = true
		}
		return !found
	})
	return found
}

func isFallthrough(s ast.Stmt) bool {
	b, ok := s.(*ast.BranchStmt)
	return ok && b.Tok == token.FALLTHROUGH
}

func (e *emitter) push(t target) { e.targets = append(e.targets, t) }
func (e *emitter) pop()          { e.targets = e.targets[:len(e.targets)-1] }

// ---- suspensions ----

// suspension emits a statement whose value is a suspension: the op, its resume point,
// and the assignment of its results.
func (e *emitter) suspension(s ast.Stmt) {
	fn := e.fn
	info := fn.g.info
	var call ast.Expr
	var lhs []ast.Expr
	define := false
	isReturn := false
	switch s := s.(type) {
	case *ast.ExprStmt:
		call = s.X
	case *ast.AssignStmt:
		call, lhs, define = s.Rhs[0], s.Lhs, s.Tok == token.DEFINE
	case *ast.ReturnStmt:
		call, isReturn = s.Results[0], true
	case *ast.DeclStmt:
		vs := s.Decl.(*ast.GenDecl).Specs[0].(*ast.ValueSpec)
		call, define = vs.Values[0], true
		for _, id := range vs.Names {
			lhs = append(lhs, id)
		}
	}
	p := fn.pointAt[ast.Unparen(call)]
	pos := s.Pos() // before printing: the printed nodes lose their positions
	if p == nil {
		fn.g.refuse(pos, "suspension inside an expression: write it as a statement of its own")
		return
	}
	if define {
		for _, l := range lhs {
			if id, ok := l.(*ast.Ident); ok {
				if v, ok := info.Defs[id].(*types.Var); ok {
					e.hoist(v)
				}
			}
		}
	}
	e.line(pos)
	e.ret("return %s.Then(%s)", e.op(p), p.konst)
	e.resumeAt(p)
	e.line(pos)
	res := e.resume(p)
	switch {
	case isReturn:
		e.returnValues(pos, res, e.resultTypes(p))
	case len(lhs) > 0:
		e.emit("%s = %s", e.xs(lhs), res)
	case p.kind != pCall:
		p.discarded = true
	case res != "":
		e.emit("%s", res)
	}
}

// op returns the Await of p, as the soft frame makes it.
func (e *emitter) op(p *point) string {
	switch p.kind {
	case pWait:
		return e.x(p.await)
	case pReceive:
		return e.x(p.ch) + ".Recv(t)"
	case pSend:
		return e.x(p.ch) + ".Send(t, " + e.x(p.val) + ")"
	case pSendError:
		return e.x(p.ch) + ".SendError(t, " + e.x(p.val) + ")"
	case pNext:
		return e.x(p.ch) + ".Next(t)"
	case pCall:
		return "t.Call(" + e.callFrame(p) + ")"
	}
	return ""
}

// callFrame returns the child frame of a call to a marked function.
func (e *emitter) callFrame(p *point) string {
	var parts []string
	for i, a := range p.call.Args[1:] {
		parts = append(parts, p.callee.locals[p.callee.params[i]].field+": "+e.x(a))
	}
	return "&" + e.calleeType(p) + "{" + strings.Join(parts, ", ") + "}"
}

// calleeType returns the frame type of the marked function p calls, with the type
// arguments of this call when the function is generic ("AskFrame[Order, Price]").
func (e *emitter) calleeType(p *point) string {
	if p.callee.sig.TypeParams().Len() == 0 {
		return p.callee.frame
	}
	id := calleeIdent(p.call)
	inst, ok := e.fn.g.info.Instances[id]
	if id == nil || !ok {
		return p.callee.typ() // cannot happen: a type-checked call of a generic function is instantiated
	}
	args := make([]string, inst.TypeArgs.Len())
	for i := range inst.TypeArgs.Len() {
		args[i] = e.c.typeString(inst.TypeArgs.At(i))
	}
	return p.callee.frame + "[" + strings.Join(args, ", ") + "]"
}

// typeParams returns the frame type's type parameter list ("[Q, R any]"), or "".
func (e *emitter) typeParams() string {
	tps := e.fn.sig.TypeParams()
	if tps.Len() == 0 {
		return ""
	}
	parts := make([]string, tps.Len())
	for i := range tps.Len() {
		parts[i] = tps.At(i).Obj().Name() + " " + e.c.typeString(tps.At(i).Constraint())
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// resume returns the expression the resume point of p evaluates to: what the hard
// version's call returns ("" when it returns nothing).
func (e *emitter) resume(p *point) string {
	sim := e.c.sim
	switch p.kind {
	case pReceive:
		return fmt.Sprintf("%s.ResumeRecv[%s](t)", sim, e.c.typeString(p.elem))
	case pNext:
		return fmt.Sprintf("%s.ResumeNext[%s](t)", sim, e.c.typeString(p.elem))
	case pCall:
		res := p.callee.sig.Results()
		switch {
		case res.Len() == 0:
			return ""
		case res.Len() == 1 && isError(res.At(0).Type()):
			return "t.ResumeErr()"
		case isError(res.At(res.Len() - 1).Type()):
			return fmt.Sprintf("%s.Child[*%s](t).results(t)", sim, e.calleeType(p))
		}
		return fmt.Sprintf("%s.Child[*%s](t).results()", sim, e.calleeType(p))
	}
	return "t.ResumeErr()"
}

// resultTypes returns the types of what the hard version's call of p returns.
func (e *emitter) resultTypes(p *point) []types.Type {
	errT := types.Universe.Lookup("error").Type()
	switch p.kind {
	case pReceive:
		return []types.Type{p.elem, errT}
	case pNext:
		return []types.Type{p.elem, types.Typ[types.Bool], errT}
	case pCall:
		sig := p.callee.sig
		if inst, ok := e.fn.g.info.TypeOf(p.call.Fun).(*types.Signature); ok {
			sig = inst // a generic callee's results, instantiated at this call
		}
		var ts []types.Type
		for i := range sig.Results().Len() {
			ts = append(ts, sig.Results().At(i).Type())
		}
		return ts
	}
	return []types.Type{errT}
}

// ---- returns ----

// emitReturn ends the frame with the values of a return statement (nil: a bare return, or
// the end of the function).
func (e *emitter) emitReturn(pos token.Pos, results []ast.Expr) {
	fn := e.fn
	res := fn.sig.Results()
	n := res.Len()
	if n == 0 {
		e.ret("return t.Return()")
		return
	}
	var vals []string
	switch {
	case len(results) == 0:
		for i := range n {
			vals = append(vals, e.varRef(res.At(i)))
		}
	case len(results) == n:
		for _, r := range results {
			vals = append(vals, e.x(r))
		}
	default: // one call returning all the results
		var ts []types.Type
		for i := range n {
			ts = append(ts, res.At(i).Type())
		}
		e.returnValues(pos, e.x(results[0]), ts)
		return
	}
	e.returnList(vals)
}

// returnValues returns the n values of one multi-valued expression x, of types ts.
func (e *emitter) returnValues(pos token.Pos, x string, ts []types.Type) {
	n := e.fn.sig.Results().Len()
	if n == 0 {
		if x != "" {
			e.emit("%s", x)
		}
		e.ret("return t.Return()")
		return
	}
	if n == 1 {
		e.returnList([]string{x})
		return
	}
	vals := make([]string, len(ts))
	for i, t := range ts {
		vals[i] = e.temp("r"+strconv.Itoa(i), t)
	}
	e.emit("%s = %s", strings.Join(vals, ", "), x)
	e.returnList(vals)
}

// returnList stores the result values in the frame and returns.
func (e *emitter) returnList(vals []string) {
	res := e.fn.sig.Results()
	n := res.Len()
	withErr := isError(res.At(n - 1).Type())
	var lhs, rhs []string
	for i, v := range vals {
		if i == n-1 && withErr {
			break
		}
		if field := "f." + e.fn.resultField(i); field != v { // a named result returned as it is
			lhs, rhs = append(lhs, field), append(rhs, v)
		}
	}
	if len(lhs) > 0 {
		e.emit("%s = %s", strings.Join(lhs, ", "), strings.Join(rhs, ", "))
	}
	if withErr {
		e.ret("return t.ReturnError(%s)", vals[n-1])
	} else {
		e.ret("return t.Return()")
	}
}

// ---- statements: structured (no suspension inside) ----

// stmt emits s as it is, but for returns (which end the frame) and branches to statements
// that were lowered (which become gotos).
func (e *emitter) stmt(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.ReturnStmt:
		e.line(s.Pos())
		e.emitReturn(s.Pos(), s.Results)
		e.dead = true
	case *ast.BranchStmt:
		e.line(s.Pos())
		e.branch(s)
	case *ast.BlockStmt:
		e.line(s.Pos())
		e.emit("{")
		e.block(s.List)
		e.emit("}")
	case *ast.IfStmt:
		e.line(s.Pos())
		e.emit("if %s%s {", e.init(s.Init), e.x(s.Cond))
		e.block(s.Body.List)
		for s.Else != nil {
			if ei, ok := s.Else.(*ast.IfStmt); ok {
				e.line(ei.Pos())
				e.emit("} else if %s%s {", e.init(ei.Init), e.x(ei.Cond))
				e.block(ei.Body.List)
				s = ei
				continue
			}
			e.emit("} else {")
			e.block(s.Else.(*ast.BlockStmt).List)
			break
		}
		e.emit("}")
	case *ast.ForStmt:
		e.line(s.Pos())
		head := ""
		if s.Init != nil || s.Post != nil {
			head = e.simple(s.Init) + "; " + e.opt(s.Cond) + "; " + e.simple(s.Post) + " "
		} else if s.Cond != nil {
			head = e.x(s.Cond) + " "
		}
		e.emit("for %s{", head)
		e.push(target{loop: true})
		e.block(s.Body.List)
		e.pop()
		e.emit("}")
	case *ast.RangeStmt:
		e.line(s.Pos())
		head := ""
		if s.Key != nil {
			head = e.x(s.Key)
			if s.Value != nil {
				head += ", " + e.x(s.Value)
			}
			head += " " + s.Tok.String() + " "
		}
		e.emit("for %srange %s {", head, e.x(s.X))
		e.push(target{loop: true})
		e.block(s.Body.List)
		e.pop()
		e.emit("}")
	case *ast.SwitchStmt:
		e.line(s.Pos())
		e.emit("switch %s%s{", e.init(s.Init), e.opt(s.Tag)+space(s.Tag != nil))
		e.push(target{})
		for _, cl := range s.Body.List {
			e.clause(cl.(*ast.CaseClause))
		}
		e.pop()
		e.emit("}")
	case *ast.TypeSwitchStmt:
		e.line(s.Pos())
		e.emit("switch %s%s {", e.init(s.Init), e.x(s.Assign))
		e.push(target{})
		for _, cl := range s.Body.List {
			e.clause(cl.(*ast.CaseClause))
		}
		e.pop()
		e.emit("}")
	case *ast.LabeledStmt:
		e.line(s.Pos())
		e.emit("%s:", s.Label.Name)
		switch s.Stmt.(type) {
		case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
			e.push(target{label: s.Label.Name, loop: isLoop(s.Stmt)})
			e.stmt(s.Stmt)
			e.pop()
		default:
			e.stmt(s.Stmt)
		}
	case *ast.EmptyStmt:
	default:
		e.line(s.Pos())
		e.emit("%s", e.x(s))
	}
}

func isLoop(s ast.Stmt) bool {
	switch s.(type) {
	case *ast.ForStmt, *ast.RangeStmt:
		return true
	}
	return false
}

func space(b bool) string {
	if b {
		return " "
	}
	return ""
}

func (e *emitter) clause(cc *ast.CaseClause) {
	e.line(cc.Pos())
	if cc.List == nil {
		e.emit("default:")
	} else {
		e.emit("case %s:", e.xs(cc.List))
	}
	e.block(cc.Body)
}

func (e *emitter) block(list []ast.Stmt) {
	for _, s := range list {
		e.stmt(s)
	}
	e.dead = false
}

func (e *emitter) init(s ast.Stmt) string {
	if s == nil {
		return ""
	}
	return e.x(s) + "; "
}

func (e *emitter) simple(s ast.Stmt) string {
	if s == nil {
		return ""
	}
	return e.x(s)
}

func (e *emitter) opt(x ast.Expr) string {
	if x == nil {
		return ""
	}
	return e.x(x)
}

// branch emits break or continue: a goto when its target was lowered.
func (e *emitter) branch(s *ast.BranchStmt) {
	if s.Tok == token.FALLTHROUGH || s.Tok == token.GOTO {
		e.emit("%s", e.x(s))
		return
	}
	for i := len(e.targets) - 1; i >= 0; i-- {
		t := e.targets[i]
		if s.Label != nil && t.label != s.Label.Name {
			continue
		}
		if s.Label == nil && s.Tok == token.CONTINUE && !t.loop {
			continue
		}
		switch {
		case t.brk == "": // structured: as written
			e.emit("%s", e.x(s))
		case s.Tok == token.BREAK:
			e.emit("goto %s", t.brk)
			e.used[t.brk] = true
		default:
			e.emit("goto %s", t.cnt)
			e.used[t.cnt] = true
		}
		e.dead = true
		return
	}
	e.emit("%s", e.x(s))
}
