package xchan_test

import (
	"slices"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world/xchan"
	"github.com/stretchr/testify/require"
)

// bothPair opens zones a and b with the two-way channel "c" declared on both.
func bothPair(t testing.TB) (a, b *zone, ca, cb sim.Chan[string]) {
	t.Helper()
	s := startNATS(t)
	a, b = newZone(t, s, "a", "b", 1), newZone(t, s, "b", "a", 2)
	var err error
	ca, err = xchan.Both[string](a.l, "c")
	require.NoError(t, err)
	cb, err = xchan.Both[string](b.l, "c")
	require.NoError(t, err)
	return a, b, ca, cb
}

// One channel used both ways: a's sender feeds b's receiver, later b's sender feeds a's
// receiver. A receiver waiting at a boundary claims a value (tick N); the peer hands over
// the value of its oldest blocked sender at its next boundary (N+1), releasing that
// sender; the receiver gets the value at the boundary after (N+2).
func TestBothWays(t *testing.T) {
	a, b, ca, cb := bothPair(t)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	ts := []*sim.Tasklet{
		a.w.Spawn(&sender{Ch: ca, Log: "a", Name: "x", N: 3}),
		b.w.Spawn(&receiver{Ch: cb, Log: "b", Name: "rb", N: 3}),
		b.w.Spawn(&sender{Ch: cb, Log: "b", Name: "y", Delay: 12, N: 2}),
		a.w.Spawn(&receiver{Ch: ca, Log: "a", Name: "ra", Delay: 12, N: 2}),
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
		a.w.Spawn(&sender{Ch: ca, Log: "a", Name: "x", N: 2}),
		b.w.Spawn(&receiver{Ch: cb, Log: "b", Name: "rb", N: 1}),           // claims at b's boundary 1
		a.w.Spawn(&receiver{Ch: ca, Log: "a", Name: "ra", Delay: 1, N: 1}), // takes x-0 in tick 2
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
				z.w.Spawn(&sender{Ch: ch, Log: log, Name: z.name + "s", Delay: 5 * i, N: 4}),
				z.w.Spawn(&receiver{Ch: ch, Log: log, Name: z.name + "r", Delay: 5 * (1 - i), Pause: 1 + i, N: 4}))
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
