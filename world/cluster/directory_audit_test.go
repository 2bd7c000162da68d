package cluster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// A zone reads the directory entries of its entities, a few per tick, and writes again
// those deleted (`nats kv del stackworld_dir e.<id>`) or not an owner (`nats kv put ...
// garbage`) without waiting for the entity to move: logged and counted once each. An
// entry put back by hand with the same owner is taken as it is; one naming another owner
// is logged once per (entity, revision) and left.
func TestDirectoryAuditRepairsEntries(t *testing.T) {
	t.Cleanup(cluster.SetAuditRound(0))
	ctx := context.Background()
	wa, err := world.New(world.Config{Seed: 1, Zone: 1, Logger: quiet()})
	require.NoError(t, err)
	k := wa.Kind("still")
	for i := range 40 {
		wa.NewEntity(k, world.Vec{X: int32(10 + i), Y: 10})
	}
	all := ids(wa)
	log := new(logBuffer)
	_, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.Logger = log.logger() })
	a, b := zs[0], zs[1]
	js := mustJS(t, a.cfg.Conn)
	kv, err := js.KeyValue(ctx, cluster.DirectoryBucket)
	require.NoError(t, err)
	key := func(id world.EntityID) string { return "e." + itoa(uint64(id)) }
	deleted, garbage, same, foreign := all[3], all[17], all[25], all[38]
	require.NoError(t, kv.Delete(ctx, key(deleted)))
	_, err = kv.PutString(ctx, key(garbage), "garbage")
	require.NoError(t, err)
	_, err = kv.PutString(ctx, key(same), `{"zone":"a","epoch":0}`)
	require.NoError(t, err)
	_, err = kv.PutString(ctx, key(foreign), `{"zone":"b","epoch":0}`)
	require.NoError(t, err)

	deadline := time.Now().Add(10 * time.Second)
	for a.Stats().DirectoryRepairs < 2 {
		require.True(t, time.Now().Before(deadline), "repairs: %d", a.Stats().DirectoryRepairs)
		require.NoError(t, a.Step(ctx))
	}
	left := `msg="cluster: directory entry of an entity here names another owner; left as it is" zone=a entity=` + itoa(uint64(foreign))
	for len(log.lines(left)) < 1 {
		require.True(t, time.Now().Before(deadline), "the foreign entry was not logged")
		require.NoError(t, a.Step(ctx))
	}
	// Two more rounds reach the foreign entry: each repairs an entry deleted after the
	// foreign one was logged, read in the same batch of 8 as it.
	for round := range 2 {
		require.NoError(t, kv.Delete(ctx, key(all[39])))
		for a.Stats().DirectoryRepairs < uint64(3+round) {
			require.True(t, time.Now().Before(deadline), "repairs: %d", a.Stats().DirectoryRepairs)
			require.NoError(t, a.Step(ctx))
		}
	}
	require.Len(t, log.lines(left), 1, "logged once per (entity, revision), not once a round")
	_, err = kv.PutString(ctx, key(foreign), `{"zone":"b","epoch":1}`) // a new revision: logged again
	require.NoError(t, err)
	for len(log.lines(left)) < 2 {
		require.True(t, time.Now().Before(deadline), "the foreign entry's new revision was not logged")
		require.NoError(t, a.Step(ctx))
	}
	require.Contains(t, log.lines(left)[1], "owner=b epoch=1 epoch_here=0")
	require.Equal(t, cluster.Owner{Zone: "a"}, owner(t, js, all[39]))
	repairs := 4
	require.Equal(t, uint64(repairs), a.Stats().DirectoryRepairs)
	repaired := log.lines("repaired")
	require.Len(t, repaired, repairs, "logged once each")
	for _, want := range []string{`entity=` + itoa(uint64(deleted)) + ` found=deleted epoch=0 revision=`,
		`entity=` + itoa(uint64(garbage)) + ` found="not an owner: \"garbage\"" epoch=0 revision=`} {
		require.True(t, containsOne(repaired, want), "no line with %s in %q", want, repaired)
	}
	require.Equal(t, cluster.Owner{Zone: "a"}, owner(t, js, deleted))
	require.Equal(t, cluster.Owner{Zone: "a"}, owner(t, js, garbage))
	require.Equal(t, cluster.Owner{Zone: "b", Epoch: 1}, owner(t, js, foreign), "left as it is")

	// The entries repaired, and the one put back with the same owner, move as any other
	// (to b, which sends them back: they stand in a's region).
	moving := []world.EntityID{deleted, garbage, same}
	require.NoError(t, a.Migrate(ctx, "b", moving))
	settle(t, zs)
	for _, id := range moving {
		require.True(t, a.World().Alive(id))
		require.Equal(t, cluster.Owner{Zone: "a", Epoch: 2}, owner(t, js, id))
	}
	require.Equal(t, uint64(3), b.Stats().MigrationsIn)
	require.Empty(t, log.lines("written again"), "no entry was left for the move to write")
	require.Zero(t, a.Stats().Failures+b.Stats().Failures)
}

func containsOne(lines []string, s string) bool {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n == 1
}
