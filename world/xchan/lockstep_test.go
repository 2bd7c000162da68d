package xchan_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world/xchan"
	"github.com/stretchr/testify/require"
)

// manySenders runs 4 senders in a and 2 receivers in b to the end, and returns each
// zone's deep checksum after every boundary.
func manySenders(t *testing.T) (sumsA, sumsB []uint64) {
	a, b, send, recv := pair(t)
	newLog(t, "a")
	newLog(t, "b")
	var ts []*sim.Tasklet
	for i := range 4 {
		ts = append(ts, a.w.Spawn(&party{Ch: send, Log: "a", Name: fmt.Sprintf("s%d", i), Delay: i, N: 5}))
	}
	for i := range 2 {
		ts = append(ts, b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: fmt.Sprintf("r%d", i), Pause: 2 * i, N: 10}))
	}
	for !dead(ts...)() {
		require.Less(t, a.w.Now(), uint64(500))
		step(t, a, b)
		for _, z := range []*zone{a, b} {
			sum, err := z.w.DeepChecksum()
			require.NoError(t, err)
			if z == a {
				sumsA = append(sumsA, sum)
			} else {
				sumsB = append(sumsB, sum)
			}
		}
	}
	return sumsA, sumsB
}

// With LockStep, two runs give both zones the same deep checksum at every tick: hand-offs
// land at the same ticks whatever the network does.
func TestLockStepRepeats(t *testing.T) {
	a1, b1 := manySenders(t)
	a2, b2 := manySenders(t)
	require.Equal(t, a1, a2, "zone a")
	require.Equal(t, b1, b2, "zone b")
}

// Without LockStep, Boundary never waits: hand-offs land when messages happen to have
// arrived, and case 20 still prints its output in order.
func TestFreeRunning(t *testing.T) {
	s := startNATS(t)
	a, b := newZone(t, s, "a", "b", 1), newZone(t, s, "b", "a", 2)
	for _, z := range []*zone{a, b} {
		require.NoError(t, z.l.Shutdown())
		l, err := xchan.Open(z.w, xchan.Config{Conn: z.nc, Local: z.name, Peer: z.peer})
		require.NoError(t, err)
		z.l = l
	}
	out := newLog(t, "b")
	send, err := xchan.Out[string](a.l, "cmd")
	require.NoError(t, err)
	recv, err := xchan.In[string](b.l, "cmd")
	require.NoError(t, err)
	m, sl := a.w.Spawn(&master{Ch: send}), b.w.Spawn(&slave{Ch: recv, Log: "b"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for m.Alive() || sl.Alive() {
		require.NoError(t, ctx.Err(), "case 20 not done; output so far: %q", *out)
		step(t, a, b)
		// Not for correctness: a round trip to the server paces the loop near the
		// network's speed, so the run takes tens of ticks instead of thousands.
		require.NoError(t, a.nc.Flush())
		require.NoError(t, b.nc.Flush())
	}
	require.Equal(t, case20Output, text(*out))
}
