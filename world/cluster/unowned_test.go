package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// A zone whose saved world holds entities whose directory entries are garbage opens
// (before, recovery failed with "not an owner"), keeps them without owning them (not
// migrated, even standing in another zone's region), logs each once with the nats
// command that settles it, and settles them when an operator puts an entry naming a
// zone: this zone's entity is its own again and moves as any other, another zone's
// copy is dropped here.
func TestRecoveryKeepsEntitiesWithGarbageEntries(t *testing.T) {
	t.Cleanup(cluster.SetAuditRound(0))
	ctx := context.Background()
	wa, err := world.New(world.Config{Seed: 1, Zone: 1, Logger: quiet()})
	require.NoError(t, err)
	k := wa.Kind("still")
	for i := range 4 {
		wa.NewEntity(k, world.Vec{X: int32(10 + i), Y: 10})
	}
	all := ids(wa)
	log := new(logBuffer)
	s, zs := zonePair(t, wa, nil, func(c *cluster.Config) {
		if c.Name == "a" {
			c.Logger = log.logger()
		}
	})
	js := mustJS(t, connect(t, s.ClientURL()))
	kv, err := js.KeyValue(ctx, cluster.DirectoryBucket)
	require.NoError(t, err)
	key := func(id world.EntityID) string { return "e." + itoa(uint64(id)) }
	mine, theirs := all[1], all[2]
	for _, id := range []world.EntityID{mine, theirs} {
		_, err = kv.PutString(ctx, key(id), "garbage")
		require.NoError(t, err)
	}
	zs[0] = restart(t, s, zs[0])
	a := zs[0]
	for _, id := range all {
		require.True(t, a.World().Alive(id), "entity %d", id)
	}
	require.False(t, a.Owns(mine))
	require.False(t, a.Owns(theirs))
	require.True(t, a.Owns(all[0]))
	kept := log.lines("entity kept without an owner: its directory entry is unreadable")
	require.Len(t, kept, 2)
	require.Contains(t, kept[0], `fix="if this zone holds the entity: nats kv put stackworld_dir e.`)
	require.Contains(t, kept[0], ` '{\"zone\":\"a\",\"epoch\":0}'; if another zone does, put that zone's name (this copy is then dropped)"`)

	a.World().SetPos(mine, world.Vec{X: 700, Y: 10}) // in b's region: not sent while nobody owns it
	require.ErrorContains(t, a.Migrate(ctx, "b", []world.EntityID{theirs}), "keeps it without an owner")
	stepBoth(t, zs, 3)
	require.True(t, a.World().Alive(mine))
	require.Len(t, log.lines("entity kept without an owner: its directory entry is unreadable"), 2, "logged once each")

	_, err = kv.PutString(ctx, key(mine), `{"zone":"a","epoch":3}`)
	require.NoError(t, err)
	_, err = kv.PutString(ctx, key(theirs), `{"zone":"b","epoch":1}`)
	require.NoError(t, err)
	deadline := time.Now().Add(10 * time.Second)
	for a.World().Alive(theirs) || !zs[1].World().Alive(mine) {
		require.True(t, time.Now().Before(deadline), "not settled")
		stepBoth(t, zs, 1)
	}
	settle(t, zs)
	require.Equal(t, cluster.Owner{Zone: "b", Epoch: 4}, owner(t, js, mine), "its own again, then moved")
	require.Equal(t, uint64(1), a.Stats().Dropped)
	require.Len(t, log.lines("is the zone's again"), 1)
	require.Len(t, log.lines("dropped: its directory entry names another zone"), 1)
	require.Zero(t, a.Stats().Failures+zs[1].Stats().Failures)
}
