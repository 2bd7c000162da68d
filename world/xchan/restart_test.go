package xchan_test

import (
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world/xchan"
	"github.com/stretchr/testify/require"
)

// case20Zones opens case 20 on two zones: a runs the master, b the slave, printing to log
// "b".
func case20Zones(t *testing.T) (a, b *zone, m, sl *sim.Tasklet, out *[]string) {
	t.Helper()
	s := startNATS(t)
	a, b = newZone(t, s, "a", "b", 1), newZone(t, s, "b", "a", 2)
	out = newLog(t, "b")
	send, err := xchan.Out[string](a.l, "cmd")
	require.NoError(t, err)
	recv, err := xchan.In[string](b.l, "cmd")
	require.NoError(t, err)
	return a, b, a.w.Spawn(&master{Ch: send}), b.w.Spawn(&slave{Ch: recv, Log: "b"}), out
}

func runTo(t *testing.T, tick uint64, zs ...*zone) {
	t.Helper()
	for zs[0].w.Now() < tick {
		step(t, zs...)
	}
}

// The sending zone saves while its master is blocked on a value it offered, runs on (the
// slave takes that value and the next), dies, and comes back from its save: the master
// is restored blocked, the values the slave took meanwhile are not delivered again, and
// the slave's output is case 20's.
func TestRestartSenderFromSave(t *testing.T) {
	a, b, _, sl, out := case20Zones(t)
	srv := startNATSFor(a)
	runTo(t, 4, a, b) // ECHO 1 taken at tick 3; the master sends ECHO 2 in tick 4
	path := save(t, a)
	runTo(t, 10, a, b) // the slave takes ECHO 2 (tick 6) and ECHO 3 (tick 9)
	require.Equal(t, []string{"SLAVE STARTING", "SLAVE: ECHO 1", "SLAVE: ECHO 2", "SLAVE: ECHO 3"}, text(*out))

	a = crash(t, srv, a, path)
	require.Equal(t, uint64(4), a.w.Now())
	send, err := xchan.Out[string](a.l, "cmd")
	require.NoError(t, err)
	m := send.In(a.w.Scheduler()).Head()
	require.NotNil(t, m, "the master is restored blocked on the channel")
	require.Equal(t, 1, m.BlockedDir())
	require.Equal(t, "ECHO 2", m.TempVal())

	catchUp(t, a, b.w.Now())
	runUntil(t, 100, dead(m, sl), a, b)
	require.Equal(t, case20Output, text(*out))
	require.Equal(t, uint64(4), b.l.Stats().Delivered, "each value once: ECHO 2 and ECHO 3, sent again by the restored master, are not delivered again")
}

// The receiving zone saves while its slave waits, runs on (taking ECHO 2 and ECHO 3),
// dies, and comes back from its save: the sender sends again what the save does not
// cover, and the restored slave prints case 20's output from where it was saved.
func TestRestartReceiverFromSave(t *testing.T) {
	a, b, m, _, out := case20Zones(t)
	srv := startNATSFor(a)
	runTo(t, 4, a, b)
	path := save(t, b)
	kept := len(*out)
	runTo(t, 10, a, b)
	require.Equal(t, []string{"SLAVE STARTING", "SLAVE: ECHO 1", "SLAVE: ECHO 2", "SLAVE: ECHO 3"}, text(*out))

	b = crash(t, srv, b, path)
	*out = (*out)[:kept] // what the dead process printed after its save is not in the world's history
	recv, err := xchan.In[string](b.l, "cmd")
	require.NoError(t, err)
	sl := recv.In(b.w.Scheduler()).Head()
	require.NotNil(t, sl, "the slave is restored blocked on the channel")
	require.Equal(t, -1, sl.BlockedDir())

	catchUp(t, b, a.w.Now())
	runUntil(t, 100, dead(m, sl), a, b)
	require.Equal(t, case20Output, text(*out))
	require.Equal(t, uint64(3), b.l.Stats().Delivered, "ECHO 2 and ECHO 3 again, and QUIT")
	require.Empty(t, a.logs.String(), "the values asked for again were kept")
}

// Values received but not yet delivered (no receiver waiting) are saved with the
// receiving world and delivered after a restart, once each.
func TestRestartReceiverWithPendingValues(t *testing.T) {
	s := startNATS(t)
	a, b := newZone(t, s, "a", "b", 1), newZone(t, s, "b", "a", 2)
	newLog(t, "a")
	out := newLog(t, "b")
	send, err := xchan.Out[string](a.l, "c")
	require.NoError(t, err)
	recv, err := xchan.In[string](b.l, "c")
	require.NoError(t, err)
	var ts []*sim.Tasklet
	for i := range 3 {
		ts = append(ts, a.w.Spawn(&party{Ch: send, Log: "a", Name: string(rune('x' + i)), N: 2}))
	}
	runTo(t, 5, a, b) // three values wait in b, no receiver yet
	path := save(t, b)
	runTo(t, 8, a, b)

	b = crash(t, s, b, path)
	recv, err = xchan.In[string](b.l, "c")
	require.NoError(t, err)
	r := b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: "r", N: 6})
	catchUp(t, b, a.w.Now())
	runUntil(t, 100, dead(append(ts, r)...), a, b)
	require.Equal(t, []string{"r got x-0", "r got y-0", "r got z-0", "r got x-1", "r got y-1", "r got z-1"}, matching(*out, " got "))
}

// The sending side keeps the values the peer took until the peer reports a save that
// covers them (DurableAt, for runtimes that save on their own schedule).
func TestKeptUntilPeerSaves(t *testing.T) {
	a, b, send, recv := pair(t)
	newLog(t, "a")
	newLog(t, "b")
	snd := a.w.Spawn(&party{Ch: send, Log: "a", Name: "x", N: 3})
	rcv := b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: "r", N: 3})
	runUntil(t, 100, dead(snd, rcv), a, b)
	step(t, a, b)
	require.Equal(t, xchan.Stats{Offering: 0, Kept: 3, Pending: 0}, gauges(a.l.Stats()))

	b.l.DurableAt(1) // a save of tick 1 covers nothing taken (b takes the first value at its boundary 2)
	step(t, a, b)
	step(t, a, b)
	require.Equal(t, 3, a.l.Stats().Kept)

	b.l.DurableAt(b.w.Now())
	step(t, a, b)
	step(t, a, b)
	require.Equal(t, 0, a.l.Stats().Kept)
}

func gauges(s xchan.Stats) xchan.Stats {
	return xchan.Stats{Offering: s.Offering, Kept: s.Kept, Pending: s.Pending}
}
