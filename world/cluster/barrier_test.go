package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// Two LockStep zones, each on its own server.Server running ticks back to back on its own
// goroutine, with walkers crossing the border and letters to moving entities every tick,
// give the same deep checksum per zone at every tick on a rerun: the barrier keeps either
// zone from passing boundary t before the other has stored its tick-t payloads and letters.
func TestLockStepServersRepeat(t *testing.T) {
	first := lockStepServers(t)
	require.Equal(t, first, lockStepServers(t))
}

const serverTicks = 60

// lockStepServers runs the zones on their servers and returns each zone's deep checksum
// after every tick, then the mail each receiver has.
func lockStepServers(t *testing.T) [][]string {
	wa := walkers(t, 40, 9)
	receivers := ids(wa)[:6]
	for _, id := range receivers {
		world.NewMailbox[string](wa, id, "inbox")
	}
	_, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.LockStep, c.AckWait = true, 250*time.Millisecond })
	rows := make([][]string, len(zs))
	srvs := make([]*server.Server, len(zs))
	for i, z := range zs {
		srv, err := z.NewServer(server.Options{Ticks: serverTicks, SaveEvery: 20,
			BeforeTick: func(_ context.Context, w *world.World) error { return sendAll(z, receivers, w.Now()) },
			EndTick: func(_ context.Context, w *world.World) error {
				c, err := w.DeepChecksum()
				rows[i] = append(rows[i], fmt.Sprintf("%d:%x", w.Now(), c))
				return err
			}})
		require.NoError(t, err)
		srvs[i] = srv
	}
	errs := make([]error, len(zs))
	var wg sync.WaitGroup
	for i, srv := range srvs {
		wg.Go(func() { errs[i] = srv.Run(context.Background()) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "zone %s", zs[i].Name())
	}
	require.Positive(t, zs[0].Stats().MigrationsOut)
	mail := 0
	for _, id := range receivers {
		got := inbox(zs, id)
		mail += len(got)
		rows[0] = append(rows[0], fmt.Sprintf("entity %d: %v", id, got))
	}
	require.Greater(t, mail, 100, "letters posted")
	return rows
}

// sendAll sends a letter from the lowest-numbered entity of zone z (if it has one) to each
// receiver, on the zone's loop goroutine.
func sendAll(z *zone, receivers []world.EntityID, tick uint64) error {
	own := ids(z.World())
	if len(own) == 0 {
		return nil
	}
	from := slices.Min(own)
	for _, to := range receivers {
		if err := z.Send(from, to, "inbox", fmt.Sprintf("%s%d", z.Name(), tick)); err != nil {
			return err
		}
	}
	return nil
}

// A LockStep zone one tick ahead of its peer waits at the barrier: its step ends with the
// context's error, naming the zone it waited for, counted once, and goes on once the peer
// has finished the tick.
func TestBarrierWaitsForPeer(t *testing.T) {
	_, zs := zonePair(t, walkers(t, 4, 9), nil, func(c *cluster.Config) { c.LockStep = true })
	a, b := zs[0], zs[1]
	require.NoError(t, a.Step(context.Background())) // boundary 0: b announced 0 when it opened
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := a.Step(ctx) // boundary 1: b is at 0
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "cluster: zone a: at tick 1 waiting for zone b")
	require.Equal(t, uint64(1), a.Stats().BarrierWaits)
	require.Equal(t, uint64(1), a.World().Now(), "a did not tick")
	require.NoError(t, b.Step(context.Background()))
	require.NoError(t, a.Step(context.Background()))
	require.Equal(t, uint64(2), a.World().Now())
	require.Equal(t, uint64(1), a.Stats().BarrierWaits)
}
