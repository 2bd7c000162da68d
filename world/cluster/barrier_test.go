package cluster_test

import (
	"context"
	"fmt"
	"slices"
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
	r := newLockStepRig(t, nil)
	errs := make([]chan error, len(r.zs))
	for i := range r.zs {
		errs[i] = r.run(t.Context(), r.server(i, server.Options{Ticks: serverTicks, SaveEvery: 20}))
	}
	for i, c := range errs {
		require.NoError(t, <-c, "zone %s", r.zs[i].Name())
	}
	return r.result()
}

// lockStepRig is two LockStep zones, a and b, with walkers crossing the border and six
// receivers of mail, whose servers record each zone's deep checksum after every tick.
type lockStepRig struct {
	t         *testing.T
	zs        []*zone
	receivers []world.EntityID
	rows      [][]string // per zone; written by the zone's loop goroutine (one server at a time)
}

// newLockStepRig opens the zones; tune, if not nil, adjusts each zone's config.
func newLockStepRig(t *testing.T, tune func(*cluster.Config)) *lockStepRig {
	t.Helper()
	wa := walkers(t, 40, 9)
	r := &lockStepRig{t: t, receivers: ids(wa)[:6], rows: make([][]string, 2)}
	for _, id := range r.receivers {
		world.NewMailbox[string](wa, id, "inbox")
	}
	_, r.zs = zonePair(t, wa, nil, func(c *cluster.Config) {
		c.LockStep, c.AckWait = true, 250*time.Millisecond
		if tune != nil {
			tune(c)
		}
	})
	return r
}

// server returns a server for zone i with o, whose hooks send a letter from the zone to
// each receiver before every tick and record the zone's deep checksum after it.
func (r *lockStepRig) server(i int, o server.Options) *server.Server {
	r.t.Helper()
	z := r.zs[i]
	o.BeforeTick = func(_ context.Context, w *world.World) error { return sendAll(z, r.receivers, w.Now()) }
	o.EndTick = func(_ context.Context, w *world.World) error {
		c, err := w.DeepChecksum()
		r.rows[i] = append(r.rows[i], fmt.Sprintf("%d:%x", w.Now(), c))
		return err
	}
	srv, err := z.NewServer(o)
	require.NoError(r.t, err)
	return srv
}

// run runs srv on its own goroutine; the channel receives Run's error.
func (r *lockStepRig) run(ctx context.Context, srv *server.Server) chan error {
	c := make(chan error, 1)
	go func() { c <- srv.Run(ctx) }()
	return c
}

// result is the rows, with the mail each receiver has after zone a's, once every server
// has returned; it checks that entities and letters crossed.
func (r *lockStepRig) result() [][]string {
	r.t.Helper()
	require.Positive(r.t, r.zs[0].Stats().MigrationsOut)
	rows := [][]string{slices.Clone(r.rows[0]), slices.Clone(r.rows[1])}
	mail := 0
	for _, id := range r.receivers {
		got := inbox(r.zs, id)
		mail += len(got)
		rows[0] = append(rows[0], fmt.Sprintf("entity %d: %v", id, got))
	}
	require.Greater(r.t, mail, 100, "letters posted")
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
