package taskletgen

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheck: the committed frames of examples/pickle are up to date; a stale or missing
// file is reported with what to do.
func TestCheck(t *testing.T) {
	dir, err := filepath.Abs("../../examples/pickle")
	require.NoError(t, err)
	var files []File
	for _, f := range repoFrames(t) {
		if filepath.Dir(f.Path) == dir {
			files = append(files, f)
		}
	}
	require.Len(t, files, 1)
	stale, err := Check(dir, nil, files)
	require.NoError(t, err)
	require.Empty(t, stale)

	files[0].Content = append(files[0].Content, "// changed\n"...)
	stale, err = Check(dir, nil, files)
	require.NoError(t, err)
	require.Equal(t, []string{files[0].Path + ": stale (run go generate)"}, stale)

	files[0].Path = filepath.Join(t.TempDir(), "gone_frame.go")
	stale, err = Check(dir, nil, files)
	require.NoError(t, err)
	want := []string{
		files[0].Path + ": missing (run go generate)",
		filepath.Join(dir, "recurs_frame.go") + ": generated, but no marked function produces it (delete it)",
	}
	slices.Sort(want) // Check reports in path order, and the temporary directory may sort either side of dir
	require.Equal(t, want, stale)
}

// The generated file is deterministic: generating twice gives the same bytes.
func TestGenerateDeterministic(t *testing.T) {
	a, err, ok := genSource(t.TempDir(), mustRead(t, "internal/difftest/cases.go"))
	require.True(t, ok)
	require.NoError(t, err)
	b, err, _ := genSource(t.TempDir(), mustRead(t, "internal/difftest/cases.go"))
	require.NoError(t, err)
	require.Equal(t, string(a[0].Content), string(b[0].Content))
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

// TestFramesOfAnotherPackage: examples/mmo uses actors' frame types (Patrol) and marks a
// function of its own; generated in one run, actors' frames are blanked while loading, and
// mmo must still generate (as `stackworld gen -check ./...` does in CI).
func TestFramesOfAnotherPackage(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	files := repoFrames(t)
	require.Len(t, files, 6) // actors: ask, npc, shop, spawner; mmo: main; pickle: recurs
	stale, err := Check(root, repoPackages, files)
	require.NoError(t, err)
	require.Empty(t, stale)
}

// repoPackages are the packages of this module whose frames repoFrames generates.
var repoPackages = []string{"./actors", "./examples/mmo", "./examples/pickle"}

var repoGen struct {
	once  sync.Once
	files []File
	err   error
}

// repoFrames generates the frames of repoPackages in one run, once per test process (a
// Generate loads packages: the tests share it), and returns a copy the caller may change.
func repoFrames(t *testing.T) []File {
	t.Helper()
	repoGen.once.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			repoGen.err = err
			return
		}
		repoGen.files, repoGen.err = Generate(root, repoPackages...)
	})
	require.NoError(t, repoGen.err)
	files := make([]File, len(repoGen.files))
	for i, f := range repoGen.files {
		files[i] = File{Path: f.Path, Content: slices.Clone(f.Content)}
	}
	return files
}
