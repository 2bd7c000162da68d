package taskletgen

import (
	"context"
	"flag"
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
// their frames and runs each program: it runs every function as a hard tasklet and as its
// generated soft frame (saved and loaded at random ticks, one tasklet killed at a random
// tick) and must print the same trace both ways. A failure names the seed, which replays
// it: go test ./sim/taskletgen -run TestRandomPrograms -randprog N.
func TestRandomPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program per seed")
	}
	for seed := uint64(1); seed <= uint64(*randSeeds); seed++ {
		dir, err := os.MkdirTemp("testdata", "randprog")
		require.NoError(t, err)
		t.Cleanup(func() { os.RemoveAll(dir) })
		src := randprog.Program(seed, 6)
		require.NoError(t, os.WriteFile(dir+"/main.go", []byte(src), 0o644))
		files, err := Generate(dir, ".")
		require.NoError(t, err, "seed %d", seed)
		require.NoError(t, Write(files))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute) // a lost loop counter loops forever
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "run", ".")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "seed %d:\n%s", seed, out)
		require.True(t, strings.HasPrefix(string(out), "same: "), "seed %d:\n%s", seed, out)
		t.Logf("seed %d: %s", seed, strings.TrimSpace(string(out)))
	}
}
