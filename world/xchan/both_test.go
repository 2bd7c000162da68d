package xchan_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world/xchan"
	"github.com/stretchr/testify/require"
)

// One channel used both ways: a's sender feeds b's receiver, later b's sender feeds a's
// receiver. A receiver waiting at a boundary claims a value (tick N); the peer hands over
// the value of its oldest blocked sender at its next boundary (N+1), releasing that
// sender; the receiver gets the value at the boundary after (N+2).
func TestBothWays(t *testing.T) {
	a, b, ca, cb := bothPair(t)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	ts := []*sim.Tasklet{
		a.w.Spawn(&party{Ch: ca, Log: "a", Name: "x", N: 3}),
		b.w.Spawn(&party{Recv: true, Ch: cb, Log: "b", Name: "rb", N: 3}),
		b.w.Spawn(&party{Ch: cb, Log: "b", Name: "y", Delay: 12, N: 2}),
		a.w.Spawn(&party{Recv: true, Ch: ca, Log: "a", Name: "ra", Delay: 12, N: 2}),
	}
	runUntil(t, 100, dead(ts...), a, b)
	require.Equal(t, []string{
		"1 send x-0", "3 sent x-0", // claimed at b's boundary 1, handed over at a's 2
		"3 send x-1", "6 sent x-1",
		"6 send x-2", "9 sent x-2",
		"13 ra recv", "16 ra got y-0",
		"16 ra recv", "19 ra got y-1",
	}, *outA)
	require.Equal(t, []string{
		"1 rb recv", "4 rb got x-0", // delivered at b's boundary 3
		"4 rb recv", "7 rb got x-1",
		"7 rb recv", "10 rb got x-2",
		"13 send y-0", "15 sent y-0",
		"15 send y-1", "18 sent y-1",
	}, *outB)
	sa, sb := a.l.Stats(), b.l.Stats()
	require.Equal(t, [3]uint64{3, 3, 2}, [3]uint64{sa.Offered, sa.Released, sa.Delivered}, "zone a: handed over, released, delivered")
	require.Equal(t, [3]uint64{2, 2, 3}, [3]uint64{sb.Offered, sb.Released, sb.Delivered}, "zone b")
	requireBalance(t, a, 0)
	requireBalance(t, b, 0)
	require.Empty(t, a.logs.String()+b.logs.String())
}

// Who takes a value when both zones have receivers: a receiver of the sender's own zone
// takes it during the tick, as on any channel; the peer's claim is served at the sender
// zone's boundary by the sender blocked then. Each value is taken once.
func TestBothLocalReceiverFirst(t *testing.T) {
	a, b, ca, cb := bothPair(t)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	ts := []*sim.Tasklet{
		a.w.Spawn(&party{Ch: ca, Log: "a", Name: "x", N: 2}),
		b.w.Spawn(&party{Recv: true, Ch: cb, Log: "b", Name: "rb", N: 1}),           // claims at b's boundary 1
		a.w.Spawn(&party{Recv: true, Ch: ca, Log: "a", Name: "ra", Delay: 1, N: 1}), // takes x-0 in tick 2
	}
	runUntil(t, 100, dead(ts...), a, b)
	require.Equal(t, []string{
		"1 send x-0",
		"2 ra recv", "2 ra got x-0", // here, at once: the sender goes to the end of the ring
		"2 sent x-0", "2 send x-1", // x-1 blocks; a's boundary 2 hands it to b's claim
		"3 sent x-1",
	}, *outA)
	require.Equal(t, []string{"1 rb recv", "4 rb got x-1"}, *outB)
	require.Equal(t, uint64(1), a.l.Stats().Offered)
	require.Equal(t, uint64(1), b.l.Stats().Delivered)
}

// Both zones send and receive at once: every value is taken once, each sender's values in
// order, and two runs give the same ticks (the claims and hand-overs are decided at
// boundaries from the peer's message of the tick before).
func TestBothContended(t *testing.T) {
	run := func() (outA, outB []string) {
		a, b, ca, cb := bothPair(t)
		la, lb := newLog(t, "a"), newLog(t, "b")
		var ts []*sim.Tasklet
		for i, z := range []*zone{a, b} {
			ch, log := []sim.Chan[string]{ca, cb}[i], z.name
			ts = append(ts,
				z.w.Spawn(&party{Ch: ch, Log: log, Name: z.name + "s", Delay: 5 * i, N: 4}),
				z.w.Spawn(&party{Recv: true, Ch: ch, Log: log, Name: z.name + "r", Delay: 5 * (1 - i), Pause: 1 + i, N: 4}))
		}
		runUntil(t, 200, dead(ts...), a, b)
		return *la, *lb
	}
	outA, outB := run()
	outA2, outB2 := run()
	require.Equal(t, outA, outA2)
	require.Equal(t, outB, outB2)
	require.Equal(t, []string{
		"1 send as-0", "3 sent as-0", // claimed by br at b's boundary 1
		"3 send as-1",                               // no claim from b: br sleeps
		"6 ar recv", "6 ar got as-1", "6 sent as-1", // taken here
		"6 send as-2", "7 ar recv", "7 ar got as-2", "7 sent as-2",
		"7 send as-3", "8 ar recv", "8 ar got as-3", "8 sent as-3",
		"9 ar recv", "12 ar got bs-3", // claimed at a's boundary 9, handed over at b's 10
	}, outA)
	require.Equal(t, []string{
		"1 br recv", "4 br got as-0",
		"6 send bs-0", "6 br recv", "6 br got bs-0", "6 sent bs-0",
		"6 send bs-1", "8 br recv", "8 br got bs-1", "8 sent bs-1",
		"8 send bs-2", "10 br recv", "10 br got bs-2", "10 sent bs-2",
		"10 send bs-3", "11 sent bs-3",
	}, outB)
	got := append(matching(outA, " got "), matching(outB, " got ")...)
	slices.Sort(got)
	require.Equal(t, []string{"ar got as-1", "ar got as-2", "ar got as-3", "ar got bs-3",
		"br got as-0", "br got bs-0", "br got bs-1", "br got bs-2"}, got, "each value once")
}

// Close on a two-way channel, from the side that sends: the receiver of the peer still
// gets the value of the sender queued when the close took effect here (it was queued, as
// in Stackless), the next send fails with sim.ErrClosed, and the peer's iteration ends
// once nothing of the closer's is left.
func TestBothCloseFromSender(t *testing.T) {
	a, b, ca, cb := bothPair(t)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	ts := []*sim.Tasklet{
		a.w.Spawn(&party{Ch: ca, Log: "a", Name: "x", N: 3}),
		b.w.Spawn(&party{Recv: true, Ch: cb, Log: "b", Name: "r", Pause: 5}),
	}
	step(t, a, b)
	step(t, a, b)
	require.NoError(t, a.l.Close("c")) // r waits in b (a knows of tick 1): a's end stays open
	runUntil(t, 100, dead(ts...), a, b)
	require.Equal(t, []string{
		"1 send x-0", "3 sent x-0",
		"3 send x-1", // before a's end closes at boundary 4: queued
		"11 sent x-1",
		"11 send x-2", "11 send failed: sim: send on channel 2 by tasklet 2: send/receive operation on a closed channel",
	}, *outA)
	require.Equal(t, []string{"1 r recv", "4 r got x-0", "9 r recv", "12 r got x-1", "17 r recv", "17 r end"}, *outB)
	require.True(t, ca.In(a.w.Scheduler()).Closed())
	require.True(t, cb.In(b.w.Scheduler()).Closed())
}

// Close on a two-way channel, from the side that receives: its end closes once nothing
// of the peer's is queued or on its way, and its iteration ends there. A close reaches
// the peer at its next boundary: a sender that blocks there in between stays queued, as
// a tasklet queued before a Stackless close does (close wakes nobody).
func TestBothCloseFromReceiver(t *testing.T) {
	a, b, ca, cb := bothPair(t)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	x := a.w.Spawn(&party{Ch: ca, Log: "a", Name: "x", N: 3})
	r := b.w.Spawn(&party{Recv: true, Ch: cb, Log: "b", Name: "r", Pause: 5})
	step(t, a, b)
	step(t, a, b)
	require.NoError(t, b.l.Close("c"))
	runUntil(t, 100, dead(r), a, b)
	for range 5 {
		step(t, a, b)
	}
	require.Equal(t, []string{"1 send x-0", "3 sent x-0", "3 send x-1"}, *outA)
	require.Equal(t, []string{"1 r recv", "4 r got x-0", "9 r recv", "9 r end"}, *outB)
	require.True(t, x.Blocked(), "x-1 blocked in a's tick 3, before b's close reached a")
	require.True(t, ca.In(a.w.Scheduler()).Closing())
	require.True(t, cb.In(b.w.Scheduler()).Closed())
	requireBalance(t, a, 1)
}

// case20Both opens case 20 on a two-way channel: a runs the master, b the slave.
func case20Both(t *testing.T) (a, b *zone, m, sl *sim.Tasklet, out *[]string) {
	t.Helper()
	a, b, ca, cb := bothPair(t)
	out = newLog(t, "b")
	return a, b, a.w.Spawn(&master{Ch: ca}), b.w.Spawn(&slave{Ch: cb, Log: "b"}), out
}

// Spec: case 20 on a two-way channel, with its ticks: the slave's claim of boundary N is
// served at the master's boundary N+1 and delivered at the slave's N+2.
func TestCase20Both(t *testing.T) {
	a, b, m, sl, out := case20Both(t)
	runUntil(t, 100, dead(m, sl), a, b)
	require.Equal(t, []string{
		"1 SLAVE STARTING", "4 SLAVE: ECHO 1", "7 SLAVE: ECHO 2", "10 SLAVE: ECHO 3",
		"13 SLAVE: QUIT", "13 SLAVE ENDING",
	}, *out)
}

// The receiving zone of a two-way channel saves while its slave waits, takes ECHO 2 and
// ECHO 3, dies and comes back from its save: its claims and acknowledgements go back, the
// master's zone sends again what the save does not cover, and the slave prints case 20's
// output once.
func TestBothRestartReceiverFromSave(t *testing.T) {
	a, b, m, _, out := case20Both(t)
	runTo(t, 5, a, b)
	path := save(t, b)
	kept := len(*out)
	runTo(t, 11, a, b)
	require.Equal(t, []string{"SLAVE STARTING", "SLAVE: ECHO 1", "SLAVE: ECHO 2", "SLAVE: ECHO 3"}, text(*out))

	b = crash(t, startNATSFor(a), b, path)
	*out = (*out)[:kept]
	cb, err := xchan.Both[string](b.l, "c")
	require.NoError(t, err)
	sl := cb.In(b.w.Scheduler()).Head()
	require.NotNil(t, sl, "the slave is restored blocked")
	catchUp(t, b, a.w.Now())
	runUntil(t, 100, dead(m, sl), a, b)
	require.Equal(t, case20Output, text(*out))
	require.Empty(t, a.logs.String()+b.logs.String())
}

// The sending zone of a two-way channel saves while its master is blocked, hands ECHO 2
// and ECHO 3 over, dies and comes back from its save: the restored master hands them over
// again with the same sequence numbers, the slave's zone takes each once.
func TestBothRestartSenderFromSave(t *testing.T) {
	a, b, _, sl, out := case20Both(t)
	runTo(t, 4, a, b) // ECHO 2 blocked since tick 3; the slave claims it at b's boundary 4
	path := save(t, a)
	runTo(t, 11, a, b)
	require.Equal(t, []string{"SLAVE STARTING", "SLAVE: ECHO 1", "SLAVE: ECHO 2", "SLAVE: ECHO 3"}, text(*out))

	a = crash(t, startNATSFor(b), a, path)
	ca, err := xchan.Both[string](a.l, "c")
	require.NoError(t, err)
	m := ca.In(a.w.Scheduler()).Head()
	require.NotNil(t, m, "the master is restored blocked")
	require.Equal(t, "ECHO 2", m.TempVal())
	catchUp(t, a, b.w.Now())
	runUntil(t, 100, dead(m, sl), a, b)
	require.Equal(t, case20Output, text(*out))
	require.Equal(t, uint64(4), b.l.Stats().Delivered, "each value once: ECHO 2 and 3, handed over again, were taken already")
	require.Equal(t, uint64(3), a.l.Stats().Offered, "the restored zone hands over ECHO 2, ECHO 3 and QUIT")
}

// A sender on a two-way channel whose value cannot cross zones raises xchan.ErrValue when
// a receiver of the peer claims it, and the next sender's value goes instead.
func TestBothValueTooLarge(t *testing.T) {
	a, b, ca, cb := bothPair(t)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	big := strings.Repeat("v", xchan.MaxValueBytes)
	ts := []*sim.Tasklet{
		a.w.Spawn(&party{Ch: ca, Log: "a", Name: big, N: 1}),
		a.w.Spawn(&party{Ch: ca, Log: "a", Name: "x", N: 1}),
		b.w.Spawn(&party{Recv: true, Ch: cb, Log: "b", Name: "r", N: 1}),
	}
	runUntil(t, 100, dead(ts...), a, b)
	require.Equal(t, []string{"send x-0", "send failed: " + xchan.ErrValue.Error(), "sent x-0"}, matching(*outA, "x-0", "failed"))
	require.Equal(t, []string{"r recv", "r got x-0"}, text(*outB))
	require.Contains(t, a.logs.String(), `"xchan: a sender's value cannot cross zones; it raises xchan.ErrValue" link=a->b channel=c tasklet=2 err="65543 bytes, more than MaxValueBytes (65536)"`)
}

// Balance on a two-way channel counts both zones' blocked tasklets, the peer's as of its
// last message: a sender in each zone makes 2 seen from either side; a receiver of a
// serving a's sender makes 1, once b has heard of it.
func TestBothBalance(t *testing.T) {
	a, b, ca, cb := bothPair(t)
	newLog(t, "a")
	newLog(t, "b")
	a.w.Spawn(&party{Ch: ca, Log: "a", Name: "x", N: 1})
	b.w.Spawn(&party{Ch: cb, Log: "b", Name: "y", N: 1})
	step(t, a, b)
	step(t, a, b)
	requireBalance(t, a, 2)
	requireBalance(t, b, 2)
	a.w.Spawn(&party{Recv: true, Ch: ca, Log: "a", Name: "r", N: 1})
	step(t, a, b)
	requireBalance(t, a, 1) // here at once; b's sender still counted
	requireBalance(t, b, 2) // b applies a's message of this tick at its next boundary
	step(t, a, b)
	requireBalance(t, b, 1)
}
