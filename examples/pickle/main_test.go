package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The seed's two script outputs (seed/stackless-talk.txt, "Script Output 1" and "2").
const (
	enters = `enter level   1
enter level     2
enter level       3
enter level         4
enter level           5
enter level             6
enter level               7
enter level                 8
enter level                   9
`
	leaves = `leave level                   9
leave level                 8
leave level               7
leave level             6
leave level           5
leave level         4
leave level       3
leave level     2
leave level   1
`
)

// TestPickledRecursion builds the program and runs both steps as separate processes: the
// second one knows nothing but the file.
func TestPickledRecursion(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "pickle")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	first := exec.Command(bin)
	first.Dir = dir
	out, err = first.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, enters+"hi\n"+leaves, string(out))
	_, err = os.Stat(filepath.Join(dir, file))
	require.NoError(t, err)

	hard := exec.Command(bin, "-hard")
	hard.Dir = dir
	out, err = hard.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, enters+"hi\nsave refused: persist: save: sim: save tasklet 2 (runnable): tasklet is not restorable "+
		"(hard tasklets keep their state on a goroutine stack) (or set Options.HardTasklets to persist.OmitHard to leave hard tasklets out)\n"+leaves, string(out))

	for range 2 { // the same bytes resume any number of times
		second := exec.Command(bin, file)
		second.Dir = dir
		out, err = second.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Equal(t, leaves, string(out))
	}
}
