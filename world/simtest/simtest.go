// Package simtest is seeded simulation testing of whole worlds (TigerBeetle's VOPR, for
// Stackworld): a seed makes a random world — every behaviour of package actors (wander,
// patrol, chase, flee, traders under supervision that fail now and then, customers with
// request/reply timeouts, spawners), agents that do random scheduler, channel and mailbox
// operations (package doc of Agent), shared channels with every preference, areas of
// interest with and without a cap — and drives it with random inputs between ticks.
//
// The world runs twice in lock step: once straight through, once saved and loaded into a
// fresh World at random ticks. After every tick both must pass the scheduler's
// CheckInvariants, agree with the brute-force definition of their areas of interest,
// have emitted the same events, and save to the same bytes; every reload must save back
// to the bytes it was loaded from. A failure is a *Failure that names the seed, the tick
// and a one-line command that reproduces it.
//
// Everything a run does follows from its seed: the same seed fails the same way at the
// same tick, on every machine.
package simtest

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// Options says what to run. The zero value runs seed 0 for DefaultTicks.
type Options struct {
	Seed  uint64
	Ticks int // 0: DefaultTicks
	// Check, if not nil, runs after every tick's checks with the two worlds (straight and
	// reloaded): a hook for more invariants.
	Check func(straight, reloaded *world.World) error
}

// DefaultTicks is how many ticks Run runs when Options.Ticks is 0.
const DefaultTicks = 300

// Result summarises a run that passed.
type Result struct {
	Seed     uint64
	Ticks    int
	Reloads  int    // save → load cycles of the reloaded world
	Entities int    // at the end
	Tasklets int    // alive at the end
	Failures uint64 // tasklet failures the world reported (expected: agents throw)
	Events   int    // events checked
	Checksum uint64 // the world's checksum at the end
	Bytes    int    // the size of the last snapshot
}

func (r Result) String() string {
	return fmt.Sprintf("seed %d: %d ticks, %d reloads, %d entities, %d tasklets, %d failures, %d events, %d-byte snapshot, checksum %016x",
		r.Seed, r.Ticks, r.Reloads, r.Entities, r.Tasklets, r.Failures, r.Events, r.Bytes, r.Checksum)
}

// A Failure is a run that broke a rule: which seed, at which tick, what.
type Failure struct {
	Seed  uint64
	Ticks int    // the run's length (for the reproduction)
	Tick  uint64 // the tick after which the rule broke (0: while building)
	Err   error
}

func (f *Failure) Error() string {
	return fmt.Sprintf("simtest: seed %d, tick %d: %v", f.Seed, f.Tick, f.Err)
}

func (f *Failure) Unwrap() error { return f.Err }

// Repro returns the command that runs the failing seed again.
func (f *Failure) Repro() string {
	return fmt.Sprintf("go run ./cmd/stackworld simtest --seed %d --ticks %d", f.Seed, f.Ticks)
}

// Run builds the seed's world and runs it, checking after every tick. It returns a
// *Failure if a rule broke. Cost: two worlds of a few hundred entities, and three saves and
// one brute-force interest check per tick.
func Run(opts Options) (Result, error) {
	ticks := opts.Ticks
	if ticks <= 0 {
		ticks = DefaultTicks
	}
	r := &runner{opts: opts, ticks: ticks, drive: rand.New(rand.NewPCG(opts.Seed, 0x5eed))}
	res, err := r.run()
	if err != nil {
		return res, &Failure{Seed: opts.Seed, Ticks: ticks, Tick: r.tick, Err: err}
	}
	return res, nil
}

type runner struct {
	opts     Options
	ticks    int
	tick     uint64
	drive    *rand.Rand // inputs between ticks and the reload schedule (not the worlds' RNG)
	cfg      world.Config
	sc       *actors.Scenario
	chans    []sim.ChanID
	straight *world.World
	reloaded *world.World
	codec    world.Codec
}

func (r *runner) run() (Result, error) {
	r.codec = world.DefaultCodec()
	var err error
	if r.straight, err = r.build(); err != nil {
		return Result{}, err
	}
	defer func() { r.straight.Close() }()
	if r.reloaded, err = r.build(); err != nil {
		return Result{}, err
	}
	defer func() { r.reloaded.Close() }()
	res := Result{Seed: r.opts.Seed, Ticks: r.ticks}
	for range r.ticks {
		if r.drive.IntN(12) == 0 {
			if err := r.reload(); err != nil {
				return res, err
			}
			res.Reloads++
		}
		for _, w := range []*world.World{r.straight, r.reloaded} {
			if err := w.Tick(); err != nil {
				return res, fmt.Errorf("tick: %w", err)
			}
		}
		r.tick = r.straight.Now()
		n, err := r.check()
		if err != nil {
			return res, err
		}
		res.Events += n
		if err := r.inputs(); err != nil {
			return res, err
		}
	}
	data, err := r.straight.Save(r.codec)
	if err != nil {
		return res, err
	}
	st := r.straight.Stats()
	res.Entities, res.Failures, res.Checksum, res.Bytes = st.Entities, st.Failures, r.straight.Checksum(), len(data)
	res.Tasklets = st.Tasklets.Total()
	return res, nil
}

// build makes the seed's world: the same one every time (from the seed alone).
func (r *runner) build() (*world.World, error) {
	rng := rand.New(rand.NewPCG(r.opts.Seed, 0xb111d))
	side := int32(128 + 64*rng.IntN(4))
	r.cfg = world.Config{
		Seed: r.opts.Seed, Width: side, Height: side, CellSize: int32(8 << rng.IntN(3)),
		TickBudget: uint32(40 + rng.IntN(200)),
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if rng.IntN(4) == 0 {
		r.cfg.InterestCap = int32(1 + rng.IntN(8))
	}
	r.sc = randomScenario(rng, side)
	w, err := world.New(r.cfg)
	if err != nil {
		return nil, err
	}
	if err := actors.Populate(w, r.sc); err != nil {
		w.Close()
		return nil, err
	}
	r.chans = r.chans[:0]
	for range 2 + rng.IntN(5) {
		c := w.Scheduler().NewChannel()
		c.SetPreference(rng.IntN(3) - 1)
		c.SetScheduleAll(rng.IntN(4) == 0)
		r.chans = append(r.chans, c.ID())
	}
	kind := w.Kind("agent")
	tmpl := Agent{Chans: slices.Clone(r.chans), Kind: kind, Max: r.sc.Entities() + 60}
	for range 4 + rng.IntN(16) {
		id := w.SpawnEntity(kind, world.Vec{X: rng.Int32N(side), Y: rng.Int32N(side)}, tmpl.New)
		if rng.IntN(2) == 0 {
			w.SetInterest(id, 8+rng.Int32N(side/3), world.Mailbox[world.AoIEvent]{})
		}
	}
	return w, nil
}

// randomScenario returns a small scenario with every behaviour of package actors.
func randomScenario(rng *rand.Rand, side int32) *actors.Scenario {
	n := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	sight := func() int32 { return int32(8 + rng.IntN(int(side)/4)) }
	return &actors.Scenario{
		Name: "simtest",
		Map:  actors.MapSpec{Width: side, Height: side},
		Kinds: []actors.KindSpec{
			{Name: "sheep", Count: n(2, 20), Behaviour: "wander", Speed: int32(n(1, 4)), Sight: sight(), Crowd: int32(n(0, 5))},
			{Name: "deer", Count: n(2, 15), Behaviour: "flee", From: "wolf", Speed: int32(n(1, 5)), Sight: sight(), Respawn: rng.IntN(2) == 0},
			{Name: "wolf", Count: n(1, 6), Behaviour: "chase", Prey: "deer", Speed: int32(n(1, 6)), Sight: sight(), Eat: rng.IntN(2) == 0},
			{Name: "guard", Count: n(1, 8), Behaviour: "patrol", Speed: int32(n(1, 3)), Route: n(2, 5), Span: int32(n(10, 80))},
			{Name: "trader", Count: n(1, 4), Behaviour: "trader", FailOneIn: uint32(n(5, 40)), Supervise: rng.IntN(2) == 0},
			{Name: "customer", Count: n(1, 10), Behaviour: "customer", Trader: "trader", Speed: 2, Sight: sight(), AskEvery: n(1, 8), Timeout: n(1, 5)},
		},
	}
}

// inputs applies the same random inputs to both worlds between ticks: the main program
// posts, spawns, despawns, moves and closes.
func (r *runner) inputs() error {
	for range r.drive.IntN(3) {
		op, x, y := r.drive.IntN(6), r.drive.Uint64(), r.drive.Uint64()
		for _, w := range []*world.World{r.straight, r.reloaded} {
			input(w, r.chans, op, x, y)
		}
	}
	return nil
}

func input(w *world.World, chans []sim.ChanID, op int, x, y uint64) {
	es := w.Entities()
	if len(es) == 0 {
		return
	}
	id := es[x%uint64(len(es))].ID
	cfg := w.Config()
	switch op {
	case 0:
		if in, ok := inboxes.Get(w, id); ok {
			world.Mailbox[Msg]{ID: in.ID}.Post(w, Msg{N: y})
		}
	case 1:
		k, _ := w.LookupKind("agent")
		w.SpawnEntity(k, world.Vec{X: int32(y % uint64(cfg.Width)), Y: int32(y / 7 % uint64(cfg.Height))},
			Agent{Chans: chans, Kind: k, Max: len(es) + 20}.New)
	case 2:
		w.Despawn(id)
	case 3:
		w.SetPos(id, world.Vec{X: int32(y % uint64(cfg.Width)), Y: int32(y / 7 % uint64(cfg.Height))})
	case 4:
		if c := w.Scheduler().Channel(chans[y%uint64(len(chans))]); c != nil {
			if c.Closing() {
				c.Open()
			} else {
				c.Close()
			}
		}
	case 5:
		w.SetInterest(id, int32(y%64), world.Mailbox[world.AoIEvent]{})
	}
}

// reload saves the reloaded world and loads it into a fresh World, which must save back
// to the same bytes.
func (r *runner) reload() error {
	data, err := r.reloaded.Save(r.codec)
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	w, err := world.Load(r.codec, data, r.cfg)
	if err != nil {
		return fmt.Errorf("load of a world just saved: %w", err)
	}
	again, err := w.Save(r.codec)
	if err != nil {
		w.Close()
		return fmt.Errorf("save after load: %w", err)
	}
	if !bytes.Equal(data, again) {
		w.Close()
		return fmt.Errorf("save → load → save changed the snapshot: %s", firstDiff(data, again))
	}
	r.reloaded.Close()
	r.reloaded = w
	return nil
}

// check runs the rules after a tick and returns the number of events compared.
func (r *runner) check() (int, error) {
	a, b := r.straight, r.reloaded
	for _, w := range []*world.World{a, b} {
		if err := w.Scheduler().CheckInvariants(); err != nil {
			return 0, err
		}
		if err := checkInterest(w); err != nil {
			return 0, err
		}
	}
	// the events of the tick (those the main program caused before it are not saved)
	ea, eb := tickEvents(a), tickEvents(b)
	if !slices.Equal(ea, eb) {
		return 0, fmt.Errorf("the reloaded world's events differ: %s", eventDiff(ea, eb))
	}
	if a.Checksum() != b.Checksum() {
		return 0, fmt.Errorf("checksums differ: %016x straight, %016x reloaded", a.Checksum(), b.Checksum())
	}
	da, err := a.Save(r.codec)
	if err != nil {
		return 0, fmt.Errorf("save: %w", err)
	}
	db, err := b.Save(r.codec)
	if err != nil {
		return 0, fmt.Errorf("save the reloaded world: %w", err)
	}
	if !bytes.Equal(da, db) {
		return 0, fmt.Errorf("the reloaded world saves other bytes: %s", firstDiff(da, db))
	}
	if r.opts.Check != nil {
		if err := r.opts.Check(a, b); err != nil {
			return 0, err
		}
	}
	return len(ea), nil
}

func tickEvents(w *world.World) []world.Event {
	es := w.Events()
	i := 0
	for i < len(es) && es[i].Tick < w.Now() {
		i++
	}
	return es[i:]
}

// checkInterest compares every area of interest with its definition: the entities within
// the radius (the cap nearest, ties to the smaller id), by id.
func checkInterest(w *world.World) error {
	capN := int(w.Config().InterestCap)
	es := w.Entities()
	for i := range es {
		e := &es[i]
		if e.Interest <= 0 {
			continue
		}
		want := bruteVisible(es, e, capN)
		if got := w.Visible(e.ID); !slices.Equal(got, want) {
			return fmt.Errorf("entity %d at %v, radius %d: visible %v, want %v", e.ID, e.Pos, e.Interest, got, want)
		}
	}
	return nil
}

func bruteVisible(es []world.Entity, me *world.Entity, capN int) []world.EntityID {
	type cand struct {
		id world.EntityID
		d2 int64
	}
	r2 := int64(me.Interest) * int64(me.Interest)
	var cs []cand
	for i := range es {
		if d := es[i].Pos.Dist2(me.Pos); es[i].ID != me.ID && d <= r2 {
			cs = append(cs, cand{es[i].ID, d})
		}
	}
	if capN > 0 && len(cs) > capN {
		slices.SortFunc(cs, func(a, b cand) int { return cmp.Or(cmp.Compare(a.d2, b.d2), cmp.Compare(a.id, b.id)) })
		cs = cs[:capN]
	}
	ids := make([]world.EntityID, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.id)
	}
	slices.Sort(ids)
	return ids
}

func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return fmt.Sprintf("%d and %d bytes, first difference at byte %d", len(a), len(b), i)
}

func eventDiff(a, b []world.Event) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	at := func(es []world.Event) string {
		if i < len(es) {
			return fmt.Sprintf("%+v", es[i])
		}
		return "none"
	}
	return fmt.Sprintf("%d and %d events, first difference at %d: straight %s, reloaded %s", len(a), len(b), i, at(a), at(b))
}
