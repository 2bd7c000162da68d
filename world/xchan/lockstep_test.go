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

// manySenders runs 4 senders in a and 2 receivers in b to the end (and, two-way, 2
// senders in b and a receiver in a besides), and returns each zone's deep checksum after
// every boundary.
func manySenders(t *testing.T, twoWay bool) (sumsA, sumsB []uint64) {
	a, b, send, recv := pair(t)
	if twoWay {
		a, b, send, recv = bothPair(t)
	}
	newLog(t, "a")
	newLog(t, "b")
	var ts []*sim.Tasklet
	for i := range 4 {
		ts = append(ts, a.w.Spawn(&party{Ch: send, Log: "a", Name: fmt.Sprintf("s%d", i), Delay: i, N: 5}))
	}
	for i := range 2 {
		ts = append(ts, b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: fmt.Sprintf("r%d", i), Pause: 2 * i, N: 10}))
		if twoWay {
			b.w.Spawn(&party{Ch: recv, Log: "b", Name: fmt.Sprintf("t%d", i), Delay: 3 * i, N: 5})
		}
	}
	if twoWay {
		ts = append(ts, a.w.Spawn(&party{Recv: true, Ch: send, Log: "a", Name: "q", Pause: 1, N: 10}))
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
// land at the same ticks whatever the network does, one-way and two-way.
func TestLockStepRepeats(t *testing.T) {
	for _, twoWay := range []bool{false, true} {
		t.Run(fmt.Sprintf("twoWay=%v", twoWay), func(t *testing.T) {
			a1, b1 := manySenders(t, twoWay)
			a2, b2 := manySenders(t, twoWay)
			require.Equal(t, a1, a2, "zone a")
			require.Equal(t, b1, b2, "zone b")
		})
	}
}

// Without LockStep, Boundary never waits: hand-offs land when messages happen to have
// arrived, and case 20 still prints its output in order, on a one-way channel and on a
// two-way one.
func TestFreeRunning(t *testing.T) {
	for _, decl := range []struct {
		name       string
		send, recv func(*xchan.Link, string) (sim.Chan[string], error)
	}{{"one-way", xchan.Out[string], xchan.In[string]}, {"two-way", xchan.Both[string], xchan.Both[string]}} {
		t.Run(decl.name, func(t *testing.T) {
			s := startNATS(t)
			a, b := newZone(t, s, "a", "b", 1), newZone(t, s, "b", "a", 2)
			for _, z := range []*zone{a, b} {
				require.NoError(t, z.l.Shutdown())
				l, err := xchan.Open(z.w, xchan.Config{Conn: z.nc, Local: z.name, Peer: z.peer})
				require.NoError(t, err)
				z.l = l
			}
			out := newLog(t, "b")
			send, err := decl.send(a.l, "cmd")
			require.NoError(t, err)
			recv, err := decl.recv(b.l, "cmd")
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
		})
	}
}
