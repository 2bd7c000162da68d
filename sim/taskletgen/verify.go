package taskletgen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"sync"

	"golang.org/x/tools/go/packages"
)

// verify type-checks the package with the generated files in place of the old ones, so
// that Generate never writes code that does not compile: a failure is a refusal saying
// so (a bug of the generator, with the compiler's message). Errors that tolerated excuses
// are not failures: they name frames of other packages of the run, which are written
// beside these.
func verify(p *packages.Package, files []File, tolerated func(msg string) bool) Refusals {
	fset := token.NewFileSet()
	gen := map[string]bool{}
	var syntax []*ast.File
	for _, f := range files {
		gen[f.Path] = true
		af, err := parser.ParseFile(fset, f.Path, f.Content, parser.SkipObjectResolution)
		if err != nil {
			return Refusals{{Pos: token.Position{Filename: f.Path}, Msg: "internal error: generated code does not parse: " + err.Error()}}
		}
		syntax = append(syntax, af)
	}
	for _, f := range p.Syntax {
		name := p.Fset.File(f.Pos()).Name()
		if gen[name] || isGenerated(name) {
			continue
		}
		// Re-parse: the generator's printing rewrote parts of the loaded syntax trees.
		af, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			return Refusals{{Pos: token.Position{Filename: name}, Msg: "does not parse: " + err.Error()}}
		}
		syntax = append(syntax, af)
	}
	var first error
	conf := types.Config{Importer: importsOf(p, fset), Error: func(err error) {
		if te, ok := err.(types.Error); ok && tolerated(te.Msg) {
			return
		}
		if first == nil {
			first = err
		}
	}}
	conf.Check(p.PkgPath, fset, syntax, nil)
	if first == nil {
		return nil
	}
	pos := token.Position{}
	if te, ok := first.(types.Error); ok {
		pos = te.Fset.Position(te.Pos)
	}
	return Refusals{{Pos: pos, Msg: fmt.Sprintf("internal error: the generated code does not compile (please report it): %v", first)}}
}

// importsOf returns an importer that serves p's imports as loaded, and others from source.
func importsOf(p *packages.Package, fset *token.FileSet) types.Importer {
	m := map[string]*types.Package{}
	for _, imp := range p.Types.Imports() {
		m[imp.Path()] = imp
	}
	return importerFunc(func(path string) (*types.Package, error) {
		if pkg, ok := m[path]; ok {
			return pkg, nil
		}
		fallback.Lock()
		defer fallback.Unlock()
		dir := dirOf(p)
		imp := fallback.imps[dir]
		if imp == nil {
			imp = newExportImporter(token.NewFileSet(), dir)
			fallback.imps[dir] = imp
		}
		pkg, err := imp.Import(path)
		if err == nil {
			m[path] = pkg
		}
		return pkg, err
	})
}

// fallback imports what a package does not import itself (persist, for the Register
// calls) from export data, listed from the package's directory (the go command resolves
// imports from there): one importer per directory and process, which caches what it
// loaded.
var fallback = struct {
	sync.Mutex
	imps map[string]types.Importer
}{imps: map[string]types.Importer{}}

// dirOf returns the directory of p's files, where the go command resolves its imports
// ("" when p has no files on disk).
func dirOf(p *packages.Package) string {
	if len(p.GoFiles) > 0 {
		return filepath.Dir(p.GoFiles[0])
	}
	return ""
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
