package actors_test

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/sim/detcheck"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

func TestDeterministicSource(t *testing.T) { detcheck.AssertDeterministic(t, ".") }

// newWorld returns a world for a test. Test frames may hold pointers to the test's logs,
// which no snapshot could hold: they run unregistered (Config.UnsavedFrames).
func newWorld(t *testing.T, cfg world.Config) *world.World {
	t.Helper()
	cfg.UnsavedFrames = true
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
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

// ---- mailbox actor ----

type Deposit struct{ Amount int }

// Bank is an actor's state: it keeps a balance and a log.
type Bank struct {
	Balance int
	Log     []string
	Idles   int
}

func (b *Bank) Handle(w *world.World, t *sim.T, m Deposit) sim.Frame {
	b.Balance += m.Amount
	b.Log = append(b.Log, fmt.Sprintf("tick %d: +%d = %d", w.Now(), m.Amount, b.Balance))
	if m.Amount < 0 {
		return &pause{Ticks: 2} // a slow withdrawal: the next deposit waits
	}
	return nil
}

func (b *Bank) Idle(w *world.World, t *sim.T) sim.Frame {
	b.Idles++
	b.Log = append(b.Log, fmt.Sprintf("tick %d: idle", w.Now()))
	return nil
}

type pause struct{ Ticks int }

func (f *pause) Step(t *sim.T) sim.Op {
	if t.At() == 0 {
		return t.Sleep(f.Ticks).Then(1)
	}
	return t.Return()
}

func TestActorHandlesMailInOrder(t *testing.T) {
	w := newWorld(t, world.Config{})
	inbox := world.NewMailbox[Deposit](w, 0, "bank")
	a := &actors.Actor[Deposit, Bank, *Bank]{Inbox: inbox, IdleTicks: 5}
	w.Spawn(a)
	inbox.Post(w, Deposit{10})
	inbox.Post(w, Deposit{-3})
	inbox.Post(w, Deposit{5})
	tick(t, w, 1)
	inbox.Post(w, Deposit{1})
	tick(t, w, 10)
	require.Equal(t, []string{"tick 1: +10 = 10", "tick 1: +-3 = 7", "tick 3: +5 = 12", "tick 3: +1 = 13", "tick 8: idle"}, a.State.Log)
	require.EqualValues(t, 4, a.Handled)
}

// ---- request/reply ----

type Ping struct{ N int }
type Pong struct{ N int }

// server answers pings after Delay ticks.
type server struct {
	Inbox world.Mailbox[actors.Request[Ping, Pong]]
	Delay int
	Req   actors.Request[Ping, Pong]
}

func (f *server) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	switch t.At() {
	case 0:
		req, ok := f.Inbox.TryTake(w)
		if !ok {
			return f.Inbox.Wait(t).Then(0)
		}
		f.Req = req
		return t.Sleep(f.Delay).Then(1)
	case 1:
		f.Req.Respond(w, Pong{N: f.Req.Body.N * 10})
		return t.Goto(0)
	}
	return t.Raise(sim.ErrBadPC)
}

// client asks three pings and logs the answers.
type client struct {
	log     *[]string
	Server  world.Mailbox[actors.Request[Ping, Pong]]
	Replies world.Mailbox[actors.Reply[Pong]]
	N       int
}

func (f *client) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	switch t.At() {
	case 1:
		a := sim.Child[*actors.Ask[Ping, Pong]](t)
		*f.log = append(*f.log, fmt.Sprintf("tick %d: ping %d: ok=%v pong %d", w.Now(), a.Body.N, a.OK, a.Reply.N))
		fallthrough
	case 0:
		if f.N == 3 {
			return t.Exit()
		}
		f.N++
		return t.Call(&actors.Ask[Ping, Pong]{To: f.Server, ReplyTo: f.Replies, Body: Ping{N: f.N}, Timeout: 3}).Then(1)
	}
	return t.Raise(sim.ErrBadPC)
}

func TestAskReplyAndTimeout(t *testing.T) {
	w := newWorld(t, world.Config{})
	srv := world.NewMailbox[actors.Request[Ping, Pong]](w, 0, "server")
	s := &server{Inbox: srv, Delay: 1}
	w.Spawn(s)
	var log []string
	w.Spawn(&client{log: &log, Server: srv, Replies: world.NewMailbox[actors.Reply[Pong]](w, 0, "replies")})
	tick(t, w, 2)
	s.Delay = 5 // the server slows down: the next asks time out; the late replies are dropped
	tick(t, w, 15)
	require.Equal(t, []string{
		"tick 2: ping 1: ok=true pong 10",
		"tick 3: ping 2: ok=true pong 20",
		"tick 6: ping 3: ok=false pong 0",
	}, log)
}

// ---- timers ----

type tickLog struct {
	log   *[]string
	Inbox world.Mailbox[string]
}

func (f *tickLog) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	for {
		m, ok := f.Inbox.TryTake(w)
		if !ok {
			break
		}
		*f.log = append(*f.log, fmt.Sprintf("tick %d: %s", w.Now(), m))
	}
	return f.Inbox.Wait(t).Then(0)
}

func TestTimers(t *testing.T) {
	w := newWorld(t, world.Config{})
	mb := world.NewMailbox[string](w, 0, "alarms")
	var log []string
	w.Spawn(&tickLog{log: &log, Inbox: mb})
	actors.After(w, 3, mb, "once")
	actors.Every(w, 2, 3, mb, "every 2")
	tick(t, w, 10)
	require.Equal(t, []string{"tick 2: every 2", "tick 3: once", "tick 4: every 2", "tick 6: every 2"}, log)
	require.Equal(t, 1, w.Stats().Tasklets.Total()-1, "the timers ended")
}

// ---- NPCs ----

func TestChaseCatchesAndFleeRuns(t *testing.T) {
	w := newWorld(t, world.Config{Seed: 3, Width: 400, Height: 400})
	wolf, deer := w.Kind("wolf"), w.Kind("deer")
	d := w.SpawnEntity(deer, world.Vec{X: 200, Y: 200}, (&actors.Flee{From: wolf, Speed: 1, Sight: 50}).New)
	c := &actors.Chase{Prey: deer, Speed: 3, Sight: 80, Reach: 3, Eat: true}
	wid := w.NewEntity(wolf, world.Vec{X: 150, Y: 200})
	chase := c.New(wid).(*actors.Chase)
	_, err := w.Attach(wid, chase)
	require.NoError(t, err)
	tick(t, w, 2)
	require.Equal(t, actors.StateChase, w.Entity(wid).State)
	flee := w.TaskletOf(d).Top().(*actors.Flee)
	var states []uint16
	for i := 0; i < 200 && w.Alive(d); i++ {
		if st := w.Entity(d).State; len(states) == 0 || states[len(states)-1] != st {
			states = append(states, st)
		}
		tick(t, w, 1)
	}
	require.Contains(t, states, actors.StateFlee)
	require.Positive(t, flee.Fled)
	require.False(t, w.Alive(d), "caught and eaten")
	require.Equal(t, 1, chase.Caught)
	var types []world.EventType
	for _, ev := range w.Events() {
		types = append(types, ev.Type)
	}
	require.Contains(t, types, world.EventDespawn)
}

func TestPatrolVisitsItsPoints(t *testing.T) {
	w := newWorld(t, world.Config{})
	pts := []world.Vec{{X: 10, Y: 10}, {X: 50, Y: 10}, {X: 50, Y: 40}}
	p := &actors.Patrol{Speed: 5, Points: pts}
	id := w.NewEntity(w.Kind("guard"), pts[0])
	fr := p.New(id).(*actors.Patrol)
	_, err := w.Attach(id, fr)
	require.NoError(t, err)
	var visits []world.Vec
	last := -1
	for range 60 {
		tick(t, w, 1)
		if fr.Next != last {
			last = fr.Next
			visits = append(visits, pts[fr.Next])
		}
	}
	require.Equal(t, []world.Vec{pts[1], pts[2], pts[0], pts[1]}, visits[:4])
	require.Equal(t, 3, fr.Laps) // a lap of 120 units at 5 per tick, less the reach at each point
}

func TestWanderStaysOnTheMapAndQueries(t *testing.T) {
	w := newWorld(t, world.Config{Seed: 9, Width: 64, Height: 64, CellSize: 8})
	k := w.Kind("sheep")
	tmpl := &actors.Wander{Speed: 3, Sight: 10}
	var frames []*actors.Wander
	for range 50 {
		id := w.NewEntity(k, actors.RandomIn(w, actors.Rect{}))
		f := tmpl.New(id).(*actors.Wander)
		frames = append(frames, f)
		_, err := w.Attach(id, f)
		require.NoError(t, err)
	}
	tick(t, w, 100)
	seen := 0
	for _, f := range frames {
		seen += int(f.Seen)
	}
	require.Positive(t, seen)
	for _, e := range w.Entities() {
		require.True(t, e.Pos.X >= 0 && e.Pos.X < 64 && e.Pos.Y >= 0 && e.Pos.Y < 64, "%v", e.Pos)
		require.Equal(t, actors.StateWander, e.State)
	}
}

// ---- spawner ----

func TestSpawnerKeepsPopulation(t *testing.T) {
	w := newWorld(t, world.Config{Seed: 5})
	k := w.Kind("rabbit")
	sp := &actors.Spawner{Kind: k, Max: 10, Every: 5, Batch: 4, Brain: actors.Wander{Speed: 1},
		Area: actors.Rect{Min: world.Vec{X: 100, Y: 100}, Max: world.Vec{X: 200, Y: 200}}}
	w.Spawn(sp)
	var counts []int
	for range 4 {
		tick(t, w, 1)
		counts = append(counts, w.Len())
		tick(t, w, 4)
	}
	require.Equal(t, []int{4, 8, 10, 10}, counts)
	for _, id := range sp.Alive[:3] {
		w.Despawn(id)
	}
	tick(t, w, 5)
	require.Equal(t, 10, w.Len())
	require.EqualValues(t, 13, sp.Spawned)
	for range 1000 {
		p := actors.RandomIn(w, sp.Area)
		require.True(t, p.X >= 100 && p.X < 200 && p.Y >= 100 && p.Y < 200, "%v", p)
	}
}

// ---- supervision ----

// Flaky fails at its Fail-th step (counting ticks from its start).
type Flaky struct {
	Self world.EntityID
	Fail int
	N    int
}

func (f Flaky) New(self world.EntityID) sim.Frame { return &Flaky{Self: self, Fail: f.Fail} }

func (f *Flaky) Step(t *sim.T) sim.Op {
	f.N++
	if f.N == f.Fail {
		return t.Raise(fmt.Errorf("flaky %d broke", f.Self))
	}
	return t.NextTick().Then(0)
}

func TestSupervisorRestartsThenEscalates(t *testing.T) {
	var logged strings.Builder
	h := slog.NewTextHandler(&logged, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
	w := newWorld(t, world.Config{Logger: slog.New(h)})
	id := w.NewEntity(w.Kind("x"), world.Vec{})
	sup := actors.NewSupervisor(w, "sup", actors.Policy{MaxRestarts: 2, WindowTicks: 10},
		actors.Child{Name: "flaky", Entity: id, Start: Flaky{Fail: 3}})
	st := w.Spawn(sup)
	tick(t, w, 12)
	// fails at ticks 3, 5 (restarted), 7: the third failure within 10 ticks escalates
	require.False(t, st.Alive())
	var fails []string
	for _, f := range w.Failures() {
		fails = append(fails, fmt.Sprintf("tick %d tasklet %d entity %d: %s", f.Tick, f.Tasklet, f.Entity, f.Err))
	}
	require.Equal(t, []string{
		"tick 3 tasklet 3 entity 1: flaky 1 broke",
		"tick 5 tasklet 4 entity 1: flaky 1 broke",
		"tick 7 tasklet 5 entity 1: flaky 1 broke",
		`tick 7 tasklet 2 entity 0: actors: supervisor 2: child "flaky" failed more than 2 times in 10 ticks (last: flaky 1 broke); escalating`,
	}, fails)
	require.EqualValues(t, 2, sup.Restarts)
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	require.Len(t, lines, 7, logged.String())
	require.Equal(t, `level=INFO msg="supervisor restarts child" supervisor=2 child=flaky tasklet=3 tick=3 "restarts in window"=1 err="flaky 1 broke"`, lines[1])
	require.Equal(t, `level=ERROR msg="supervisor escalates" supervisor=2 child=flaky tasklet=5 tick=7 err="flaky 1 broke"`, lines[5])
}

func TestRootSupervisorRestartsGroup(t *testing.T) {
	w := newWorld(t, world.Config{})
	id := w.NewEntity(w.Kind("x"), world.Vec{})
	group := actors.NewSupervisor(w, "group", actors.Policy{MaxRestarts: 1, WindowTicks: 100},
		actors.Child{Name: "flaky", Entity: id, Start: Flaky{Fail: 2}})
	root := actors.NewSupervisor(w, "root", actors.Policy{MaxRestarts: 10, WindowTicks: 100},
		actors.Child{Name: "group", Start: *group})
	w.Spawn(root)
	tick(t, w, 20)
	require.Positive(t, root.Restarts)
	require.True(t, w.TaskletOf(id).Alive(), "the group and its child were started again")
	require.Equal(t, w.TaskletOf(id).ID(), w.Entity(id).Tasklet)
}

// ---- scenarios ----

func TestScenarioErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{`, "scenario: unexpected EOF"},
		{`{"kinds": [], "bogus": 1}`, `scenario: json: unknown field "bogus"`},
		{`{}`, `scenario: no kinds (add "kinds": [{"name": ..., "count": ..., "behaviour": ...}])`},
		{`{"map": {"width": -5}, "kinds": [{"name": "a", "behaviour": "wander"}]}`, "scenario: map: world: map size -5×1024 out of range [1, 2^30]"},
		{`{"kinds": [{"name": "a", "behaviour": "dance"}]}`, `scenario: kind "a": unknown behaviour "dance" (one of: wander, patrol, chase, flee, trader, customer)`},
		{`{"kinds": [{"name": "a", "behaviour": "chase", "sight": 5}]}`, `scenario: kind "a": behaviour "chase" needs "prey"`},
		{`{"kinds": [{"name": "a", "behaviour": "flee", "from": "b", "sight": 5}]}`, `scenario: kind "a": from "b" is not a kind of the scenario`},
		{`{"kinds": [{"name": "a", "behaviour": "customer", "trader": "a"}]}`, `scenario: kind "a": trader "a" has behaviour "customer", want "trader"`},
		{`{"kinds": [{"name": "a", "behaviour": "wander"}, {"name": "a", "behaviour": "wander"}]}`, `scenario: kind "a" appears twice`},
		{`{"kinds": [{"name": "a", "behaviour": "wander", "count": -1}]}`, `scenario: kind "a": negative count -1`},
		{`{"kinds": [{"name": "a", "behaviour": "chase", "prey": "a"}]}`, `scenario: kind "a": behaviour "chase" needs a sight > 0`},
		{`{"interest_cap": -1, "kinds": [{"name": "a", "behaviour": "wander"}]}`, "scenario: map: world: InterestCap -1 out of range [0, 65536]"},
		// issue 12's crowd: 6k of 33k entities see 256 units on a 1024² map
		{`{"kinds": [{"name": "s", "behaviour": "wander", "count": 27000}, {"name": "d", "behaviour": "flee", "from": "w", "sight": 256, "count": 3000},
			{"name": "w", "behaviour": "chase", "prey": "d", "sight": 256, "count": 3000}]}`,
			`scenario: sight of the chase and flee kinds: world: areas of interest would hold about 3.89e+07 (watcher, entity) pairs, more than the limit of 16777216 (world.MaxInterestPairs); lower the radii or the number of watchers, or set an interest cap ("interest_cap": 64 keeps the 64 nearest)`},
	} {
		_, err := actors.ParseScenario([]byte(c.in))
		require.EqualError(t, err, c.want, c.in)
	}
	capped := `{"interest_cap": 64, "kinds": [{"name": "s", "behaviour": "wander", "count": 27000}, {"name": "d", "behaviour": "flee", "from": "w", "sight": 256, "count": 3000},
		{"name": "w", "behaviour": "chase", "prey": "d", "sight": 256, "count": 3000}]}`
	sc, err := actors.ParseScenario([]byte(capped))
	require.NoError(t, err, "with a cap")
	require.Equal(t, int32(64), sc.Config(0).InterestCap)
}

// TestSpawnerAtTheEndOfEntityIDs: a spawner whose world has used up its entity ids fails
// with an error saying so (reported as a failure), instead of panicking or wrapping.
func TestSpawnerAtTheEndOfEntityIDs(t *testing.T) {
	w := newWorld(t, world.Config{Seed: 5})
	k := w.Kind("rabbit")
	w.Spawn(&actors.Spawner{Kind: k, Max: 10, Every: 1, Batch: 4, Brain: actors.Wander{Speed: 1}})
	codec := world.DefaultCodec()
	data, err := w.Save(codec)
	require.NoError(t, err)
	s, st, err := codec.Decode(data)
	require.NoError(t, err)
	st.NextEntity = world.MakeEntityID(0, world.MaxEntitySerial-5) // six ids left
	w, err = world.Restore(s, st, world.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer w.Close()
	tick(t, w, 3)
	require.Equal(t, 6, w.Len())
	require.Equal(t, uint64(0), w.EntityIDsLeft())
	fs := w.Failures()
	require.Len(t, fs, 1)
	require.Equal(t, "actors: spawner of rabbit: the world's entity ids are used up (281474976710654 issued)", fs[0].Err)
}

// TestSpawnerSettingsRefused: a snapshot whose spawner would keep 2^40 entities, all in one
// batch, is refused at load with the frame named; one made in code fails at its first step.
func TestSpawnerSettingsRefused(t *testing.T) {
	w := newWorld(t, world.Config{Seed: 5})
	k := w.Kind("rabbit")
	w.Spawn(&actors.Spawner{Kind: k, Max: 10, Every: 1, Batch: 4, Brain: actors.Wander{Speed: 1}})
	tick(t, w, 1)
	codec := world.DefaultCodec()
	data, err := w.Save(codec)
	require.NoError(t, err)
	s, st, err := codec.Decode(data)
	require.NoError(t, err)
	var id sim.ID
	s.Each(func(t *sim.Tasklet) bool {
		if sp, ok := t.Top().(*actors.Spawner); ok {
			sp.Max, sp.Batch, id = 1<<40, 0, t.ID()
		}
		return true
	})
	_, err = world.Restore(s, st, world.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.EqualError(t, err, fmt.Sprintf("world: load: tasklet %d, frame 0 (*actors.Spawner): actors: spawner: Max 1099511627776 out of range [0, 4000000]", id))

	w2 := newWorld(t, world.Config{Seed: 5})
	w2.Spawn(&actors.Spawner{Kind: w2.Kind("rabbit"), Max: 1 << 40, Brain: actors.Wander{Speed: 1}})
	tick(t, w2, 1)
	require.Equal(t, 0, w2.Len())
	require.Len(t, w2.Failures(), 1)
	require.Equal(t, "actors: spawner: Max 1099511627776 out of range [0, 4000000]", w2.Failures()[0].Err)
}
