package world_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/sim/detcheck"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

func TestDeterministicSource(t *testing.T) { detcheck.AssertDeterministic(t, ".") }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newWorld returns a world for a test. Test frames may hold pointers to the test's logs,
// which no snapshot could hold: they run unregistered (Config.UnsavedFrames).
func newWorld(t *testing.T, cfg world.Config) *world.World {
	t.Helper()
	cfg.UnsavedFrames = true
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	w, err := world.New(cfg)
	require.NoError(t, err)
	t.Cleanup(w.Close)
	return w
}

func tick(t *testing.T, w *world.World, n int) {
	t.Helper()
	for range n {
		require.NoError(t, w.Tick())
	}
}

func TestConfigErrors(t *testing.T) {
	for cfg, want := range map[*world.Config]string{ // determinism: independent cases
		{Width: -1}:                   "world: map size -1×1024 out of range [1, 2^30]",
		{CellSize: -3}:                "world: cell size -3 out of range [1, 2^20]",
		{Width: 1 << 30, CellSize: 1}: "world: 1073741824×1024 map with cell size 1 has too many grid cells (limit 2^26); use larger cells",
		{MinDilation: 2}:              "world: MinDilation 2 out of range (0, 1]",
	} {
		_, err := world.New(*cfg)
		require.EqualError(t, err, want)
	}
}

func TestEntitiesSpawnDespawn(t *testing.T) {
	w := newWorld(t, world.Config{Seed: 1, Width: 100, Height: 100})
	sheep, wolf := w.Kind("sheep"), w.Kind("wolf")
	require.Equal(t, sheep, w.Kind("sheep"))
	a := w.NewEntity(sheep, world.Vec{X: 10, Y: 10})
	b := w.NewEntity(wolf, world.Vec{X: 500, Y: -4}) // clamped
	c := w.NewEntity(sheep, world.Vec{X: 30, Y: 30})
	require.Equal(t, world.Vec{X: 99, Y: 0}, w.Pos(b))
	require.True(t, w.Despawn(a))
	require.False(t, w.Despawn(a))
	require.False(t, w.Alive(a))
	// the last entity moved into the hole
	var ids []world.EntityID
	for _, e := range w.Entities() {
		ids = append(ids, e.ID)
	}
	require.Equal(t, []world.EntityID{c, b}, ids)
	d := w.NewEntity(wolf, world.Vec{})
	require.Equal(t, world.EntityID(4), d, "ids are never reused")
	require.Equal(t, "wolf", w.KindName(w.Entity(d).Kind))
	tick(t, w, 1)
	var log []string
	for _, ev := range w.Events() {
		log = append(log, fmt.Sprintf("%d %s %d", ev.Tick, ev.Type, ev.Entity))
	}
	require.Equal(t, []string{"0 spawn 1", "0 spawn 2", "0 spawn 3", "0 despawn 1", "0 spawn 4"}, log)
	tick(t, w, 1)
	require.Empty(t, w.Events())
}

func TestVelocityBounces(t *testing.T) {
	w := newWorld(t, world.Config{Width: 10, Height: 10})
	id := w.NewEntity(w.Kind("ball"), world.Vec{X: 8, Y: 1})
	w.SetVel(id, world.Vec{X: 3, Y: -2})
	var path []string
	for range 4 {
		tick(t, w, 1)
		e := w.Entity(id)
		path = append(path, fmt.Sprintf("%v%v", e.Pos, e.Vel))
	}
	require.Equal(t, []string{"{7 1}{-3 2}", "{4 3}{-3 2}", "{1 5}{-3 2}", "{2 7}{3 2}"}, path)
}

func TestGridQueriesMatchBruteForce(t *testing.T) {
	w := newWorld(t, world.Config{Seed: 7, Width: 300, Height: 200, CellSize: 16})
	kinds := []world.Kind{w.Kind("a"), w.Kind("b")}
	r := w.Rand()
	for i := range 800 {
		w.NewEntity(kinds[i%2], world.Vec{X: int32(r.IntN(300)), Y: int32(r.IntN(200))})
	}
	tick(t, w, 1)
	for q := range 300 {
		p := world.Vec{X: int32(r.IntN(340)) - 20, Y: int32(r.IntN(240)) - 20}
		rad := int32(r.IntN(60))
		skip := world.EntityID(r.IntN(800) + 1)
		var want []world.EntityID
		var nearest world.EntityID
		var nd int64
		for _, e := range w.Entities() {
			d := e.Pos.Dist2(p)
			if e.ID == skip || d > int64(rad)*int64(rad) {
				continue
			}
			want = append(want, e.ID)
			if e.Kind == kinds[1] && (nearest == 0 || d < nd || (d == nd && e.ID < nearest)) {
				nearest, nd = e.ID, d
			}
		}
		got := append([]world.EntityID{}, w.Near(p, rad, skip)...)
		slices.Sort(got)
		want = append([]world.EntityID{}, want...)
		slices.Sort(want)
		require.Equal(t, want, got, "query %d", q)
		require.Equal(t, len(want), w.CountNear(p, rad, skip))
		id, _, ok := w.Nearest(p, rad, kinds[1], skip)
		require.Equal(t, nearest != 0, ok)
		require.Equal(t, nearest, id)
	}
	// despawned during a tick: left out of queries at once
	e := w.Entities()[0]
	require.Contains(t, w.Near(e.Pos, 0, 0), e.ID)
	w.Despawn(e.ID)
	require.NotContains(t, w.Near(e.Pos, 0, 0), e.ID)
	require.Zero(t, w.CountNear(e.Pos, 0, 0)-len(w.Near(e.Pos, 0, 0)))
}

// watcherFrame collects its entity's AoI events from a mailbox into a log.
type watcherFrame struct {
	log   *[]string
	Self  world.EntityID
	Inbox world.Mailbox[world.AoIEvent]
}

func (f *watcherFrame) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	for {
		ev, ok := f.Inbox.TryTake(w)
		if !ok {
			break
		}
		*f.log = append(*f.log, fmt.Sprintf("tick %d: %d enter=%v", w.Now(), ev.Other, ev.Enter))
	}
	return f.Inbox.Wait(t).Then(0)
}

func TestInterestEnterLeave(t *testing.T) {
	w := newWorld(t, world.Config{Width: 200, Height: 200, CellSize: 10})
	k := w.Kind("x")
	me := w.NewEntity(k, world.Vec{X: 100, Y: 100})
	walker := w.NewEntity(k, world.Vec{X: 60, Y: 100})
	w.SetVel(walker, world.Vec{X: 10})
	var log []string
	inbox := world.NewMailbox[world.AoIEvent](w, me, "aoi")
	_, err := w.Attach(me, &watcherFrame{log: &log, Self: me, Inbox: inbox})
	require.NoError(t, err)
	w.SetInterest(me, 25, inbox)
	var events []string
	for range 8 {
		tick(t, w, 1)
		for _, ev := range w.Events() {
			if ev.Type == world.EventEnter || ev.Type == world.EventLeave {
				events = append(events, fmt.Sprintf("tick %d: %s %d", ev.Tick, ev.Type, ev.Other))
			}
		}
		if w.Now() == 3 {
			require.Equal(t, []world.EntityID{walker}, w.Visible(me))
		}
	}
	// the walker is at 70, 80, 90, ... after ticks 1, 2, 3: inside from x=75 to x=125
	require.Equal(t, []string{"tick 2: enter 2", "tick 7: leave 2"}, events)
	// the frame hears of each change at the next tick
	require.Equal(t, []string{"tick 3: 2 enter=true", "tick 8: 2 enter=false"}, log)
}

// echo is a mailbox actor that logs what it takes.
type echo struct {
	log   *[]string
	Inbox world.Mailbox[string]
	Wait  int
}

func (f *echo) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	switch t.At() {
	case 0, 1:
		if t.At() == 1 {
			if f.Inbox.TimedOut(t) {
				*f.log = append(*f.log, fmt.Sprintf("tick %d: timeout", w.Now()))
			}
		}
		for {
			m, ok := f.Inbox.TryTake(w)
			if !ok {
				break
			}
			*f.log = append(*f.log, fmt.Sprintf("tick %d: %s", w.Now(), m))
		}
		if f.Wait == 0 {
			return f.Inbox.Wait(t).Then(0)
		}
		return f.Inbox.WaitFor(t, f.Wait).Then(1)
	}
	return t.Raise(sim.ErrBadPC)
}

func TestMailboxInputsAndTimeouts(t *testing.T) {
	w := newWorld(t, world.Config{})
	var log []string
	mb := world.NewMailbox[string](w, 0, "echo")
	w.Spawn(&echo{log: &log, Inbox: mb, Wait: 3})
	require.True(t, mb.Post(w, "early")) // before the first tick: queued
	tick(t, w, 1)
	require.True(t, mb.Post(w, "input a"))
	require.True(t, mb.Post(w, "input b"))
	require.Equal(t, 2, mb.Len(w))
	tick(t, w, 6)
	require.Equal(t, []string{"tick 1: early", "tick 2: input a", "tick 2: input b", "tick 5: timeout"}, log)
	var got []any
	w.Channels(func(ci world.ChannelInfo) bool {
		if ci.Mailbox {
			require.Equal(t, "echo", ci.Name)
			require.Equal(t, -1, ci.Channel.Balance(), "the echo waits")
		}
		return true
	})
	mb.Post(w, "queued")
	w.EachMessage(mb.ID, func(m any) bool { got = append(got, m); return true })
	require.Equal(t, []any{"queued"}, got)
}

func TestMailboxLimit(t *testing.T) {
	w := newWorld(t, world.Config{})
	mb := world.NewMailbox[int](w, 0, "full")
	for i := range world.MaxMailboxLen {
		require.True(t, mb.Post(w, i))
	}
	require.False(t, mb.Post(w, -1))
	v, ok := mb.TryTake(w)
	require.True(t, ok)
	require.Equal(t, 0, v)
	require.False(t, world.Mailbox[int]{ID: 999}.Post(w, 1))
	require.False(t, world.Mailbox[string]{ID: mb.ID}.Post(w, "wrong type"))
}

// TestMailboxGivesBackABurstsRoom: a mailbox that held a burst of messages keeps no more
// than 256 messages' room once they are read; it once kept the burst's for good.
func TestMailboxGivesBackABurstsRoom(t *testing.T) {
	w := newWorld(t, world.Config{})
	mb := world.NewMailbox[int](w, 0, "burst")
	for i := range 10_000 {
		require.True(t, mb.Post(w, i))
	}
	require.GreaterOrEqual(t, world.MailboxCap(w, mb.ID), 10_000)
	for i := range 10_000 {
		v, ok := mb.TryTake(w)
		require.True(t, ok)
		require.Equal(t, i, v)
	}
	require.LessOrEqual(t, world.MailboxCap(w, mb.ID), 256)
	for i := range 100 { // small traffic keeps its room
		require.True(t, mb.Post(w, i))
		_, ok := mb.TryTake(w)
		require.True(t, ok)
	}
	require.Positive(t, world.MailboxCap(w, mb.ID))
}

// runaway never yields.
type runaway struct{ N int }

func (f *runaway) Step(t *sim.T) sim.Op {
	f.N++
	return t.Goto(0)
}

// chatter yields instead of sleeping (up to 10,000 times): it never leaves the tick.
type chatter struct{ N int }

func (f *chatter) Step(t *sim.T) sim.Op {
	if f.N == 10_000 {
		return t.Exit()
	}
	f.N++
	return t.Schedule().Then(0)
}

// counter counts its ticks.
type counter struct{ N int }

func (f *counter) Step(t *sim.T) sim.Op {
	f.N++
	return t.NextTick().Then(0)
}

func TestTickBudgetPreemptsRunaway(t *testing.T) {
	w := newWorld(t, world.Config{TickBudget: 100})
	r := &runaway{}
	c := &counter{}
	w.Spawn(r)
	w.Spawn(c)
	tick(t, w, 5)
	require.Equal(t, 5, c.N, "the world keeps ticking")
	require.Equal(t, 500, r.N)
	require.EqualValues(t, 5, w.Stats().Preempted)
	require.EqualValues(t, 1, w.LastTiming().Preempted)
}

// Entities that yield to each other forever, instead of sleeping, are pre-empted by the
// budget like a loop: the tick ends.
func TestTickBudgetPreemptsYielders(t *testing.T) {
	w := newWorld(t, world.Config{TickBudget: 100})
	a, b, c := &chatter{}, &chatter{}, &counter{}
	w.Spawn(a)
	w.Spawn(b)
	w.Spawn(c)
	tick(t, w, 5)
	require.Equal(t, []int{5, 500, 500}, []int{c.N, a.N, b.N})
	require.EqualValues(t, 10, w.Stats().Preempted)
}

// failing fails at its second step.
type failing struct{ Self world.EntityID }

func (f *failing) Step(t *sim.T) sim.Op {
	if t.At() == 0 {
		return t.NextTick().Then(1)
	}
	return t.Raise(errors.New("boom"))
}

func TestFailuresAreReported(t *testing.T) {
	var logged strings.Builder
	w := newWorld(t, world.Config{Logger: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))})
	id := w.SpawnEntity(w.Kind("x"), world.Vec{}, func(id world.EntityID) sim.Frame { return &failing{Self: id} })
	mon := world.NewMailbox[world.Exit](w, 0, "monitor")
	w.Monitor(w.TaskletOf(id).ID(), mon)
	c := &counter{}
	w.Spawn(c)
	tick(t, w, 3)
	require.Equal(t, 3, c.N)
	require.Equal(t, []world.Failure{{Tick: 2, Tasklet: 2, Entity: id, Err: "boom"}}, w.Failures())
	require.EqualValues(t, 1, w.FailureCount())
	ex, ok := mon.TryTake(w)
	require.True(t, ok)
	require.Equal(t, world.Exit{Tasklet: 2, Entity: id, Tick: 2, Err: "boom"}, ex)
	require.Equal(t, "level=WARN msg=\"tasklet failed\" tick=2 tasklet=2 entity=1 err=boom\n", logged.String())
}

func TestDilationFromInjectedClock(t *testing.T) {
	var now time.Duration
	clock := func() time.Duration { now += 5 * time.Millisecond; return now } // each read: +5 ms
	w := newWorld(t, world.Config{WallBudget: 2 * time.Millisecond, Clock: clock})
	require.Equal(t, 1.0, w.Dilation())
	tick(t, w, 3) // every tick measures 5 ms against a 2 ms budget
	require.InDelta(t, 0.4, w.Dilation(), 1e-9)
	require.Equal(t, 250*time.Millisecond, w.Interval(100*time.Millisecond))
	tm := w.Timings(nil)
	require.Len(t, tm, 3)
	require.Equal(t, 5*time.Millisecond, tm[2].Wall)
	require.EqualValues(t, 3, tm[2].Tick)

	slow := newWorld(t, world.Config{WallBudget: time.Microsecond, Clock: clock})
	tick(t, slow, 1)
	require.Equal(t, world.DefaultMinDilation, slow.Dilation())
}

func TestViews(t *testing.T) {
	w := newWorld(t, world.Config{})
	w.Spawn(&counter{})
	mb := world.NewMailbox[string](w, 0, "box")
	var log []string
	w.Spawn(&echo{log: &log, Inbox: mb})
	ch := world.Chan[int](w, "ticks")
	require.Equal(t, ch, world.Chan[int](w, "ticks"))
	require.Equal(t, "ticks", w.ChannelName(ch.ID()))
	tick(t, w, 1)
	var states []string
	w.Tasklets(sim.AllStates, func(tk *sim.Tasklet) bool {
		fs := world.FrameStack(nil, tk)
		line := fmt.Sprintf("%d %s", tk.ID(), tk.State())
		for _, f := range fs {
			line += fmt.Sprintf(" %s@%d", f.Type, f.PC)
		}
		states = append(states, line)
		return true
	})
	require.Equal(t, []string{"1 runnable", "3 blocked *world_test.echo@0", "2 sleeping *world_test.counter@0"}, states)
	n := 0
	w.Tasklets(sim.States(sim.StateSleeping), func(*sim.Tasklet) bool { n++; return true })
	require.Equal(t, 1, n)
	require.Equal(t, sim.ID(3), w.Tasklet(3).ID())
	st := w.Stats()
	require.Equal(t, 1, st.Tasklets.Sleeping)
	require.Equal(t, 1, st.Tasklets.Blocked)
}

// A mailbox is dropped with its owner: at the end of the tick in which the owner despawned,
// or, while another tasklet still waits on it, once that tasklet stops waiting.
func TestMailboxesDropWithTheirOwner(t *testing.T) {
	w := newWorld(t, world.Config{})
	kind := w.Kind("npc")
	var log []string
	owner := w.NewEntity(kind, world.Vec{})
	inbox := world.NewMailbox[string](w, owner, "inbox")
	_, err := w.Attach(owner, &echo{log: &log, Inbox: inbox})
	require.NoError(t, err)
	shared := w.NewEntity(kind, world.Vec{})
	watched := world.NewMailbox[string](w, shared, "watched")
	stranger := w.Spawn(&echo{log: &log, Inbox: watched}) // waits on shared's mailbox, owned by no entity
	keep := world.NewMailbox[string](w, 0, "unowned")
	tick(t, w, 1)
	require.True(t, inbox.Post(w, "hello"))
	require.True(t, watched.Post(w, "hi"))
	tick(t, w, 1)
	require.Equal(t, []string{"tick 2: hello", "tick 2: hi"}, log)

	require.True(t, w.Despawn(owner))
	require.True(t, w.Despawn(shared))
	require.True(t, inbox.Post(w, "unread")) // until the tick ends, the mailbox is still there
	tick(t, w, 1)
	require.Equal(t, []sim.ChanID{watched.ID, keep.ID}, w.Mailboxes(), "inbox dropped; watched has a waiter")
	require.Nil(t, w.Scheduler().Channel(inbox.ID))
	require.False(t, inbox.Post(w, "too late"))
	require.Equal(t, 0, inbox.Len(w))

	require.NoError(t, stranger.Kill(w.Scheduler().Main()).Wait())
	tick(t, w, 1)
	require.Equal(t, []sim.ChanID{keep.ID}, w.Mailboxes())
	require.Nil(t, w.Scheduler().Channel(watched.ID))
	require.True(t, keep.Post(w, "still here"))
}

// Despawning an entity drops the monitor of its tasklet: the kill is no failure, so the
// monitor would never hear of it and its entry would stay forever.
func TestDespawnDropsTheMonitor(t *testing.T) {
	w := newWorld(t, world.Config{})
	mon := world.NewMailbox[world.Exit](w, 0, "monitor")
	a := w.SpawnEntity(w.Kind("x"), world.Vec{}, func(world.EntityID) sim.Frame { return &counter{} })
	b := w.SpawnEntity(w.Kind("x"), world.Vec{}, func(world.EntityID) sim.Frame { return &counter{} })
	w.Monitor(w.TaskletOf(a).ID(), mon)
	w.Monitor(w.TaskletOf(b).ID(), mon)
	tick(t, w, 1)
	require.True(t, w.Despawn(a))
	tick(t, w, 1)
	st, err := w.Snapshot()
	require.NoError(t, err)
	require.Equal(t, []world.MonitorSnapshot{{Tasklet: w.TaskletOf(b).ID(), Mailbox: mon.ID}}, st.Monitors)
	require.Equal(t, 0, mon.Len(w), "a kill posts no Exit")
}

func TestAnEndedTaskletLosesItsMonitor(t *testing.T) {
	w := newWorld(t, world.Config{})
	mon := world.NewMailbox[world.Exit](w, 0, "monitor")
	done := w.Spawn(&ender{})
	w.Monitor(done.ID(), mon)
	tick(t, w, 1)
	require.False(t, done.Alive())
	st, err := w.Snapshot()
	require.NoError(t, err)
	require.Empty(t, st.Monitors, "the monitor of a tasklet that ended normally is dropped")
	require.Equal(t, 0, mon.Len(w), "a normal end posts no Exit")
}

// ender ends at its first step.
type ender struct{}

func (f *ender) Step(t *sim.T) sim.Op { return t.Exit() }

// TestChannelNamesAreIndexed: ChannelName finds a named channel, a mailbox and nothing,
// without allocating (it no longer sorts every name per call), as channels are named and
// after a load, whose names it indexes anew.
func TestChannelNamesAreIndexed(t *testing.T) {
	w := newWorld(t, cfgQuiet())
	mb := world.NewMailbox[string](w, 0, "box")
	var ids []sim.ChanID
	for _, name := range []string{"c", "a", "b"} {
		ids = append(ids, world.Chan[int](w, name).ID())
		require.Equal(t, name, w.ChannelName(ids[len(ids)-1]))
	}
	names := func(w *world.World) []string {
		var got []string
		for _, id := range append(ids, mb.ID, 999) {
			got = append(got, w.ChannelName(id))
		}
		return got
	}
	require.Equal(t, []string{"c", "a", "b", "box", ""}, names(w))
	require.Zero(t, testing.AllocsPerRun(100, func() { w.ChannelName(ids[1]) }))

	data, err := w.Save(world.DefaultCodec())
	require.NoError(t, err)
	l, err := world.Load(world.DefaultCodec(), data, cfgQuiet())
	require.NoError(t, err)
	t.Cleanup(l.Close)
	require.Equal(t, []string{"c", "a", "b", "box", ""}, names(l))
	d := world.Chan[int](l, "d").ID()
	require.Equal(t, "d", l.ChannelName(d))
	require.Zero(t, testing.AllocsPerRun(100, func() { l.ChannelName(d) }))
}
