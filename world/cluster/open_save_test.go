package cluster_test

import (
	"context"
	"testing"

	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// TestKilledBeforeFirstSave: Open saves, so zones killed before their first autosave, in
// the middle of a migration (a has exported and published, b has taken the payload in),
// restart from the saves of Open and settle it: every entity in exactly one world.
func TestKilledBeforeFirstSave(t *testing.T) {
	ctx := context.Background()
	wa := walkers(t, 64, 1) // x from 480 to 543: half in b's region
	all := ids(wa)
	s, zs := zonePair(t, wa, nil, nil)
	for _, z := range zs {
		w, err := world.LoadFile(world.DefaultCodec(), z.cfg.SavePath, world.Config{Logger: quiet()})
		require.NoError(t, err, "zone %s has a save as soon as Open returns", z.Name())
		require.Equal(t, z.World().Len(), w.Len(), "zone %s's save at open", z.Name())
		w.Close()
	}
	var east []world.EntityID // in b's region: b keeps them
	for _, e := range wa.Entities() {
		if zs[1].Map().ZoneAt(e.Pos.X) == "b" {
			east = append(east, e.ID)
		}
	}
	require.NotEmpty(t, east)
	require.NoError(t, zs[0].Migrate(ctx, "b", east))
	for i := 0; i < 100 && zs[1].World().Len() < len(east); i++ {
		require.NoError(t, zs[1].Step(ctx))
	}
	require.Equal(t, len(east), zs[1].World().Len(), "b took the payload in")
	for i := range zs {
		zs[i] = restart(t, s, zs[i]) // kill -9: no save since Open
	}
	settle(t, zs)
	census(t, zs[0].cfg.Conn, zs, all)
}
