package taskletgen

import (
	"cmp"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// fnGen is one marked function being translated.
type fnGen struct {
	g      *pkgGen
	file   *ast.File
	decl   *ast.FuncDecl
	name   string // the function's name
	frame  string // the frame type's name
	reg    string // the registered name
	h      *types.Var
	params []*types.Var // without h
	sig    *types.Signature

	suspends bool                // it has a suspension (directly or through a call)
	points   []*point            // suspensions in source order
	pointAt  map[ast.Node]*point // by the call (or range statement) that suspends
	locals   map[*types.Var]*local
	loops    []ast.Node      // loops that suspend
	names    map[string]bool // identifiers in use in the function
	fields   map[string]bool // field names of the frame
}

// A point is one suspension: a resume point of the frame.
type point struct {
	kind   pointKind
	node   ast.Node      // the call, or the range statement of a sim.Values loop
	call   *ast.CallExpr // the suspending call
	await  ast.Expr      // X of X.Wait()
	ch     ast.Expr      // the channel of Receive, Send, SendError, Next, Values
	val    ast.Expr      // the value of Send, SendError
	errp   ast.Expr      // Values's error pointer
	elem   types.Type    // the channel's element type
	callee *fnGen
	name   string // "Send#1"
	pc     int
	konst  string // the Go constant: recursSend1
	label  string // the label it resumes at
	// discarded: the source drops what the call returns, error included, so Catch drops
	// the error too and the resume point reads nothing.
	discarded bool
}

type pointKind int

const (
	pWait pointKind = iota
	pReceive
	pSend
	pSendError
	pNext
	pValues
	pCall
)

// A local is a variable declared in the function (parameters included).
type local struct {
	v      *types.Var
	param  bool
	field  string // the frame field holding it, or ""
	name   string // its name in the generated code when it is not a field
	inLoop bool   // declared in a loop that suspends (closures may not capture it)
	seq    int    // the order of declaration (type switch clauses share a position)
}

func (g *pkgGen) newFn(f *ast.File, fd *ast.FuncDecl) *fnGen {
	obj, _ := g.info.Defs[fd.Name].(*types.Func)
	if obj == nil {
		g.refuse(fd.Pos(), "%s does not type-check", fd.Name.Name)
		return nil
	}
	sig := obj.Type().(*types.Signature)
	if fd.Recv != nil {
		g.refuse(fd.Pos(), "%s is a method: mark a function whose first parameter is the tasklet (h *sim.Tasklet)", fd.Name.Name)
		return nil
	}
	if sig.Params().Len() == 0 || !isTasklet(sig.Params().At(0).Type()) {
		g.refuse(fd.Pos(), "%s's first parameter must be the tasklet (h *sim.Tasklet): it is what blocks", fd.Name.Name)
		return nil
	}
	if sig.Variadic() {
		g.refuse(fd.Pos(), "%s is variadic: pass a slice", fd.Name.Name)
		return nil
	}
	fn := &fnGen{
		g: g, file: f, decl: fd, name: fd.Name.Name, sig: sig,
		frame:   exported(fd.Name.Name) + "Frame",
		reg:     regPrefix(g) + "." + fd.Name.Name,
		h:       sig.Params().At(0),
		pointAt: map[ast.Node]*point{}, locals: map[*types.Var]*local{}, names: map[string]bool{},
		fields: map[string]bool{"Step": true, "Catch": true},
	}
	if !g.markerSettings(fn) {
		return nil
	}
	if fn.h.Name() == "_" || fn.h.Name() == "" {
		g.refuse(fd.Pos(), "%s: name the tasklet parameter", fd.Name.Name)
		return nil
	}
	for i := 1; i < sig.Params().Len(); i++ {
		fn.params = append(fn.params, sig.Params().At(i))
	}
	return fn
}

// analyze classifies the suspensions of every marked function, decides which locals are
// fields, and refuses what cannot be translated.
func (g *pkgGen) analyze() {
	for _, fn := range g.fns {
		fn.findPoints()
	}
	// A function suspends if it has a suspension of its own or calls one that does.
	for changed := true; changed; {
		changed = false
		for _, fn := range g.fns {
			if fn.suspends {
				continue
			}
			for _, p := range fn.points {
				if p.kind != pCall || p.callee.suspends {
					fn.suspends, changed = true, true
					break
				}
			}
		}
	}
	for _, fn := range g.fns {
		// Calls of marked functions that do not suspend stay plain Go calls.
		var pts []*point
		for _, p := range fn.points {
			if p.kind == pCall && !p.callee.suspends {
				delete(fn.pointAt, p.node)
				continue
			}
			pts = append(pts, p)
		}
		fn.points = pts
		fn.nameIdents()
		fn.nameLocals()
		fn.namePoints()
		fn.check()
	}
}

// findPoints walks the body for suspensions, in source order.
func (fn *fnGen) findPoints() {
	ast.Inspect(fn.decl.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false // checked in check
		case *ast.RangeStmt:
			if p := fn.valuesLoop(n); p != nil {
				fn.points = append(fn.points, p)
				fn.pointAt[n] = p
			}
		case *ast.CallExpr:
			if p := fn.classify(n); p != nil {
				fn.points = append(fn.points, p)
				fn.pointAt[n] = p
			}
		}
		return true
	})
}

// classify returns the suspension call is, or nil.
func (fn *fnGen) classify(call *ast.CallExpr) *point {
	info := fn.g.info
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Wait" && len(call.Args) == 0 {
		if isSimNamed(info.TypeOf(sel.X), "Await") {
			return &point{kind: pWait, node: call, call: call, await: sel.X}
		}
	}
	callee := calleeFunc(info, call)
	if callee == nil {
		return nil
	}
	if callee.Pkg() != nil && callee.Pkg().Path() == simPath && callee.Type().(*types.Signature).Recv() == nil {
		p := &point{node: call, call: call}
		switch callee.Name() {
		case "Receive":
			p.kind = pReceive
		case "Send":
			p.kind = pSend
		case "SendError":
			p.kind = pSendError
		case "Next":
			p.kind = pNext
		default:
			return nil
		}
		if len(call.Args) >= 2 {
			p.ch = call.Args[1]
			p.elem = chanElem(info.TypeOf(p.ch))
		}
		if len(call.Args) == 3 {
			p.val = call.Args[2]
		}
		return p
	}
	if target := fn.g.byObj[callee]; target != nil {
		return &point{kind: pCall, node: call, call: call, callee: target}
	}
	return nil
}

// valuesLoop returns the suspension of `for v := range sim.Values(h, ch, errp)`, or nil.
func (fn *fnGen) valuesLoop(r *ast.RangeStmt) *point {
	call, ok := ast.Unparen(r.X).(*ast.CallExpr)
	if !ok {
		return nil
	}
	callee := calleeFunc(fn.g.info, call)
	if callee == nil || callee.Pkg() == nil || callee.Pkg().Path() != simPath || callee.Name() != "Values" || len(call.Args) != 3 {
		return nil
	}
	return &point{kind: pValues, node: r, call: call, ch: call.Args[1], errp: call.Args[2], elem: chanElem(fn.g.info.TypeOf(call.Args[1]))}
}

// nameIdents records every identifier name the function uses, so generated names avoid them.
func (fn *fnGen) nameIdents() {
	fn.names["f"], fn.names["t"] = true, true
	ast.Inspect(fn.decl, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			fn.names[n.Name] = true
		case *ast.LabeledStmt:
			fn.names[n.Label.Name] = true
		}
		return true
	})
}

// fresh returns a name based on base that the function does not use yet, and reserves it.
func (fn *fnGen) fresh(base string) string {
	name := base
	for i := 2; fn.names[name] || token.IsKeyword(name); i++ {
		name = base + strconv.Itoa(i)
	}
	fn.names[name] = true
	return name
}

// field returns a field name based on base that the frame does not have yet, and
// reserves it.
func (fn *fnGen) field(base string) string {
	base = exported(base)
	if base == "" || base == "_" {
		base = "V"
	}
	name := base
	for i := 2; fn.fields[name] || isResultField(name); i++ {
		name = base + strconv.Itoa(i)
	}
	fn.fields[name] = true
	return name
}

// resultIndex returns the index of v among the results that are frame fields (all but a
// trailing error), or -1: a named result is always a field of its own, so that the
// results keep their names in the frame (as a hand-written frame's Reply and OK do).
func (fn *fnGen) resultIndex(v *types.Var) int {
	res := fn.sig.Results()
	for i := range res.Len() {
		if res.At(i) == v && !(i == res.Len()-1 && isError(v.Type())) {
			return i
		}
	}
	return -1
}

// resultField returns the frame field that holds result i: the named result's own field,
// or R<i> for an unnamed one.
func (fn *fnGen) resultField(i int) string {
	v := fn.sig.Results().At(i)
	if l := fn.locals[v]; l != nil && l.field != "" {
		return l.field
	}
	return "R" + strconv.Itoa(i)
}

// typ returns the frame type as a receiver or a composite literal inside its own methods:
// the frame with its type parameters ("Ask[Q, R]") when the function is generic.
func (fn *fnGen) typ() string {
	tps := fn.sig.TypeParams()
	if tps.Len() == 0 {
		return fn.frame
	}
	names := make([]string, tps.Len())
	for i := range tps.Len() {
		names[i] = tps.At(i).Obj().Name()
	}
	return fn.frame + "[" + strings.Join(names, ", ") + "]"
}

// isResultField reports whether name is one of the result fields R0, R1, ...
func isResultField(name string) bool {
	n, err := strconv.Atoi(strings.TrimPrefix(name, "R"))
	return strings.HasPrefix(name, "R") && err == nil && n >= 0
}

// namePoints numbers the resume points: 0 is the start, then the suspensions in source
// order, each named after its call and its occurrence among calls of that name, or as a
// //stackworld:resume comment pins it.
func (fn *fnGen) namePoints() {
	fn.names[fn.startConst()] = true
	pins := fn.resumePins()
	count := map[string]int{}
	taken := map[string]bool{"start": true}
	for i, p := range fn.points {
		base := fn.pointBase(p)
		count[base]++
		p.name = base + "#" + strconv.Itoa(count[base])
		id := exported(base) + strconv.Itoa(count[base])
		if pin := fn.pinFor(pins, p); pin != "" {
			p.name, id = pin, exported(pin)
		}
		if p.name == "start" {
			fn.g.refuse(p.node.Pos(), "resume point name \"start\" is the start's (resume point 0): pin another name")
		} else if taken[p.name] {
			fn.g.refuse(p.node.Pos(), "resume point name %q is used twice in %s: pin another name (//stackworld:resume name)", p.name, fn.name)
		}
		taken[p.name] = true
		p.pc = i + 1
		p.konst = fn.fresh(unexported(fn.name) + id)
		p.label = fn.fresh(unexported(id))
	}
	for _, pin := range pins {
		if !pin.used {
			fn.g.refuse(pin.pos, "%s %s names no suspension: put it at the end of the suspending line or on the line above", ResumeMarker, pin.name)
		}
	}
}

// startConst names the constant of resume point 0.
func (fn *fnGen) startConst() string { return unexported(fn.name) + "Start" }

// ResumeMarker pins the name of a resume point: a comment `//stackworld:resume name` at
// the end of the line of a suspension, or on the line above it, names its resume point
// (instead of "Call#n"), so that a hand-written frame's saves keep loading when it becomes
// a marked function.
const ResumeMarker = "//stackworld:resume"

// A pin is a //stackworld:resume comment.
type pin struct {
	name string
	pos  token.Pos
	line int
	used bool
}

// resumePins returns the function's //stackworld:resume comments, in source order.
func (fn *fnGen) resumePins() []*pin {
	var pins []*pin
	for _, cg := range fn.file.Comments {
		if cg.End() < fn.decl.Body.Lbrace || cg.Pos() > fn.decl.Body.Rbrace {
			continue
		}
		for _, c := range cg.List {
			rest, ok := strings.CutPrefix(c.Text, ResumeMarker+" ")
			if !ok {
				continue
			}
			name := strings.TrimSpace(rest)
			if !token.IsIdentifier(name) {
				fn.g.refuse(c.Pos(), "%s %q: a resume point name must be an identifier", ResumeMarker, name)
				continue
			}
			pins = append(pins, &pin{name: name, pos: c.Pos(), line: fn.g.fset.Position(c.Pos()).Line})
		}
	}
	return pins
}

// pinFor returns the pinned name of p's resume point, or "".
func (fn *fnGen) pinFor(pins []*pin, p *point) string {
	line := fn.g.fset.Position(p.node.Pos()).Line
	for _, pn := range pins {
		if pn.line == line || pn.line == line-1 && !fn.suspensionOnLine(pn.line) {
			if pn.used {
				fn.g.refuse(pn.pos, "%s %s: more than one suspension on its line", ResumeMarker, pn.name)
			}
			pn.used = true
			return pn.name
		}
	}
	return ""
}

// suspensionOnLine reports whether a suspension starts on line.
func (fn *fnGen) suspensionOnLine(line int) bool {
	for _, p := range fn.points {
		if fn.g.fset.Position(p.node.Pos()).Line == line {
			return true
		}
	}
	return false
}

// pointBase names the operation of p: the method or function that suspends.
func (fn *fnGen) pointBase(p *point) string {
	switch p.kind {
	case pReceive:
		return "Receive"
	case pSend:
		return "Send"
	case pSendError:
		return "SendError"
	case pNext:
		return "Next"
	case pValues:
		return "Values"
	case pCall:
		return p.callee.name
	}
	if c, ok := ast.Unparen(p.await).(*ast.CallExpr); ok {
		switch f := ast.Unparen(c.Fun).(type) {
		case *ast.SelectorExpr:
			return f.Sel.Name
		case *ast.Ident:
			return f.Name
		}
	}
	return "Wait"
}

// nameLocals decides, for every variable of the function, whether it is a frame field:
// parameters always are, and a local is when its value may be read after a suspension
// (liveAcross). It collects the locals first (collectLocals), then decides (decideField).
func (fn *fnGen) nameLocals() {
	for _, p := range fn.params {
		fn.locals[p] = &local{v: p, param: true, field: fn.field(p.Name()), seq: len(fn.locals)}
	}
	fn.loops = fn.suspendingLoops()
	uses := fn.useSites()
	for _, d := range fn.collectLocals() {
		if d.v.Name() == "_" {
			continue
		}
		l := &local{v: d.v, seq: len(fn.locals)}
		fn.locals[d.v] = l
		fn.decideField(l, d.setFrom, uses[d.v])
	}
	fn.keepNames()
}

// A declared is a variable declared in the function, and where its value is set from.
type declared struct {
	v       *types.Var
	setFrom token.Pos
}

// suspendingLoops returns the for and range statements that contain a suspension, outside
// closures, in source order.
func (fn *fnGen) suspendingLoops() []ast.Node {
	var loops []ast.Node
	ast.Inspect(fn.decl.Body, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ForStmt, *ast.RangeStmt:
			if fn.suspendsIn(n) {
				loops = append(loops, n)
			}
		}
		return true
	})
	return loops
}

// useSites returns the positions where each variable is read or written in the function.
// The order of a variable's positions does not matter: callers only look for one after a
// given position.
func (fn *fnGen) useSites() map[*types.Var][]token.Pos {
	uses := map[*types.Var][]token.Pos{}
	for id, obj := range fn.g.info.Uses { // determinism: positions are only compared, never listed in order
		if v, ok := obj.(*types.Var); ok && id.Pos() >= fn.decl.Pos() && id.Pos() < fn.decl.End() {
			uses[v] = append(uses[v], id.Pos())
		}
	}
	return uses
}

// collectLocals returns the variables the function declares outside closures, in source
// order: named results, := and var declarations, range keys and values, and the implicit
// variable of each type switch clause.
func (fn *fnGen) collectLocals() []declared {
	info := fn.g.info
	var out []declared
	def := func(id *ast.Ident, setFrom token.Pos) {
		if v, ok := info.Defs[id].(*types.Var); ok {
			out = append(out, declared{v, setFrom})
		}
	}
	ast.Inspect(fn.decl, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.FuncType:
			if n.Results != nil {
				for _, f := range n.Results.List {
					for _, id := range f.Names {
						def(id, fn.decl.Body.Lbrace)
					}
				}
			}
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						def(id, n.End())
					}
				}
			}
		case *ast.ValueSpec:
			for _, id := range n.Names {
				def(id, n.End())
			}
		case *ast.RangeStmt:
			for _, e := range []ast.Expr{n.Key, n.Value} {
				if id, ok := e.(*ast.Ident); ok && n.Tok == token.DEFINE {
					def(id, n.Body.Lbrace+1) // set after the range's own suspension
				}
			}
		case *ast.TypeSwitchStmt:
			for _, cl := range n.Body.List {
				if v, ok := info.Implicits[cl].(*types.Var); ok {
					out = append(out, declared{v, cl.(*ast.CaseClause).Colon})
				}
			}
		}
		return true
	})
	return out
}

// decideField makes l a frame field when its value may be read after a suspension, or
// when it counts the iterations of a suspending range (see flatRange), and marks it inLoop
// when it is declared in a loop that suspends. It over-approximates liveness (it ignores
// reassignment), which is safe.
func (fn *fnGen) decideField(l *local, setFrom token.Pos, uses []token.Pos) {
	v := l.v
	scopeEnd := fn.decl.Body.End()
	if sc := v.Parent(); sc != nil && !isResult(fn.sig, v) {
		scopeEnd = sc.End()
	}
	if fn.resultIndex(v) >= 0 || fn.liveAcross(setFrom, scopeEnd, v.Pos(), uses) {
		l.field = fn.field(v.Name())
	}
	for _, loop := range fn.loops {
		if v.Pos() > loop.Pos() && v.Pos() < loop.End() {
			l.inLoop = true
		}
		if l.field == "" && fn.isRangeCounter(loop, v) {
			l.field = fn.field(v.Name())
		}
	}
}

// isRangeCounter reports whether v is the key of loop, a suspending range over an int or
// a slice that the body leaves alone, so that it can count the iterations.
func (fn *fnGen) isRangeCounter(loop ast.Node, v *types.Var) bool {
	r, ok := loop.(*ast.RangeStmt)
	if !ok || fn.pointAt[r] != nil || r.Tok != token.DEFINE {
		return false
	}
	key, ok := r.Key.(*ast.Ident)
	return ok && fn.g.info.Defs[key] == v && !fn.assignedIn(key, r.Body)
}

// keepNames gives the locals that are not fields their source names, unless generated
// code needs the name (f, the frame; t, the tasklet).
func (fn *fnGen) keepNames() {
	for _, l := range fn.sortedLocals() {
		if l.field != "" {
			continue
		}
		l.name = l.v.Name()
		if l.name == "f" || l.name == "t" {
			delete(fn.names, l.name)
			l.name = fn.fresh(l.name)
			fn.names["f"], fn.names["t"] = true, true
		}
	}
}

// sortedLocals returns the function's variables in declaration order.
func (fn *fnGen) sortedLocals() []*local {
	ls := make([]*local, 0, len(fn.locals))
	for _, l := range fn.locals { // determinism: sorted below
		ls = append(ls, l)
	}
	slices.SortFunc(ls, func(a, b *local) int { return cmp.Compare(a.seq, b.seq) })
	return ls
}

func isResult(sig *types.Signature, v *types.Var) bool {
	for i := range sig.Results().Len() {
		if sig.Results().At(i) == v {
			return true
		}
	}
	return false
}

// liveAcross reports whether a variable declared at decl (its value set from declEnd on),
// in scope until scopeEnd and used at uses, may be read after a suspension.
func (fn *fnGen) liveAcross(declEnd, scopeEnd, declPos token.Pos, uses []token.Pos) bool {
	for _, p := range fn.points {
		// Where the frame suspends: after the call's arguments are evaluated.
		at := p.node.End() - 1
		if p.kind == pValues {
			at = p.node.(*ast.RangeStmt).Body.Lbrace
		}
		if at < declEnd || at >= scopeEnd {
			continue
		}
		for _, u := range uses {
			if u > at {
				return true
			}
		}
	}
	for _, loop := range fn.loops {
		// Variables declared in a for statement's init live through all its iterations.
		inner := loop.Pos()
		if f, ok := loop.(*ast.ForStmt); ok && f.Init != nil {
			inner = f.Init.End()
		}
		if loop.Pos() < declPos && declPos < inner {
			declPos = loop.Pos() - 1 // as if declared just before the loop
		}
		if loop.Pos() < declPos || loop.End() > scopeEnd || (declPos > loop.Pos() && declPos < loop.End()) {
			continue
		}
		for _, u := range uses {
			if u > loop.Pos() && u < loop.End() {
				return true
			}
		}
	}
	return false
}

// suspendsIn reports whether n contains a suspension (outside closures).
func (fn *fnGen) suspendsIn(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(m ast.Node) bool {
		if found {
			return false
		}
		if _, ok := m.(*ast.FuncLit); ok {
			return false
		}
		if m != nil && fn.pointAt[m] != nil {
			found = true
		}
		return !found
	})
	return found
}

// check refuses what the generated frame could not do as the hard version does.
func (fn *fnGen) check() {
	g, info := fn.g, fn.g.info
	for _, l := range fn.locals {
		if l.field == "" {
			continue
		}
		if why := unsaveable(l.v.Type(), map[types.Type]bool{}); why != "" {
			what := "local"
			if l.param {
				what = "parameter"
			}
			g.refuse(l.v.Pos(), "%s %s (%s) lives across a suspension but persist cannot save it: %s", what, l.v.Name(), types.TypeString(l.v.Type(), shortQualifier(g.pkg.Types)), why)
		}
	}
	for i := range fn.sig.Results().Len() {
		r := fn.sig.Results().At(i)
		if why := unsaveable(r.Type(), map[types.Type]bool{}); why != "" && !(i == fn.sig.Results().Len()-1 && isError(r.Type())) {
			g.refuse(fn.decl.Pos(), "result %d of %s (%s) is a frame field but persist cannot save it: %s", i, fn.name, types.TypeString(r.Type(), shortQualifier(g.pkg.Types)), why)
		}
	}
	allowed := fn.allowedPoints()
	var walk func(n ast.Node, inLit *ast.FuncLit) bool
	walk = func(n ast.Node, inLit *ast.FuncLit) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			fn.checkClosure(n)
			ast.Inspect(n.Body, func(m ast.Node) bool { return walk(m, n) })
			return false
		case *ast.GoStmt:
			g.refuse(n.Pos(), "go statement: a goroutine runs outside the scheduler, so neither kind could order or save it")
		case *ast.SelectStmt:
			g.refuse(n.Pos(), "select on Go channels: a Go channel blocks the whole scheduler and cannot be saved (use sim channels)")
		case *ast.SendStmt:
			g.refuse(n.Pos(), "send on a Go channel: it blocks the whole scheduler and cannot be saved (use sim.Send)")
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				g.refuse(n.Pos(), "receive from a Go channel: it blocks the whole scheduler and cannot be saved (use sim.Receive)")
			}
		case *ast.BranchStmt:
			if n.Tok == token.GOTO {
				g.refuse(n.Pos(), "goto: not translated (use a labeled break or continue)")
			}
		case *ast.DeferStmt:
			if fn.suspends {
				g.refuse(n.Pos(), "defer in a function that suspends: a deferred call cannot be saved with the frame")
			}
		case *ast.RangeStmt:
			if fn.pointAt[n] == nil && fn.suspendsIn(n.Body) {
				fn.checkRange(n)
			}
		case *ast.ForStmt:
			if n.Post != nil && fn.suspendsIn(n.Post) || n.Cond != nil && fn.suspendsIn(n.Cond) {
				g.refuse(n.Pos(), "suspension in a loop's condition or post statement: write it as a statement of the body")
			}
		case *ast.IfStmt:
			if fn.suspendsIn(n.Cond) {
				g.refuse(n.Cond.Pos(), "suspension in a condition: assign its result first (`err := ...; if err != nil`)")
			}
		case *ast.SwitchStmt:
			if n.Tag != nil && fn.suspendsIn(n.Tag) {
				g.refuse(n.Tag.Pos(), "suspension in a switch tag: assign its result first")
			}
		case *ast.CallExpr:
			fn.checkCall(n, allowed, inLit)
		case *ast.Ident:
			fn.checkTaskletUse(n)
		}
		return true
	}
	ast.Inspect(fn.decl.Body, func(n ast.Node) bool { return walk(n, nil) })
	if fn.suspends {
		ast.Inspect(fn.decl.Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && id.Name == "recover" {
					if _, ok := info.Uses[id].(*types.Builtin); ok {
						g.refuse(call.Pos(), "recover in a function that suspends: a panic cannot be saved with the frame")
					}
				}
			}
			return true
		})
	}
}

// allowedPoints returns the suspensions written in a shape the generator translates: a
// statement of their own, the right side of an assignment or definition, a return's only
// value, or the init statement of an if or switch (which is a statement of its own).
func (fn *fnGen) allowedPoints() map[ast.Node]bool {
	ok := map[ast.Node]bool{}
	ast.Inspect(fn.decl.Body, func(n ast.Node) bool {
		var e ast.Expr
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ExprStmt:
			e = n.X
		case *ast.AssignStmt:
			if len(n.Rhs) == 1 && (n.Tok == token.DEFINE || n.Tok == token.ASSIGN) {
				e = n.Rhs[0]
			}
		case *ast.ReturnStmt:
			if len(n.Results) == 1 {
				e = n.Results[0]
			}
		case *ast.ValueSpec:
			if len(n.Values) == 1 {
				e = n.Values[0]
			}
		}
		if call, isCall := ast.Unparen(e).(*ast.CallExpr); isCall && fn.pointAt[call] != nil {
			ok[call] = true
		}
		return true
	})
	return ok
}

// checkCall refuses suspensions in shapes not translated, and calls that hand the tasklet
// to code that could block without the generator seeing it.
func (fn *fnGen) checkCall(call *ast.CallExpr, allowed map[ast.Node]bool, inLit *ast.FuncLit) {
	g, info := fn.g, fn.g.info
	if p := fn.pointAt[call]; p != nil {
		switch {
		case inLit != nil:
			g.refuse(call.Pos(), "suspension in a closure: a closure's state cannot be saved (make it a marked function)")
		case !allowed[call]:
			g.refuse(call.Pos(), "suspension inside an expression: write it as a statement of its own (`v, err := ...`)")
		}
		return
	}
	if isSimNamed(info.TypeOf(call), "Await") {
		if !fn.isWaited(call) {
			g.refuse(call.Pos(), "an Await that is not waited at once: call .Wait() on it in the same statement")
		}
		return
	}
	callee := calleeFunc(info, call)
	if callee != nil && callee.Pkg() != nil && callee.Pkg().Path() == simPath {
		switch callee.Name() {
		case "Values":
			if !fn.isRangeOf(call) {
				g.refuse(call.Pos(), "sim.Values outside a range statement: range over it directly (`for v := range sim.Values(h, ch, &err)`)")
			}
		case "SendSequence":
			g.refuse(call.Pos(), "sim.SendSequence: its iterator cannot be saved (send in a loop)")
		}
		return
	}
	if callee != nil && (g.byObj[callee] != nil || nonBlocking[callee.FullName()]) {
		return
	}
	for _, a := range call.Args {
		if !fn.isTasklet(a) {
			continue
		}
		switch {
		case callee == nil:
			g.refuse(a.Pos(), "the tasklet is passed to a function value: it could block where the frame cannot suspend (call a marked function by name)")
		case callee.Pkg() != g.pkg.Types && g.markedAt(callee.Pos()):
			g.refuse(a.Pos(), "the tasklet is passed to %s.%s, a marked function of another package: calls across packages are not translated yet (mark a function of this package that does the same)", callee.Pkg().Name(), callee.Name())
		default:
			g.refuse(a.Pos(), "the tasklet is passed to %s, which is not marked //stackworld:tasklet: it could block where the frame cannot suspend (mark it)", callee.Name())
		}
	}
}

// markedAt reports whether the function declared at pos (in any package whose source is
// on disk) has the marker line in its doc comment.
func (g *pkgGen) markedAt(pos token.Pos) bool {
	p := g.fset.Position(pos)
	data, err := os.ReadFile(p.Filename)
	if err != nil || p.Line < 2 {
		return false
	}
	lines := strings.Split(string(data), "\n")
	for i := min(p.Line, len(lines)) - 2; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "//") {
			return false
		}
		if rest, ok := strings.CutPrefix(l, Marker); ok && (rest == "" || rest[0] == ' ') {
			return true
		}
	}
	return false
}

// nonBlocking are functions outside package sim that take a tasklet and never block, so
// a marked function may pass them its tasklet.
var nonBlocking = map[string]bool{
	"github.com/stackworld/stackworld/world.Of": true,
}

// isWaited reports whether call is X in X.Wait() (a suspension).
func (fn *fnGen) isWaited(call *ast.CallExpr) bool {
	for _, p := range fn.points {
		if p.kind == pWait && ast.Unparen(p.await) == call {
			return true
		}
	}
	return false
}

// isRangeOf reports whether call is the range expression of a sim.Values loop.
func (fn *fnGen) isRangeOf(call *ast.CallExpr) bool {
	for _, p := range fn.points {
		if p.kind == pValues && p.call == call {
			return true
		}
	}
	return false
}

// checkTaskletUse refuses uses of the tasklet other than as a call's receiver or argument.
func (fn *fnGen) checkTaskletUse(id *ast.Ident) {
	if fn.g.info.Uses[id] != fn.h {
		return
	}
	ok := false
	ast.Inspect(fn.decl.Body, func(n ast.Node) bool {
		if ok {
			return false
		}
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if n.X == id {
				ok = true
			}
		case *ast.CallExpr:
			for _, a := range n.Args {
				if a == id {
					ok = true
				}
			}
		}
		return !ok
	})
	if !ok {
		fn.g.refuse(id.Pos(), "the tasklet %s is used as a value: the frame's tasklet changes when it is loaded (pass it to calls only)", id.Name)
	}
}

// checkClosure refuses closures that capture a local living across a suspension, or one
// declared in a loop that suspends (hoisted, it would be one variable for all iterations).
func (fn *fnGen) checkClosure(lit *ast.FuncLit) {
	info := fn.g.info
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok {
			return true
		}
		v, _ := info.Uses[id].(*types.Var)
		if v == nil || v.Pos() >= lit.Pos() && v.Pos() < lit.End() {
			return true
		}
		if v == fn.h {
			fn.g.refuse(id.Pos(), "a closure captures the tasklet %s: it could block where the frame cannot suspend", id.Name)
			return true
		}
		l := fn.locals[v]
		switch {
		case l == nil:
		case l.field != "":
			fn.g.refuse(id.Pos(), "a closure captures %s, which lives across a suspension: the closure cannot be saved with it", id.Name)
		case l.inLoop:
			fn.g.refuse(id.Pos(), "a closure captures %s, declared in a loop that suspends: not translated (pass it as an argument)", id.Name)
		}
		return true
	})
}

// checkRange refuses loops whose iteration state cannot be saved.
func (fn *fnGen) checkRange(r *ast.RangeStmt) {
	t := fn.g.info.TypeOf(r.X)
	switch u := t.Underlying().(type) {
	case *types.Basic:
		if u.Info()&(types.IsInteger|types.IsString) != 0 {
			return
		}
		fn.g.refuse(r.Pos(), "range over a %s around a suspension: not translated (range over an int, a string or a slice)", t)
	case *types.Slice, *types.Array:
		return
	case *types.Map:
		fn.g.refuse(r.Pos(), "range over a map around a suspension: its order is random and its iterator cannot be saved (range over sorted keys)")
	case *types.Chan:
		fn.g.refuse(r.Pos(), "range over a Go channel: it blocks the whole scheduler and cannot be saved (use sim.Values)")
	default:
		fn.g.refuse(r.Pos(), "range over %s around a suspension: its iterator cannot be saved (range over an int, a slice or sim.Values)", t)
	}
}

// isTasklet reports whether e is the tasklet parameter.
func (fn *fnGen) isTasklet(e ast.Expr) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && fn.g.info.Uses[id] == fn.h
}

// ---- small helpers ----

// shortQualifier names other packages by their names, for messages.
func shortQualifier(self *types.Package) types.Qualifier {
	return func(p *types.Package) string {
		if p == self {
			return ""
		}
		return p.Name()
	}
}

func calleeFunc(info *types.Info, call *ast.CallExpr) *types.Func {
	id := calleeIdent(call)
	if id == nil {
		return nil
	}
	obj, _ := info.Uses[id].(*types.Func)
	if obj != nil {
		return obj.Origin()
	}
	return nil
}

// calleeIdent returns the name a call calls (f, pkg.f, f[T] or pkg.f[T, U]), or nil.
func calleeIdent(call *ast.CallExpr) *ast.Ident {
	fun := ast.Unparen(call.Fun)
	if ix, ok := fun.(*ast.IndexExpr); ok {
		fun = ix.X
	}
	if ix, ok := fun.(*ast.IndexListExpr); ok {
		fun = ix.X
	}
	var id *ast.Ident
	switch f := fun.(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	default:
		return nil
	}
	return id
}

func isSimNamed(t types.Type, name string) bool {
	if t == nil {
		return false
	}
	if a, ok := t.(*types.Alias); ok {
		t = types.Unalias(a)
	}
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == simPath && n.Obj().Name() == name
}

func isTasklet(t types.Type) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	return ok && isSimNamed(p.Elem(), "Tasklet")
}

func isError(t types.Type) bool {
	return types.Identical(t, types.Universe.Lookup("error").Type())
}

// chanElem returns V of sim.Chan[V], or nil.
func chanElem(t types.Type) types.Type {
	if t == nil {
		return nil
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || !isSimNamed(n, "Chan") || n.TypeArgs().Len() != 1 {
		return nil
	}
	return n.TypeArgs().At(0)
}

// regPrefix is the package part of registered names: the package's name, or the last
// element of its path for a command.
func regPrefix(g *pkgGen) string {
	if g.pkg.Name == "main" {
		return lastElem(g.pkg.PkgPath)
	}
	return g.pkg.Name
}

// initialisms are written in capitals when a name starts with them (Go's naming rule).
var initialisms = map[string]bool{"id": true, "ok": true, "url": true, "http": true, "json": true, "api": true, "ip": true, "rpc": true, "npc": true, "xp": true, "hp": true}

func exported(s string) string {
	if s == "" {
		return s
	}
	if initialisms[s] {
		return strings.ToUpper(s)
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

func unexported(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	if strings.ToUpper(s) == s { // ID → id
		return strings.ToLower(s)
	}
	r[0] = unicode.ToLower(r[0])
	return string(r)
}
