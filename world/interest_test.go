package world_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// bruteVisible is the definition of an area of interest: every other entity within the
// watcher's radius, by id; with capN > 0 the capN nearest of them (ties: the smaller id).
func bruteVisible(w *world.World, id world.EntityID, capN int) []world.EntityID {
	me := w.Entity(id)
	r2 := int64(me.Interest) * int64(me.Interest)
	type cand struct {
		id world.EntityID
		d2 int64
	}
	var cs []cand
	for _, e := range w.Entities() {
		if d := e.Pos.Dist2(me.Pos); e.ID != id && d <= r2 {
			cs = append(cs, cand{e.ID, d})
		}
	}
	if capN > 0 && len(cs) > capN {
		slices.SortFunc(cs, func(a, b cand) int { return cmp.Or(cmp.Compare(a.d2, b.d2), cmp.Compare(a.id, b.id)) })
		cs = cs[:capN]
	}
	out := []world.EntityID{}
	for _, c := range cs {
		out = append(out, c.id)
	}
	slices.Sort(out)
	return out
}

// churn drives a world at random from rng between ticks: velocities, jumps, spawns,
// despawns, new radii, watchers added and removed.
type churn struct {
	rng  *rand.Rand
	kind world.Kind
	size int32
}

func (c *churn) populate(w *world.World, n, watchers int) {
	for range n {
		id := w.NewEntity(c.kind, world.Vec{X: c.rng.Int32N(c.size), Y: c.rng.Int32N(c.size)})
		w.SetVel(id, world.Vec{X: c.rng.Int32N(7) - 3, Y: c.rng.Int32N(7) - 3})
	}
	for _, e := range w.Entities()[:watchers] {
		w.SetInterest(e.ID, 24+c.rng.Int32N(c.size/3), world.Mailbox[world.AoIEvent]{})
	}
}

func (c *churn) step(w *world.World) {
	ents := w.Entities()
	pick := func() world.EntityID { return ents[c.rng.IntN(len(ents))].ID }
	for range c.rng.IntN(4) {
		w.SetVel(pick(), world.Vec{X: c.rng.Int32N(7) - 3, Y: c.rng.Int32N(7) - 3})
	}
	switch c.rng.IntN(10) {
	case 0: // a jump
		w.SetPos(pick(), world.Vec{X: c.rng.Int32N(c.size), Y: c.rng.Int32N(c.size)})
	case 1: // a short hop, beyond what velocities do
		id := pick()
		w.SetPos(id, w.Pos(id).Add(world.Vec{X: c.rng.Int32N(41) - 20, Y: c.rng.Int32N(41) - 20}))
	case 2:
		w.Despawn(pick())
	case 3:
		w.NewEntity(c.kind, world.Vec{X: c.rng.Int32N(c.size), Y: c.rng.Int32N(c.size)})
	case 4: // a new radius, or none
		w.SetInterest(pick(), c.rng.Int32N(c.size/3), world.Mailbox[world.AoIEvent]{})
	case 5: // many jumps at once: too many movers for the edge update
		if c.rng.IntN(8) == 0 {
			for range len(ents)/4 + 1 {
				w.SetPos(pick(), world.Vec{X: c.rng.Int32N(c.size), Y: c.rng.Int32N(c.size)})
			}
		}
	}
}

func interestLog(w *world.World) []string {
	var log []string
	for _, ev := range w.Events() {
		if ev.Type == world.EventEnter || ev.Type == world.EventLeave {
			log = append(log, fmt.Sprintf("%d %s %d %d", ev.Tick, ev.Type, ev.Entity, ev.Other))
		}
	}
	return log
}

// TestInterestIncrementalProperty runs random worlds twice, one updating areas of interest
// at their edges and one recomputing them in full, with saves and loads of the first at
// random ticks; after every tick each set must equal the brute-force definition and both
// worlds must have emitted the same events in the same order.
func TestInterestIncrementalProperty(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 4
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d (go test ./world -run 'TestInterestIncrementalProperty/seed=%d$')", seed, seed)
			size := int32(200 + 100*(seed%3))
			cfg := world.Config{Seed: seed, Width: size, Height: size, CellSize: 16 << (seed % 3)}
			edge, full := newWorld(t, cfg), newWorld(t, cfg)
			world.SetBruteInterest(full, true)
			drive := [2]*churn{}
			for i, w := range []*world.World{edge, full} {
				drive[i] = &churn{rng: rand.New(rand.NewPCG(seed, 7)), kind: w.Kind("x"), size: size}
				drive[i].populate(w, 300, 40)
			}
			reload := rand.New(rand.NewPCG(seed, 8))
			var edges, fulls uint64 // over every world edge was
			for tk := range 150 {
				require.NoError(t, edge.Tick())
				require.NoError(t, full.Tick())
				require.Equal(t, interestLog(full), interestLog(edge), "tick %d: events", tk+1)
				for _, e := range edge.Entities() {
					if e.Interest > 0 {
						require.Equal(t, bruteVisible(edge, e.ID, 0), append([]world.EntityID{}, edge.Visible(e.ID)...),
							"tick %d: entity %d", tk+1, e.ID)
					}
				}
				drive[0].step(edge)
				drive[1].step(full)
				if reload.IntN(25) == 0 {
					e, f, _ := world.InterestUpdates(edge)
					edges, fulls = edges+e, fulls+f
					edge = saveLoad(t, edge, cfg)
				}
			}
			require.Equal(t, full.Checksum(), edge.Checksum())
			e, f, _ := world.InterestUpdates(edge)
			edges, fulls = edges+e, fulls+f
			require.Greater(t, edges, 4*fulls, "most updates are at the edge")
			e, _, _ = world.InterestUpdates(full)
			require.Zero(t, e)
		})
	}
}

func saveLoad(t *testing.T, w *world.World, cfg world.Config) *world.World {
	t.Helper()
	data, err := w.Save(world.DefaultCodec())
	require.NoError(t, err)
	cfg.Logger = quiet()
	loaded, err := world.Load(world.DefaultCodec(), data, cfg)
	require.NoError(t, err)
	t.Cleanup(loaded.Close)
	return loaded
}

// TestInterestCap checks capped sets against the definition (the nearest first, ties to
// the smaller id) after every tick of random movement.
func TestInterestCap(t *testing.T) {
	for seed := range uint64(4) {
		size := int32(300)
		w := newWorld(t, world.Config{Seed: seed, Width: size, Height: size, InterestCap: 7})
		ch := &churn{rng: rand.New(rand.NewPCG(seed, 9)), kind: w.Kind("x"), size: size}
		ch.populate(w, 400, 50)
		for range 60 {
			require.NoError(t, w.Tick())
			for _, e := range w.Entities() {
				if e.Interest > 0 {
					require.Equal(t, bruteVisible(w, e.ID, 7), append([]world.EntityID{}, w.Visible(e.ID)...), "seed %d", seed)
				}
			}
			ch.step(w)
		}
	}
}

// TestInterestCapTies: of four entities at the same distance, a cap of two keeps the two
// smallest ids, and the events say so.
func TestInterestCapTies(t *testing.T) {
	w := newWorld(t, world.Config{Width: 100, Height: 100, InterestCap: 2})
	k := w.Kind("x")
	me := w.NewEntity(k, world.Vec{X: 50, Y: 50})
	for _, p := range []world.Vec{{X: 60, Y: 50}, {X: 40, Y: 50}, {X: 50, Y: 60}, {X: 50, Y: 40}, {X: 51, Y: 50}} {
		w.NewEntity(k, p)
	}
	w.SetInterest(me, 20, world.Mailbox[world.AoIEvent]{})
	tick(t, w, 1)
	require.Equal(t, []world.EntityID{2, 6}, w.Visible(me), "6 is nearest, then 2 of the tied 2–5")
	w.Despawn(6)
	tick(t, w, 1)
	require.Equal(t, []world.EntityID{2, 3}, w.Visible(me))
	require.Equal(t, []string{"2 enter 1 3", "2 leave 1 6"}, interestLog(w))
}

func TestInterestConfigAndPairs(t *testing.T) {
	_, err := world.New(world.Config{InterestCap: -1})
	require.EqualError(t, err, "world: InterestCap -1 out of range [0, 65536]")
	// issue 12's case: 6k watchers of radius 256 among 33k entities on a 1024² map
	p := world.InterestPairs(6000, 33000, 256, 1024, 1024, 0)
	require.InDelta(t, 3.89e7, p, 0.01e7)
	require.EqualError(t, world.CheckInterestPairs(p), "world: areas of interest would hold about 3.89e+07 (watcher, entity) pairs, more than the limit of 16777216 (world.MaxInterestPairs); lower the radii or the number of watchers, or set an interest cap")
	require.NoError(t, world.CheckInterestPairs(world.InterestPairs(6000, 33000, 256, 1024, 1024, 64)))
	require.Equal(t, 6000.0*64, world.InterestPairs(6000, 33000, 256, 1024, 1024, 64))
}
