package cluster_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// Two LockStep zones stepped in turn (one tick each) with the same seed give the same deep
// checksum per zone at every tick on every rerun, migrations included, and whichever zone
// steps first in a round.
func TestLockStepZonesRepeat(t *testing.T) {
	run := func(order []int) [][2]uint64 {
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
			for _, i := range order {
				z := zs[i]
				require.NoError(t, z.Step(ctx))
				row[i], err = z.World().DeepChecksum()
				require.NoError(t, err)
			}
			sums = append(sums, row)
		}
		require.Positive(t, zs[0].Stats().MigrationsOut)
		return sums
	}
	want := run([]int{0, 1})
	for k := range 4 {
		order := []int{0, 1}
		if k%2 == 1 {
			order = []int{1, 0}
		}
		require.Equal(t, want, run(order), "run %d, zones stepped in order %v", k+2, order)
	}
}
