package cluster_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// Two zones, each run by its own server (free-running, autosaving every 3 ticks), move
// entities between them; one is killed mid-migration (as kill -9 would: no final save)
// and restarted from its last save on a new server. Afterwards every entity is in exactly
// one world, and a save settles every journal entry.
func TestZonesOnTheRuntime(t *testing.T) {
	for _, c := range []struct {
		point  string
		victim int
	}{{"out.exported", 0}, {"out.published", 0}, {"in.committed", 1}, {"in.imported", 1}, {"in.purged", 1}, {"saved", 1}} {
		t.Run(fmt.Sprintf("%s/zone%d", c.point, c.victim), func(t *testing.T) { runtimeTrial(t, c.point, c.victim) })
	}
}

func runtimeTrial(t *testing.T, point string, victim int) {
	ctx := context.Background()
	wa := walkers(t, 30, 5)
	all := ids(wa)
	hits := 0
	fault := func(p string) error {
		if p == point {
			if hits++; hits == 2 {
				return fmt.Errorf("killed")
			}
		}
		return nil
	}
	s, zs := zonePair(t, wa, nil, func(c *cluster.Config) {
		c.AckWait = 250 * time.Millisecond
		if c.Region == victim {
			c.Fault = fault
		}
	})
	// A zone killed before its first autosave restarts from the save of Open.
	run := func(z *zone, ticks uint64) <-chan error {
		srv, err := z.NewServer(server.Options{Ticks: ticks, SaveEvery: 3})
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- srv.Run(ctx) }()
		return done
	}
	done := []<-chan error{run(zs[0], 80), run(zs[1], 80)}
	require.ErrorIs(t, <-done[victim], cluster.ErrZoneDead, "zone %d is killed at its second %s", victim, point)
	zs[victim] = restart(t, s, zs[victim])
	require.NoError(t, <-run(zs[victim], 40))
	require.NoError(t, <-done[1-victim])

	settle(t, zs)
	census(t, zs[0].cfg.Conn, zs, all)
	require.Positive(t, zs[0].Stats().MigrationsOut)
	for _, z := range zs {
		require.NoError(t, z.Save(ctx))
	}
	kv, err := mustJS(t, zs[0].cfg.Conn).KeyValue(ctx, cluster.ZonesBucket)
	require.NoError(t, err)
	l, err := kv.ListKeysFiltered(ctx, "journal.>")
	require.NoError(t, err)
	var left []string
	for k := range l.Keys() {
		left = append(left, k)
	}
	require.Empty(t, left, "journal entries a save did not settle")
}

// A zone's server saves to the zone's file, and no other.
func TestNewServerRefusesAnotherSavePath(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	w, err := world.New(world.Config{Seed: 1, Zone: 1, Logger: quiet()})
	require.NoError(t, err)
	z := openZone(t, cluster.Config{Name: "a", Conn: connect(t, s.ClientURL()), World: w, Regions: 1,
		SavePath: filepath.Join(t.TempDir(), "a.cbor"), Logger: quiet()})
	_, err = z.NewServer(server.Options{SavePath: "/elsewhere.cbor"})
	require.ErrorContains(t, err, `cluster: zone a: server SavePath "/elsewhere.cbor" is not the zone's`)
}
