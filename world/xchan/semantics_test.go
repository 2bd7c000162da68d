package xchan_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world/xchan"
	"github.com/stretchr/testify/require"
)

// pair opens zones a (sending) and b (receiving) with channel "c" declared.
func pair(t testing.TB) (a, b *zone, send, recv sim.Chan[string]) {
	return linked(t, xchan.Out[string], xchan.In[string])
}

// bothPair opens zones a and b with the two-way channel "c" declared on both.
func bothPair(t testing.TB) (a, b *zone, ca, cb sim.Chan[string]) {
	return linked(t, xchan.Both[string], xchan.Both[string])
}

// linked opens zones a and b, each with its own NATS connection to one embedded server,
// and declares channel "c" on a's link with declA and on b's with declB.
func linked(t testing.TB, declA, declB func(*xchan.Link, string) (sim.Chan[string], error)) (a, b *zone, ca, cb sim.Chan[string]) {
	t.Helper()
	s := startNATS(t)
	a, b = newZone(t, s, "a", "b", 1), newZone(t, s, "b", "a", 2)
	var err error
	ca, err = declA(a.l, "c")
	require.NoError(t, err)
	cb, err = declB(b.l, "c")
	require.NoError(t, err)
	return a, b, ca, cb
}

// matching returns the lines of out that contain one of words, without their ticks.
func matching(out []string, words ...string) []string {
	var got []string
	for _, l := range text(out) {
		if slices.ContainsFunc(words, func(w string) bool { return strings.Contains(l, w) }) {
			got = append(got, l)
		}
	}
	return got
}

// Many senders, many receivers: every value arrives once, and the values are taken in the
// order their senders blocked (a's channel queue), whichever receiver takes them.
func TestOrderManySenders(t *testing.T) {
	a, b, send, recv := pair(t)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	var ts []*sim.Tasklet
	for i := range 5 {
		ts = append(ts, a.w.Spawn(&party{Ch: send, Log: "a", Name: fmt.Sprintf("s%d", i), Delay: i % 3, N: 10}))
	}
	for i := range 3 {
		ts = append(ts, b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: fmt.Sprintf("r%d", i), Pause: i, N: []int{20, 20, 10}[i]}))
	}
	runUntil(t, 500, dead(ts...), a, b)

	var sent, got []string
	for _, l := range matching(*outA, "send ") {
		sent = append(sent, strings.TrimPrefix(l, "send "))
	}
	for _, l := range matching(*outB, " got ") {
		_, v, _ := strings.Cut(l, " got ")
		got = append(got, v)
	}
	require.Len(t, sent, 50)
	require.Equal(t, sent, got, "values taken in the order their senders blocked")
	require.Equal(t, uint64(50), a.l.Stats().Released)
	require.Equal(t, uint64(50), b.l.Stats().Delivered)
}

// A sender blocks until a receiver of the peer takes its value; the balance counts it on
// both sides.
func TestSenderBlocksUntilTaken(t *testing.T) {
	a, b, send, recv := pair(t)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	snd := a.w.Spawn(&party{Ch: send, Log: "a", Name: "x", N: 1})
	rcv := b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: "r", Delay: 19, N: 1})
	runUntil(t, 10, func() bool { return a.w.Now() == 10 }, a, b)
	requireBalance(t, a, 1)
	requireBalance(t, b, 1)
	runUntil(t, 100, dead(snd, rcv), a, b)
	require.Equal(t, []string{"1 send x-0", "22 sent x-0"}, *outA)
	// The receiver blocks in tick 20; b's boundary 20 delivers the value offered at a's
	// boundary 1; a's boundary 21 applies b's message of tick 20 and releases the sender.
	require.Equal(t, []string{"20 r recv", "21 r got x-0"}, *outB)
	requireBalance(t, a, 0)
	requireBalance(t, b, 0)
}

// A receiver blocks until a sender of the peer comes.
func TestReceiverBlocksUntilSent(t *testing.T) {
	a, b, send, recv := pair(t)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	snd := a.w.Spawn(&party{Ch: send, Log: "a", Name: "x", Delay: 19, N: 1})
	rcv := b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: "r", N: 1})
	runUntil(t, 10, func() bool { return a.w.Now() == 10 }, a, b)
	requireBalance(t, a, -1)
	requireBalance(t, b, -1)
	runUntil(t, 100, dead(snd, rcv), a, b)
	require.Equal(t, []string{"20 send x-0", "23 sent x-0"}, *outA)
	require.Equal(t, []string{"1 r recv", "22 r got x-0"}, *outB)
}

func requireBalance(t testing.TB, z *zone, want int) {
	t.Helper()
	got, err := z.l.Balance("c")
	require.NoError(t, err)
	require.Equal(t, want, got, "balance seen from zone %s at tick %d", z.name, z.w.Now())
}

// Close on the sending side, as Stackless's close: values offered before are delivered,
// sends that would block fail with sim.ErrClosed (on the sending side, every send would
// block), and the receiving end closes once drained, so that an iteration there ends.
func TestCloseFromSender(t *testing.T) {
	a, b, send, recv := pair(t)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	snd := a.w.Spawn(&party{Ch: send, Log: "a", Name: "x", N: 2})
	rcv := b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: "r", Pause: 10})
	step(t, a, b) // x-0 offered
	step(t, a, b)
	require.NoError(t, a.l.Close("c"))
	late := a.w.Spawn(&party{Ch: send, Log: "a", Name: "late", N: 1})
	runUntil(t, 100, dead(snd, rcv, late), a, b)
	require.Equal(t, []string{
		"send x-0",
		"send late-0",
		"send failed: sim: send on channel 2 by tasklet 3: send/receive operation on a closed channel",
		"sent x-0", // offered before the close: delivered
		"send x-1",
		"send failed: sim: send on channel 2 by tasklet 2: send/receive operation on a closed channel",
	}, text(*outA))
	require.Equal(t, []string{"r recv", "r got x-0", "r recv", "r end"}, text(*outB))
	require.True(t, recv.In(b.w.Scheduler()).Closed())
	require.True(t, send.In(a.w.Scheduler()).Closed())
}

// Close on the receiving side: while its receiver waits, a send of the peer does not
// block (as on a local channel) and is served; once the peer hears that no receiver
// waits, its sends fail with sim.ErrClosed.
func TestCloseFromReceiver(t *testing.T) {
	a, b, send, recv := pair(t)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	rcv := b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: "r", N: 1})
	step(t, a, b)
	require.NoError(t, b.l.Close("c"))
	snd := a.w.Spawn(&party{Ch: send, Log: "a", Name: "x", Delay: 5, N: 2})
	runUntil(t, 100, dead(snd, rcv), a, b)
	require.Equal(t, []string{"send x-0", "sent x-0", "send x-1",
		"send failed: sim: send on channel 2 by tasklet 2: send/receive operation on a closed channel"}, text(*outA))
	require.Equal(t, []string{"r recv", "r got x-0"}, text(*outB))
}

// One link carries several channels, one each way: requests from a to b on "req", replies
// from b to a on "rep" (a channel used both ways is two channels).
func TestTwoChannelsBothWays(t *testing.T) {
	s := startNATS(t)
	a, b := newZone(t, s, "a", "b", 1), newZone(t, s, "b", "a", 2)
	outA, outB := newLog(t, "a"), newLog(t, "b")
	reqA, err := xchan.Out[string](a.l, "req")
	require.NoError(t, err)
	repA, err := xchan.In[string](a.l, "rep")
	require.NoError(t, err)
	reqB, err := xchan.In[string](b.l, "req")
	require.NoError(t, err)
	repB, err := xchan.Out[string](b.l, "rep")
	require.NoError(t, err)
	ts := []*sim.Tasklet{
		a.w.Spawn(&party{Ch: reqA, Log: "a", Name: "q", N: 3}),
		a.w.Spawn(&party{Recv: true, Ch: repA, Log: "a", Name: "ra", N: 3}),
		b.w.Spawn(&party{Recv: true, Ch: reqB, Log: "b", Name: "rb", N: 3}),
		b.w.Spawn(&party{Ch: repB, Log: "b", Name: "p", N: 3}),
	}
	runUntil(t, 100, dead(ts...), a, b)
	require.Equal(t, []string{"rb got q-0", "rb got q-1", "rb got q-2"}, matching(*outB, " got "))
	require.Equal(t, []string{"ra got p-0", "ra got p-1", "ra got p-2"}, matching(*outA, " got "))
	require.Equal(t, uint64(3), a.l.Stats().Delivered)
	require.Equal(t, uint64(3), a.l.Stats().Released)
}

// Values too many for one message (here 12 of 60 KB on two channels, against 512 KB of values in a
// message) go out over the next boundaries, in order, each once.
func TestLargeValuesSpanMessages(t *testing.T) {
	if raceOn {
		t.Skip("copies megabytes per tick: seconds under the race detector; no goroutine of its own to check")
	}
	s := startNATS(t)
	a, b := newZone(t, s, "a", "b", 1), newZone(t, s, "b", "a", 2)
	newLog(t, "a")
	out := newLog(t, "b")
	big := strings.Repeat("v", 60<<10)
	var ts []*sim.Tasklet
	for _, name := range []string{"c1", "c2"} {
		send, err := xchan.Out[string](a.l, name)
		require.NoError(t, err)
		recv, err := xchan.In[string](b.l, name)
		require.NoError(t, err)
		for i := range 6 {
			ts = append(ts, a.w.Spawn(&party{Ch: send, Log: "a", Name: fmt.Sprintf("%s%02d%s", name, i, big), N: 1}))
		}
		ts = append(ts, b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: name, N: 6}))
	}
	runUntil(t, 100, dead(ts...), a, b)
	got := map[string][]string{}
	for _, l := range matching(*out, " got ") {
		name, v, _ := strings.Cut(l, " got ")
		require.Len(t, v, 4+len(big)+2)
		got[name] = append(got[name], v[:4])
	}
	for _, name := range []string{"c1", "c2"} {
		var want []string
		for i := range 6 {
			want = append(want, fmt.Sprintf("%s%02d", name, i))
		}
		require.Equal(t, want, got[name])
	}
	require.Zero(t, b.l.Stats().Refused)
	sent := a.l.Stats().Bytes
	require.Greater(t, sent, uint64(12*len(big)))
	require.Less(t, sent, uint64(13*len(big)), "no value sent twice")
}
