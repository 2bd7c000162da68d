package cluster_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// Two LockStep zones stepped in turn (one tick each) with the same seed give the same deep
// checksum per zone at every tick on a rerun, migrations included.
//
// Known to diverge in about one run in ten (a payload taken in a tick later in one of the
// runs): it runs only with STACKWORLD_LOCKSTEP=1 until that is found.
func TestLockStepZonesRepeat(t *testing.T) {
	if os.Getenv("STACKWORLD_LOCKSTEP") == "" {
		t.Skip("set STACKWORLD_LOCKSTEP=1: lock-step repetition is not reliable yet (see the package doc)")
	}
	run := func() [][2]uint64 {
		ctx := context.Background()
		s := startServer(t, t.TempDir(), -1)
		dir := t.TempDir()
		wa := walkers(t, 40, 9)
		wb, err := world.New(world.Config{Seed: 2, Zone: 2, Logger: quiet()})
		require.NoError(t, err)
		var zs []*zone
		for i, w := range []*world.World{wa, wb} {
			name := []string{"a", "b"}[i]
			zs = append(zs, openZone(t, cluster.Config{Name: name, Conn: connect(t, s.ClientURL()), World: w, Regions: 2, Region: i,
				SavePath: filepath.Join(dir, name+".cbor"), Logger: quiet(), LockStep: true}))
		}
		var sums [][2]uint64
		for range 40 {
			var row [2]uint64
			for i, z := range zs {
				require.NoError(t, z.Step(ctx))
				row[i], err = z.World().DeepChecksum()
				require.NoError(t, err)
			}
			sums = append(sums, row)
		}
		require.Positive(t, zs[0].Stats().MigrationsOut)
		return sums
	}
	require.Equal(t, run(), run())
}
