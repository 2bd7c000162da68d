package xchan_test

import (
	"testing"

	"github.com/stackworld/stackworld/world/xchan"
	"github.com/stretchr/testify/require"
)

// case20Output is spec case 20's expected output, the main tasklet's line aside.
var case20Output = []string{
	"SLAVE STARTING",
	"SLAVE: ECHO 1",
	"SLAVE: ECHO 2",
	"SLAVE: ECHO 3",
	"SLAVE: QUIT",
	"SLAVE ENDING",
}

// Spec: case 20 — a channel between two schedulers, here two worlds with their own NATS
// connections, in lock step: the slave prints what the master sends, in order, and each
// value lands at the tick the package documentation gives (offered at the master's
// boundary N, delivered at the slave's boundary N+1, the master released at N+2).
func TestCase20TwoWorlds(t *testing.T) {
	s := startNATS(t)
	a, b := newZone(t, s, "a", "b", 1), newZone(t, s, "b", "a", 2)
	out := newLog(t, "b")
	send, err := xchan.Out[string](a.l, "cmd")
	require.NoError(t, err)
	recv, err := xchan.In[string](b.l, "cmd")
	require.NoError(t, err)
	m := a.w.Spawn(&master{Ch: send})
	sl := b.w.Spawn(&slave{Ch: recv, Log: "b"})

	runUntil(t, 100, dead(m, sl), a, b)

	require.Equal(t, case20Output, text(*out))
	require.Equal(t, []string{
		"1 SLAVE STARTING", // both block in tick 1
		"3 SLAVE: ECHO 1",  // offered at a's boundary 1, delivered at b's boundary 2
		"6 SLAVE: ECHO 2",  // the master, released at boundary 3, sends in tick 4
		"9 SLAVE: ECHO 3",
		"12 SLAVE: QUIT",
		"12 SLAVE ENDING",
	}, *out)
	require.Equal(t, 1, b.w.Scheduler().RunCount(), "runcount here: main alone, as in Stackless")
	st := a.l.Stats()
	require.Equal(t, uint64(4), st.Offered)
	require.Equal(t, uint64(4), st.Released)
	require.Equal(t, uint64(4), b.l.Stats().Delivered)
	require.Zero(t, st.Refused+b.l.Stats().Refused)
	require.Empty(t, a.logs.String()+b.logs.String())
}
