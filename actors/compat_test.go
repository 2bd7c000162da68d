package actors_test

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the saves and checksums in actors/testdata")

// compatScenario has every behaviour of this package: traders that fail now and then under
// supervisors, customers asking them, patrols, deer kept by a spawner, and wolves.
const compatScenario = `{
  "name": "compat",
  "map": {"width": 256, "height": 256, "cell": 32},
  "tick_budget": 1000,
  "kinds": [
    {"name": "sheep", "count": 10, "behaviour": "wander", "speed": 2, "sight": 16, "crowd": 3},
    {"name": "deer", "count": 12, "behaviour": "flee", "from": "wolf", "speed": 3, "sight": 48, "respawn": true},
    {"name": "wolf", "count": 4, "behaviour": "chase", "prey": "deer", "speed": 4, "sight": 96, "eat": true},
    {"name": "guard", "count": 5, "behaviour": "patrol", "speed": 2, "route": 3, "span": 60},
    {"name": "trader", "count": 3, "behaviour": "trader", "fail_one_in": 9, "supervise": true},
    {"name": "customer", "count": 12, "behaviour": "customer", "trader": "trader", "speed": 2, "sight": 200, "ask_every": 3, "timeout": 2}
  ]
}`

const (
	compatSave      = "testdata/compat-tick30.cbor" // the world at tick 30, saved by the hand-written frames
	compatChecksums = "testdata/compat-checksums.txt"
	compatSaveTick  = 30
	compatTicks     = 80
)

// compatWorld builds compatScenario with seed 7.
func compatWorld(t *testing.T) *world.World {
	t.Helper()
	sc, err := actors.ParseScenario([]byte(compatScenario))
	require.NoError(t, err)
	cfg := sc.Config(7)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := world.New(cfg)
	require.NoError(t, err)
	require.NoError(t, actors.Populate(w, sc))
	return w
}

// line is what the checksum file holds for the tick w just ran.
func line(w *world.World) string {
	st := w.Stats()
	return fmt.Sprintf("tick %d: checksum %016x, %d entities, %d tasklets, %d failures", st.Tick, w.Checksum(), st.Entities, st.Tasklets.Total(), st.Failures)
}

// TestOldSavesLoad keeps saves written before the behaviours became marked functions
// loading, and behaving as they did: a world of every behaviour, saved at tick 30 by the
// hand-written frames (testdata), loads and runs on with the checksums the hand-written
// frames gave, and a new world gives them from the start. -update rewrites both files
// (only when the behaviours change on purpose).
func TestOldSavesLoad(t *testing.T) {
	w := compatWorld(t)
	defer w.Close()
	var lines []string
	var saved []byte
	for range compatTicks {
		require.NoError(t, w.Tick())
		lines = append(lines, line(w))
		if w.Now() == compatSaveTick {
			var err error
			saved, err = w.Save(world.DefaultCodec())
			require.NoError(t, err)
		}
	}
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(compatSave), 0o755))
		require.NoError(t, os.WriteFile(compatSave, saved, 0o644))
		require.NoError(t, os.WriteFile(compatChecksums, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	}
	want, err := os.ReadFile(compatChecksums)
	require.NoError(t, err)
	require.Equal(t, string(want), strings.Join(lines, "\n")+"\n", "a new world")

	data, err := os.ReadFile(compatSave)
	require.NoError(t, err)
	old, err := world.Load(world.DefaultCodec(), data, world.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer old.Close()
	require.EqualValues(t, compatSaveTick, old.Now())
	lines = lines[:compatSaveTick]
	for range compatTicks - compatSaveTick {
		require.NoError(t, old.Tick())
		lines = append(lines, line(old))
	}
	require.Equal(t, string(want), strings.Join(lines, "\n")+"\n", "the old save, loaded")
}
