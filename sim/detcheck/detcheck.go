// Package detcheck finds source constructs that make a Stackworld simulation
// non-deterministic: reading the wall clock, package-level (unseeded) random
// numbers, go statements and iteration over maps.
//
// It is the team rule "same seed + same inputs ⇒ same bytes" made a check, and
// it uses only the standard library. A core package calls it from a test:
//
//	func TestDeterministicSource(t *testing.T) {
//		detcheck.AssertDeterministic(t, ".")
//	}
//
// A line that is deterministic for a reason the checker cannot see explains
// itself with a comment on the same line or the line above:
//
//	for id := range s.byID { // determinism: only counts, order cannot matter
//
// The comment must contain "determinism:" followed by a reason; an empty
// reason does not suppress the finding.
//
// What is checked: the non-test .go files of one directory that the current
// platform's default build context selects (as go vet sees the package; files
// excluded by build constraints, including //go:build ignore, are skipped).
// The package is fully type-checked, so aliases, dot imports, named map types
// and type parameters constrained to maps are resolved. Types of imported
// packages come from their compiled export data, found with one
// "go list -export" call; the go command must be on PATH, as it is under
// "go test". Cost: one go list call (about 0.1 s with a warm build cache) plus
// parsing and type-checking the package itself.
package detcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Rules reported in Finding.Rule.
const (
	// RuleWallClock: a function of package time that reads or waits on the
	// wall clock (time.Now, time.Since, time.Sleep, timers and tickers).
	RuleWallClock = "wall-clock"
	// RuleGlobalRand: a package-level function of math/rand or math/rand/v2
	// (the global, unseeded source) or of crypto/rand. Constructors such as
	// rand.New and rand.NewPCG, and methods of a seeded *rand.Rand, are fine.
	RuleGlobalRand = "global-rand"
	// RuleGoStmt: a go statement; the Go scheduler, not the ring, would
	// decide the order.
	RuleGoStmt = "go-stmt"
	// RuleMapRange: a range over a map (or over maps.Keys, maps.Values,
	// maps.All of one), or reflect.Value.MapKeys/MapRange, whose order is
	// random.
	RuleMapRange = "map-range"
)

// A Finding is one construct that can make a run non-deterministic.
type Finding struct {
	Pos  token.Position // file (as joined with the dir given to CheckDir), line, column
	Rule string         // one of the Rule constants
	Text string         // what was found, e.g. "map range over w.cells"
}

// String formats f as "file:line: text (add "// determinism: <why>" if ...)",
// the way compilers print errors, so editors can jump to it.
func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s (add \"// determinism: <why>\" if %s)",
		f.Pos.Filename, f.Pos.Line, f.Text, excuse(f.Rule))
}

// excuse names the condition under which a suppression comment is justified.
func excuse(rule string) string {
	switch rule {
	case RuleMapRange:
		return "the order cannot matter"
	case RuleGoStmt:
		return "the goroutine cannot affect the world's order or state"
	default:
		return "the value cannot reach the world's state"
	}
}

// wallClock lists the functions of package time that read or wait on the wall
// clock. time.Duration arithmetic, time.Unix and friends are pure and allowed.
var wallClock = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true,
	"After": true, "AfterFunc": true, "Tick": true,
	"NewTimer": true, "NewTicker": true,
}

// randPackages are the packages whose package-level functions (other than
// constructors named New*) draw from a source the world does not seed or save.
var randPackages = map[string]bool{
	"math/rand":    true,
	"math/rand/v2": true,
	"crypto/rand":  true,
}

// CheckDir type-checks the package in dir and returns its findings sorted by
// file, line and column, without the suppressed ones. It returns an error if
// dir holds no buildable non-test Go files or the package does not type-check
// (then nothing could be said about map ranges, so no partial result is given).
func CheckDir(dir string) ([]Finding, error) {
	bp, err := build.Default.ImportDir(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("detcheck: %s: %w", dir, err)
	}
	names := slices.Concat(bp.GoFiles, bp.CgoFiles)
	if len(names) == 0 {
		// A directory with only _test.go files (or only cgo files, cgo disabled).
		return nil, fmt.Errorf("detcheck: %s: no buildable non-test Go files", dir)
	}

	fset := token.NewFileSet()
	files := make([]*ast.File, 0, len(names))
	for _, name := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil,
			parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("detcheck: %w", err)
		}
		files = append(files, f)
	}

	imp, err := newExportImporter(fset, dir, bp.Imports)
	if err != nil {
		return nil, err
	}
	var typeErrs []error
	conf := types.Config{
		Importer:    imp,
		FakeImportC: true,
		Error:       func(err error) { typeErrs = append(typeErrs, err) },
	}
	info := &types.Info{
		Types: make(map[ast.Expr]types.TypeAndValue),
		Uses:  make(map[*ast.Ident]types.Object),
	}
	conf.Check(bp.Name, fset, files, info) // errors are collected by conf.Error
	if len(typeErrs) > 0 {
		more := ""
		if len(typeErrs) > 1 {
			more = fmt.Sprintf(" (and %d more errors)", len(typeErrs)-1)
		}
		return nil, fmt.Errorf("detcheck: type-check %s: %w%s (the package must compile to be checked)",
			dir, typeErrs[0], more)
	}

	var findings []Finding
	for _, f := range files {
		findings = append(findings, checkFile(fset, f, info)...)
	}
	slices.SortFunc(findings, func(a, b Finding) int {
		if c := strings.Compare(a.Pos.Filename, b.Pos.Filename); c != 0 {
			return c
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		if a.Pos.Column != b.Pos.Column {
			return a.Pos.Column - b.Pos.Column
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	return findings, nil
}

// AssertDeterministic fails t, listing every finding, if CheckDir(dir) reports
// any finding or an error. Call it from a test of the package to check:
// detcheck.AssertDeterministic(t, ".").
func AssertDeterministic(t testing.TB, dir string) {
	t.Helper()
	findings, err := CheckDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "detcheck: %d non-deterministic construct(s) in %s:", len(findings), dir)
	for _, f := range findings {
		b.WriteString("\n\t")
		b.WriteString(f.String())
	}
	t.Error(b.String())
}

// checkFile walks one type-checked file.
func checkFile(fset *token.FileSet, f *ast.File, info *types.Info) []Finding {
	excused := excusedLines(fset, f)
	var out []Finding
	report := func(pos token.Pos, rule, text string) {
		p := fset.Position(pos)
		if excused[p.Line] || excused[p.Line-1] {
			return
		}
		out = append(out, Finding{Pos: p, Rule: rule, Text: text})
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n.Go, RuleGoStmt, "go statement: the Go scheduler would decide the order")
		case *ast.RangeStmt:
			if text, ok := mapRange(n.X, info); ok {
				report(n.For, RuleMapRange, text)
			}
		case *ast.Ident:
			if rule, text, ok := useFinding(info.Uses[n]); ok {
				report(n.Pos(), rule, text)
			}
		}
		return true
	})
	return out
}

// useFinding classifies a used object: a wall-clock function, a global random
// function, or a reflect method that yields map keys in random order.
// References count as well as calls (f := time.Now reads the clock later).
func useFinding(obj types.Object) (rule, text string, ok bool) {
	fn, isFunc := obj.(*types.Func)
	if !isFunc || fn.Pkg() == nil {
		return "", "", false
	}
	path, name := fn.Pkg().Path(), fn.Name()
	recv := fn.Type().(*types.Signature).Recv()
	switch {
	case recv == nil && path == "time" && wallClock[name]:
		return RuleWallClock, fmt.Sprintf("time.%s reads the wall clock; use ticks or an injected clock", name), true
	case recv == nil && randPackages[path] && !strings.HasPrefix(name, "New"):
		return RuleGlobalRand, fmt.Sprintf("%s.%s uses a global, unseeded source; use the world's seeded *rand.Rand", path, name), true
	case recv != nil && path == "reflect" && (name == "MapKeys" || name == "MapRange"):
		return RuleMapRange, fmt.Sprintf("reflect.Value.%s yields map entries in random order; sort the keys", name), true
	}
	return "", "", false
}

// mapRange reports whether ranging over x visits a map in random order: x is
// a map (possibly named, or a type parameter constrained to maps), or a direct
// call of maps.Keys, maps.Values or maps.All.
func mapRange(x ast.Expr, info *types.Info) (string, bool) {
	if isMapType(info.Types[x].Type) {
		return "map range over " + shortExpr(x), true
	}
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok {
		return "", false
	}
	fun := ast.Unparen(call.Fun)
	if ix, ok := fun.(*ast.IndexExpr); ok { // maps.Keys[M](m)
		fun = ix.X
	} else if ix, ok := fun.(*ast.IndexListExpr); ok { // maps.Keys[M, K](m)
		fun = ix.X
	}
	var id *ast.Ident
	switch fun := fun.(type) {
	case *ast.Ident:
		id = fun
	case *ast.SelectorExpr:
		id = fun.Sel
	default:
		return "", false
	}
	fn, ok := info.Uses[id].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "maps" {
		return "", false
	}
	switch fn.Name() {
	case "Keys", "Values", "All":
		return "map range over " + shortExpr(x), true
	}
	return "", false
}

// isMapType reports whether t is a map, or a type parameter every type of
// whose type set is a map.
func isMapType(t types.Type) bool {
	if t == nil {
		return false
	}
	if tp, ok := types.Unalias(t).(*types.TypeParam); ok {
		return constraintIsMap(tp.Constraint())
	}
	_, ok := t.Underlying().(*types.Map)
	return ok
}

// constraintIsMap reports whether a type parameter constraint admits only maps
// (e.g. ~map[K]V, or an interface embedding such a union).
func constraintIsMap(c types.Type) bool {
	iface, ok := c.Underlying().(*types.Interface)
	if !ok {
		return false
	}
	found := false
	for i := range iface.NumEmbeddeds() {
		switch e := iface.EmbeddedType(i).(type) {
		case *types.Union:
			for j := range e.Len() {
				if _, ok := e.Term(j).Type().Underlying().(*types.Map); !ok {
					return false
				}
			}
			found = true
		default:
			if _, ok := e.Underlying().(*types.Map); ok {
				found = true
			} else if _, ok := e.Underlying().(*types.Interface); ok && constraintIsMap(e) {
				found = true
			}
		}
	}
	return found
}

// shortExpr renders x for a message, cut to a readable length.
func shortExpr(x ast.Expr) string {
	const maxLen = 48
	s := types.ExprString(x)
	if len(s) > maxLen {
		s = s[:maxLen-3] + "..."
	}
	return s
}

// excusedLines returns the lines covered by a comment with a non-empty
// "determinism:" reason.
func excusedLines(fset *token.FileSet, f *ast.File) map[int]bool {
	lines := make(map[int]bool)
	for _, group := range f.Comments {
		for _, c := range group.List {
			_, reason, ok := strings.Cut(c.Text, "determinism:")
			reason = strings.TrimSuffix(strings.TrimSpace(reason), "*/")
			if !ok || strings.TrimSpace(reason) == "" {
				continue
			}
			for l := fset.Position(c.Pos()).Line; l <= fset.Position(c.End()).Line; l++ {
				lines[l] = true
			}
		}
	}
	return lines
}

// newExportImporter returns an importer that reads the compiled export data
// of the packages dir imports, located with one "go list -export -deps" call
// run in dir (so dir's module, and its go.mod versions, decide what an import
// path means).
func newExportImporter(fset *token.FileSet, dir string, imports []string) (types.Importer, error) {
	var paths []string
	for _, p := range imports {
		if p != "C" && p != "unsafe" {
			paths = append(paths, p)
		}
	}
	exports := make(map[string]string) // import path -> export data file
	if len(paths) > 0 {
		args := append([]string{"list", "-e", "-export", "-deps", "-json=ImportPath,Export,Error"}, paths...)
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("detcheck: go list -export in %s: %v: %s", dir, err, strings.TrimSpace(stderr.String()))
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		for {
			var p struct {
				ImportPath string
				Export     string
				Error      *struct{ Err string }
			}
			if err := dec.Decode(&p); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("detcheck: go list -export in %s: %w", dir, err)
			}
			if p.Error != nil && slices.Contains(paths, p.ImportPath) {
				return nil, fmt.Errorf("detcheck: %s: import %q: %s", dir, p.ImportPath, p.Error.Err)
			}
			if p.Export != "" {
				exports[p.ImportPath] = p.Export
			}
		}
	}
	lookup := func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %q (go list -export did not report it)", path)
		}
		return os.Open(file)
	}
	return importer.ForCompiler(fset, "gc", lookup), nil
}
