package detcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go/token"
)

// wantRE matches the expectation comments in testdata: // want "rule".
var wantRE = regexp.MustCompile(`// want "([a-z-]+)"`)

// wants returns "file:line: rule" for every want comment in dir's non-test
// .go files, in file and line order.
func wants(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range names { // Glob returns names sorted
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, m := range wantRE.FindAllStringSubmatch(line, -1) {
				out = append(out, fmt.Sprintf("%s:%d: %s", name, i+1, m[1]))
			}
		}
	}
	return out
}

func TestCheckDir(t *testing.T) {
	for _, pkg := range []string{
		"clean",      // seeded rand, sorted keys, durations, slices, ints, funcs: nothing
		"wallclock",  // every time function, aliased and dot imports, a function value
		"globalrand", // math/rand, math/rand/v2, crypto/rand; constructors and methods pass
		"gostmt",     // go statements
		"maprange",   // maps, named and aliased, from another package, generics, maps.Keys, reflect
		"mapdefs",    // imported by maprange; declarations only
		"suppressed", // same line, line above, block comments; empty reason and gaps do not count
		"buildtags",  // findings only in _test.go, //go:build ignore and _plan9.go files
	} {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", pkg)
			findings, err := CheckDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range findings {
				got = append(got, fmt.Sprintf("%s:%d: %s", f.Pos.Filename, f.Pos.Line, f.Rule))
			}
			if want := wants(t, dir); !slices.Equal(got, want) {
				t.Errorf("CheckDir(%q):\ngot  %s\nwant %s", dir,
					strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
		})
	}
}

func TestFindingText(t *testing.T) {
	findings, err := CheckDir("testdata/maprange")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings {
		got = append(got, f.String())
	}
	const hint = ` (add "// determinism: <why>" if the order cannot matter)`
	want := []string{
		"testdata/maprange/maprange.go:27: map range over m" + hint,
		"testdata/maprange/maprange.go:30: map range over w.cells" + hint,
		"testdata/maprange/maprange.go:33: map range over w.flags" + hint,
		"testdata/maprange/maprange.go:36: map range over mapdefs.New()" + hint,
		"testdata/maprange/maprange.go:40: map range over c.ByID" + hint,
		"testdata/maprange/maprange.go:43: map range over maps.Keys(m)" + hint,
		"testdata/maprange/maprange.go:46: map range over maps.Values(m)" + hint,
		"testdata/maprange/maprange.go:49: map range over (maps.All[map[string]int])(m)" + hint,
		"testdata/maprange/maprange.go:55: reflect.Value.MapKeys yields map entries in random order; sort the keys" + hint,
		"testdata/maprange/maprange.go:56: reflect.Value.MapRange yields map entries in random order; sort the keys" + hint,
		"testdata/maprange/maprange.go:66: map range over m" + hint,
		"testdata/maprange/maprange.go:86: map range over m" + hint,
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\ngot  %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}

	other := []Finding{
		{Pos: pos("a.go", 1), Rule: RuleWallClock, Text: "time.Now reads the wall clock; use ticks or an injected clock"},
		{Pos: pos("a.go", 2), Rule: RuleGlobalRand, Text: "math/rand/v2.IntN uses a global, unseeded source; use the world's seeded *rand.Rand"},
		{Pos: pos("a.go", 3), Rule: RuleGoStmt, Text: "go statement: the Go scheduler would decide the order"},
	}
	wantOther := []string{
		`a.go:1: time.Now reads the wall clock; use ticks or an injected clock (add "// determinism: <why>" if the value cannot reach the world's state)`,
		`a.go:2: math/rand/v2.IntN uses a global, unseeded source; use the world's seeded *rand.Rand (add "// determinism: <why>" if the value cannot reach the world's state)`,
		`a.go:3: go statement: the Go scheduler would decide the order (add "// determinism: <why>" if the goroutine cannot affect the world's order or state)`,
	}
	for i, f := range other {
		if got := f.String(); got != wantOther[i] {
			t.Errorf("String():\ngot  %s\nwant %s", got, wantOther[i])
		}
	}
}

func TestCheckDirErrors(t *testing.T) {
	onlyTests := t.TempDir()
	if err := os.WriteFile(filepath.Join(onlyTests, "x_test.go"), []byte("package x\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir  string
		want string // substring of the error
	}{
		{"testdata/missing", "detcheck: testdata/missing: "},
		{t.TempDir(), "no buildable Go source files"},
		{onlyTests, "no buildable non-test Go files"},
		{"testdata/broken", `detcheck: type-check testdata/broken: testdata/broken/broken.go:5:25: cannot use "not an int"`},
	} {
		findings, err := CheckDir(tc.dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckDir(%q) = %v, %v; want error containing %q", tc.dir, findings, err, tc.want)
		}
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Error(args ...any)            { r.errors = append(r.errors, fmt.Sprint(args...)) }
func (r *recorder) Fatal(args ...any)            { r.fatals = append(r.fatals, fmt.Sprint(args...)) }
func (r *recorder) Errorf(f string, args ...any) { r.Error(fmt.Sprintf(f, args...)) }
func (r *recorder) Fatalf(f string, args ...any) { r.Fatal(fmt.Sprintf(f, args...)) }

func TestAssertDeterministic(t *testing.T) {
	var clean recorder
	AssertDeterministic(&clean, "testdata/clean")
	if clean.errors != nil || clean.fatals != nil {
		t.Errorf("clean package: errors %q, fatals %q; want none", clean.errors, clean.fatals)
	}

	var bad recorder
	AssertDeterministic(&bad, "testdata/gostmt")
	const hint = ` (add "// determinism: <why>" if the goroutine cannot affect the world's order or state)`
	want := "detcheck: 2 non-deterministic construct(s) in testdata/gostmt:" +
		"\n\ttestdata/gostmt/gostmt.go:6: go statement: the Go scheduler would decide the order" + hint +
		"\n\ttestdata/gostmt/gostmt.go:7: go statement: the Go scheduler would decide the order" + hint
	if len(bad.errors) != 1 || bad.errors[0] != want || bad.fatals != nil {
		t.Errorf("gostmt package: errors %q, fatals %q; want one error:\n%s", bad.errors, bad.fatals, want)
	}

	var broken recorder
	AssertDeterministic(&broken, "testdata/broken")
	if broken.errors != nil || len(broken.fatals) != 1 || !strings.HasPrefix(broken.fatals[0], "detcheck: type-check") {
		t.Errorf("broken package: errors %q, fatals %q; want one type-check fatal", broken.errors, broken.fatals)
	}
}

// TestDeterministicSource runs the checker on itself, as core packages do.
func TestDeterministicSource(t *testing.T) {
	AssertDeterministic(t, ".")
}

func pos(file string, line int) (p token.Position) {
	p.Filename, p.Line = file, line
	return p
}
