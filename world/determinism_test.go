package world_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/assets"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite world/testdata golden files")

// smallScenario is the embedded small scenario: every behaviour of package actors (wander,
// flee, chase with eating and respawning, patrol, traders under supervision that fail now
// and then, customers doing request/reply with timeouts) on a 512×512 map.
func smallScenario(t testing.TB) *actors.Scenario {
	t.Helper()
	data, err := assets.FS().(interface{ ReadFile(string) ([]byte, error) }).ReadFile("scenarios/small.json")
	require.NoError(t, err)
	sc, err := actors.ParseScenario(data)
	require.NoError(t, err)
	return sc
}

func scenarioWorld(t testing.TB, sc *actors.Scenario, seed uint64) *world.World {
	t.Helper()
	cfg := sc.Config(seed)
	cfg.Logger = quiet()
	w, err := world.New(cfg)
	require.NoError(t, err)
	require.NoError(t, actors.Populate(w, sc))
	return w
}

// checksums ticks w n times and returns the checksum after each tick.
func checksums(t testing.TB, w *world.World, n int) []uint64 {
	t.Helper()
	sums := make([]uint64, n)
	for i := range sums {
		require.NoError(t, w.Tick())
		sums[i] = w.Checksum()
	}
	return sums
}

func TestSameSeedSameChecksums(t *testing.T) {
	sc := smallScenario(t)
	var runs [][]uint64
	for _, procs := range []int{1, 4, 1} {
		old := runtime.GOMAXPROCS(procs)
		w := scenarioWorld(t, sc, 1)
		runs = append(runs, checksums(t, w, 150))
		w.Close()
		runtime.GOMAXPROCS(old)
	}
	require.Equal(t, runs[0], runs[1], "GOMAXPROCS 1 and 4")
	require.Equal(t, runs[0], runs[2])
	other := scenarioWorld(t, sc, 2)
	defer other.Close()
	require.NotEqual(t, runs[0], checksums(t, other, 150), "another seed, another world")
}

// TestGoldenChecksums pins the checksums of ticks 1–200 of the small scenario with seed 1.
// A change is accepted only with a reason (go test ./world -run Golden -update).
func TestGoldenChecksums(t *testing.T) {
	sc := smallScenario(t)
	w := scenarioWorld(t, sc, 1)
	defer w.Close()
	sums := checksums(t, w, 200)
	var b strings.Builder
	fmt.Fprintf(&b, "# world checksums, scenario %q, seed 1: tick checksum\n", sc.Name)
	for i, s := range sums {
		fmt.Fprintf(&b, "%d %016x\n", i+1, s)
	}
	path := filepath.Join("testdata", "checksums_seed1.txt")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./world -run Golden -update to create it")
	if string(want) != b.String() {
		// name the first tick that differs
		ws, gs := bufio.NewScanner(strings.NewReader(string(want))), bufio.NewScanner(strings.NewReader(b.String()))
		for ws.Scan() && gs.Scan() {
			require.Equal(t, ws.Text(), gs.Text(), "first differing line of %s", path)
		}
		require.Equal(t, string(want), b.String())
	}
	// the scenario did exercise what it should
	st := w.Stats()
	require.Greater(t, st.Failures, uint64(0), "traders failed and were restarted")
	require.Greater(t, st.Entities, 250)
}
