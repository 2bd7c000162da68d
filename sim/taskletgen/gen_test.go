package taskletgen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stackworld/stackworld/sim/taskletgen/internal/randprog"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/packages"
)

// The in-process path: a package of one file, type-checked with a shared source
// importer, generated without the go command (fast enough for tables and fuzzing).

var (
	srcMu      sync.Mutex
	srcFset    = token.NewFileSet()
	srcImp     = newExportImporter(srcFset, "") // the test's directory, in this module
	srcListed  bool
	srcListErr error
)

// genSource generates the frames of a package whose only file is src (written under dir).
// ok is false when src itself does not parse or type-check.
func genSource(dir, src string) (files []File, err error, ok bool) {
	srcMu.Lock()
	defer srcMu.Unlock()
	if !srcListed {
		// What the test sources import, in one go command (export data from the build cache).
		srcListed = true
		srcListErr = srcImp.Prefetch("errors", "fmt", "os", "path/filepath", "runtime", "strings", simPath,
			"github.com/stackworld/stackworld/persist")
	}
	if srcListErr != nil {
		return nil, srcListErr, true
	}
	return genSourceLocked(dir, src)
}

func genSourceLocked(dir, src string) (files []File, err error, ok bool) {
	path := filepath.Join(dir, "x.go")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		panic(err)
	}
	f, perr := parser.ParseFile(srcFset, path, src, parser.ParseComments|parser.SkipObjectResolution)
	if perr != nil {
		return nil, nil, false
	}
	info := &types.Info{
		Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{},
		Implicits: map[ast.Node]types.Object{}, Scopes: map[ast.Node]*types.Scope{}, Selections: map[*ast.SelectorExpr]*types.Selection{},
		Instances: map[*ast.Ident]types.Instance{},
	}
	var errs []packages.Error
	conf := types.Config{Importer: srcImp, Error: func(err error) {
		if te, ok := err.(types.Error); ok {
			errs = append(errs, packages.Error{Pos: te.Fset.Position(te.Pos).String(), Msg: te.Msg, Kind: packages.TypeError})
		}
	}}
	tp, _ := conf.Check("example.com/x", srcFset, []*ast.File{f}, info)
	if tp == nil || len(errs) > 0 && !strings.Contains(src, Marker) {
		return nil, nil, false
	}
	p := &packages.Package{Name: f.Name.Name, PkgPath: "example.com/x", Fset: srcFset, Syntax: []*ast.File{f}, Types: tp, TypesInfo: info, Errors: errs}
	files, rs := generatePackage(p)
	if len(rs) > 0 {
		for i := range rs {
			rs[i].Pos.Filename = filepath.Base(rs[i].Pos.Filename)
		}
		return nil, rs, true
	}
	return files, nil, true
}

const prelude = `package x

import (
	"errors"
	"fmt"

	"github.com/stackworld/stackworld/sim"
)

var _ = errors.New
var _ = fmt.Sprint
var _ sim.PC

`

// TestRefusals: what cannot be translated faithfully is refused, with file:line, what and
// why; nothing is generated.
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, body, want string }{
		{"go", `func f(h *sim.Tasklet) { go func() {}() }`,
			"x.go:15: go statement: a goroutine runs outside the scheduler, so neither kind could order or save it"},
		{"select", `func f(h *sim.Tasklet, c chan int) { select { case <-c: } }`,
			"x.go:15: parameter c (chan int) lives across a suspension but persist cannot save it: it is a Go channel (use a sim.Chan)\n" +
				"x.go:15: select on Go channels: a Go channel blocks the whole scheduler and cannot be saved (use sim channels)\n" +
				"x.go:15: receive from a Go channel: it blocks the whole scheduler and cannot be saved (use sim.Receive)"},
		{"defer", "func f(h *sim.Tasklet) {\n\tdefer fmt.Println()\n\th.Schedule().Wait()\n}",
			"x.go:16: defer in a function that suspends: a deferred call cannot be saved with the frame"},
		{"recover", "func f(h *sim.Tasklet) {\n\t_ = recover()\n\th.Schedule().Wait()\n}",
			"x.go:16: recover in a function that suspends: a panic cannot be saved with the frame"},
		{"closure", "func f(h *sim.Tasklet) {\n\tn := 1\n\th.Schedule().Wait()\n\tg := func() int { return n }\n\t_ = g()\n}",
			"x.go:18: a closure captures n, which lives across a suspension: the closure cannot be saved with it"},
		{"func local", "func f(h *sim.Tasklet) {\n\tg := func() {}\n\th.Schedule().Wait()\n\tg()\n}",
			"x.go:16: local g (func()) lives across a suspension but persist cannot save it: it is a func"},
		{"tasklet local", "func f(h *sim.Tasklet, s *sim.Scheduler) {\n\th.Schedule().Wait()\n}",
			"x.go:15: parameter s (*sim.Scheduler) lives across a suspension but persist cannot save it: it points to live scheduler state (hold an id instead)"},
		{"nested", "func f(h *sim.Tasklet, c sim.Chan[int]) {\n\tfmt.Println(sim.Receive(h, c))\n}",
			"x.go:16: suspension inside an expression: write it as a statement of its own (`v, err := ...`)"},
		{"map range", "func f(h *sim.Tasklet, m map[string]int) {\n\tfor range m {\n\t\th.Schedule().Wait()\n\t}\n}",
			"x.go:16: range over a map around a suspension: its order is random and its iterator cannot be saved (range over sorted keys)"},
		{"unmarked", "func f(h *sim.Tasklet) {\n\tg(h)\n}\n\nfunc g(h *sim.Tasklet) {}",
			"x.go:16: the tasklet is passed to g, which is not marked //stackworld:tasklet: it could block where the frame cannot suspend (mark it)"},
		{"func value", "func f(h *sim.Tasklet) {\n\tg := func(*sim.Tasklet) {}\n\tg(h)\n}",
			"x.go:17: the tasklet is passed to a function value: it could block where the frame cannot suspend (call a marked function by name)"},
		{"goto", "func f(h *sim.Tasklet) {\nL:\n\tgoto L\n}",
			"x.go:17: goto: not translated (use a labeled break or continue)"},
		{"first param", "func f(n int) {}",
			"x.go:15: f's first parameter must be the tasklet (h *sim.Tasklet): it is what blocks"},
		{"go chan", "func f(h *sim.Tasklet, c chan int) { c <- 1 }",
			"x.go:15: parameter c (chan int) lives across a suspension but persist cannot save it: it is a Go channel (use a sim.Chan)\n" +
				"x.go:15: send on a Go channel: it blocks the whole scheduler and cannot be saved (use sim.Send)"},
		{"await kept", "func f(h *sim.Tasklet) {\n\ta := h.Schedule()\n\t_ = a\n}",
			"x.go:16: an Await that is not waited at once: call .Wait() on it in the same statement"},
		{"pin without suspension", "func f(h *sim.Tasklet) {\n\t//stackworld:resume nap\n\tfmt.Println()\n}",
			"x.go:16: //stackworld:resume nap names no suspension: put it at the end of the suspending line or on the line above"},
		{"pin twice", "func f(h *sim.Tasklet) {\n\th.Schedule().Wait() //stackworld:resume nap\n\th.Schedule().Wait() //stackworld:resume nap\n}",
			"x.go:17: resume point name \"nap\" is used twice in f: pin another name (//stackworld:resume name)"},
		{"pin start", "func f(h *sim.Tasklet) {\n\th.Schedule().Wait() //stackworld:resume start\n}",
			"x.go:16: resume point name \"start\" is the start's (resume point 0): pin another name"},
		{"pin not a name", "func f(h *sim.Tasklet) {\n\th.Schedule().Wait() //stackworld:resume a-b\n}",
			"x.go:16: //stackworld:resume \"a-b\": a resume point name must be an identifier"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := prelude + "//stackworld:tasklet\n" + c.body + "\n"
			files, err, ok := genSource(dir, src)
			require.True(t, ok, "the case does not type-check:\n%s", src)
			require.Nil(t, files)
			require.EqualError(t, err, c.want)
		})
	}
}

// TestMarkerSettings: frame= and name= on the marker line name the frame type and its
// registered name, //stackworld:resume comments name resume points (the others keep their
// names), and an unknown setting is refused.
func TestMarkerSettings(t *testing.T) {
	src := prelude + `//stackworld:tasklet frame=Guard name=npc.Guard
func guard(h *sim.Tasklet, n int) error {
	for range n {
		if err := h.Sleep(2).Wait(); err != nil {
			return err
		}
		//stackworld:resume tick
		if err := h.NextTick().Wait(); err != nil {
			return err
		}
	}
	return nil
}
`
	files, err, ok := genSource(t.TempDir(), src)
	require.True(t, ok)
	require.NoError(t, err)
	out := string(files[0].Content)
	require.Contains(t, out, "type Guard struct {")
	require.Contains(t, out, `persist.Register[Guard]("npc.Guard", "start", "Sleep#1", "tick")`)
	require.Contains(t, out, "return t.NextTick().Then(guardTick)")

	_, err, ok = genSource(t.TempDir(), prelude+"//stackworld:tasklet frame=guard\nfunc g(h *sim.Tasklet) {}\n")
	require.True(t, ok)
	require.EqualError(t, err, `x.go:14: marker setting "frame=guard": want frame=ExportedTypeName or name=registered.Name`)
}

// TestGeneratedCompiles: control flow the generator lowers (labeled break and continue,
// switch with fallthrough, ranges, early returns, multiple results) gives code that
// compiles and reads the way the source does.
func TestGeneratedCompiles(t *testing.T) {
	src := prelude + `//stackworld:tasklet
func pair(h *sim.Tasklet, c sim.Chan[int]) (int, error) {
	v, err := sim.Receive(h, c)
	if err != nil {
		return 0, err
	}
	return v * 2, nil
}

//stackworld:tasklet
func body(h *sim.Tasklet, c sim.Chan[int], xs []int) (sum int, err error) {
outer:
	for i := 0; i < 3; i++ {
		for _, x := range xs {
			switch {
			case x < 0:
				continue outer
			case x == 0:
				break outer
			case x > 100:
				fallthrough
			default:
				n, err := pair(h, c)
				if err != nil {
					return sum, err
				}
				sum += n + x
			}
		}
	}
	return sum, nil
}
`
	files, err, ok := genSource(t.TempDir(), src)
	require.True(t, ok)
	require.NoError(t, err)
	require.Len(t, files, 1)
	out := string(files[0].Content)
	require.Contains(t, out, "return t.Call(&PairFrame{C: f.C}).Then(bodyPair1)")
	require.Contains(t, out, "n, err = sim.Child[*PairFrame](t).results(t)")
	require.Contains(t, out, "f.I++", "the for loop's counter lives across the call")
	require.True(t, strings.HasPrefix(out, header+"\n"))
}

// FuzzGenerate mutates marked functions: the generator may refuse them, but what it
// generates must compile (verify type-checks it; an internal error fails the fuzz), and it
// must not panic.
func FuzzGenerate(f *testing.F) {
	for _, name := range []string{"internal/difftest/cases.go", "internal/genbench/genbench.go", "../../examples/pickle/recurs.go"} {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(string(b))
	}
	f.Add(randprog.Program(1, 3))
	dir := f.TempDir()
	genSource(dir, prelude) // list the imports (one go command) before the first input
	f.Fuzz(func(t *testing.T, src string) {
		_, err, ok := genSource(dir, src)
		if !ok || err == nil {
			return
		}
		if strings.Contains(err.Error(), "internal error") {
			t.Fatalf("the generator wrote code that does not compile:\n%v\nsource:\n%s", err, src)
		}
	})
}

// TestCrossPackageCallRefused: a marked function of another package is named as such (not
// as an unmarked function) when the tasklet is passed to it.
func TestCrossPackageCallRefused(t *testing.T) {
	require.NoError(t, os.MkdirAll("testdata", 0o755)) // git keeps no empty folder: a clean clone has none
	dir, err := os.MkdirTemp("testdata", "crosspkg")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	dir, err = filepath.Abs(dir)
	require.NoError(t, err)
	src := `package crosspkg

import (
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/sim/taskletgen/internal/difftest"
)

//stackworld:tasklet
func nap(h *sim.Tasklet) error {
	return difftest.Napper(h)
}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o644))
	_, err = Generate(dir, ".")
	require.EqualError(t, err, "x.go:10: the tasklet is passed to difftest.Napper, a marked function of another package: calls across packages are not translated yet (mark a function of this package that does the same)")
}

// TestGenericFrame: a generic marked function gives a generic frame type that is not
// registered (its users register each instantiation), its named results are fields of
// their own names, and a call passes the call's type arguments to the frame.
func TestGenericFrame(t *testing.T) {
	src := prelude + `//stackworld:tasklet frame=Echo
func echo[T any](h *sim.Tasklet, c sim.Chan[T]) (got T, ok bool, err error) {
	v, rerr := sim.Receive(h, c)
	if rerr != nil {
		return got, false, rerr
	}
	return v, true, nil
}

//stackworld:tasklet
func twice(h *sim.Tasklet, c sim.Chan[string]) error {
	s, ok, err := echo(h, c)
	if err != nil || !ok {
		return err
	}
	fmt.Println(s)
	return nil
}
`
	files, err, ok := genSource(t.TempDir(), src)
	require.True(t, ok)
	require.NoError(t, err)
	out := string(files[0].Content)
	for _, want := range []string{
		"type Echo[T any] struct {\n\tC   sim.Chan[T]\n\tGot T\n\tOK  bool\n}",
		"func (f *Echo[T]) Step(t *sim.Tasklet) sim.Op {",
		"\t\tf.OK = false\n\t\treturn t.ReturnError(rerr)", // got returned as it is: no self-assignment
		"f.Got, f.OK = v, true",
		"return f.Got, f.OK, t.ResumeErr()",
		"return t.Call(&Echo[string]{C: f.C}).Then(twiceEcho1)",
		"s, ok, err = sim.Child[*Echo[string]](t).results(t)",
	} {
		require.Contains(t, out, want)
	}
	require.NotContains(t, out, "persist.Register[Echo")
	require.Contains(t, out, `persist.Register[TwiceFrame]("x.twice", "start", "echo#1")`)
}
