package xchan_test

import (
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world/xchan"
	"github.com/stretchr/testify/require"
)

// Spec: case 13 (send_exception) across zones. An error sent on a cross-zone channel is
// raised by the receiver at its receive: the first error of its chain registered with
// persist crosses as itself (so sim.ErrStopIteration ends an iteration with Next, and
// sim.ErrTaskletExit is raised as a kill); an error registered nowhere arrives as
// xchan.ErrRemote, its text logged where it was sent.
func TestErrorsCrossZones(t *testing.T) {
	a, b, send, recv := pair(t)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	var ts []*sim.Tasklet
	for i, end := range []string{"door", "gone", "stop", "exit", "oops"} {
		name := string(rune('v' + i))
		ts = append(ts,
			a.w.Spawn(&party{Ch: send, Log: "a", Name: name, Delay: 10 * i, N: 1, End: end}),
			b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: "r" + name, Delay: 10 * i}))
	}
	runUntil(t, 200, dead(ts...), a, b)
	require.Equal(t, []string{
		"send v-0", "sent v-0", "send error door", // released like any sender
		"send w-0", "sent w-0", "send error gone",
		"send x-0", "sent x-0", "send error stop",
		"send y-0", "sent y-0", "send error exit",
		"send z-0", "sent z-0", "send error oops",
	}, text(*outA))
	require.Equal(t, []string{
		"rv recv", "rv got v-0", "rv recv", "rv recv failed: sim: send/receive operation on a closed channel",
		"rw recv", "rw got w-0", "rw recv", "rw recv failed: gone",
		"rx recv", "rx got x-0", "rx recv", "rx end", // StopIteration ends the iteration
		"ry recv", "ry got y-0", "ry recv", "ry recv failed: sim: tasklet exit", // its Catch sees TaskletExit
		"rz recv", "rz got z-0", "rz recv", "rz recv failed: " + xchan.ErrRemote.Error(),
	}, text(*outB))
	require.Equal(t, uint64(5), b.l.Stats().Errors)
	require.Equal(t, uint64(10), b.l.Stats().Delivered)
	require.Contains(t, a.logs.String(), `msg="xchan: a sender sends an error not registered with persist.RegisterError; the receiver raises xchan.ErrRemote" link=a->b channel=c tasklet=6 err=oops`)
	require.Empty(t, b.logs.String())
}

// A receiver restored from a save taken while an error from the peer waits to be raised
// in it raises that error.
func TestErrorSurvivesSave(t *testing.T) {
	a, b, send, recv := pair(t)
	newLog(t, "a")
	out := newLog(t, "b")
	snd := a.w.Spawn(&party{Ch: send, Log: "a", Name: "x", End: "gone"})
	b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: "r"})
	runUntil(t, 100, func() bool { return b.l.Stats().Errors == 1 }, a, b)
	b = crash(t, startNATSFor(b), b, save(t, b))
	_, err := xchan.In[string](b.l, "c")
	require.NoError(t, err)
	var raised []*sim.Tasklet
	b.w.Scheduler().Each(func(tk *sim.Tasklet) bool {
		if tk.PendingError() == errGone {
			raised = append(raised, tk)
		}
		return true
	})
	require.Len(t, raised, 1, "the receiver is restored with the error to raise")
	catchUp(t, b, a.w.Now())
	runUntil(t, 100, dead(snd, raised[0]), a, b)
	require.Equal(t, []string{"r recv", "r recv failed: gone"}, text(*out))
}
