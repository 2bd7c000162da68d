package taskletgen

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stackworld/stackworld/sim/taskletgen/internal/randprog"
	"github.com/stretchr/testify/require"
)

var randSeeds = flag.Int("randprog", 2, "number of random programs TestRandomPrograms runs (seeds 1..n)")

// TestRandomPrograms writes seeded random programs of marked functions (randprog), generates
// their frames and runs them: every function runs as a hard tasklet and as its generated
// soft frame (saved and loaded at random ticks, one tasklet killed at a random tick) and
// must print the same trace both ways. All seeds are one program (one generation, one go
// run), which prints a line per seed. A failure names the seed; -randprog N runs seeds
// 1..N: go test ./sim/taskletgen -run TestRandomPrograms -randprog N.
func TestRandomPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	require.NoError(t, os.MkdirAll("testdata", 0o755)) // git keeps no empty folder: a clean clone has none
	dir, err := os.MkdirTemp("testdata", "randprog")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	var seeds []uint64
	for seed := uint64(1); seed <= uint64(*randSeeds); seed++ {
		seeds = append(seeds, seed)
	}
	require.NoError(t, os.WriteFile(dir+"/main.go", []byte(randprog.Programs(seeds, 6)), 0o644))
	files, err := Generate(dir, ".")
	require.NoError(t, err)
	require.NoError(t, Write(files))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute) // a lost loop counter loops forever
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", ".")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, len(seeds), "%s", out)
	for i, seed := range seeds {
		require.True(t, strings.HasPrefix(lines[i], fmt.Sprintf("seed %d: same: ", seed)), "%s", out)
	}
	t.Logf("%s", out)
}
