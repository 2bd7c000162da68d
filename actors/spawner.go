package actors

import (
	"fmt"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// A Spawner keeps a population: every Every ticks it forgets its entities that are gone and
// spawns up to Batch new ones of Kind (at random places in Area, or anywhere on the map if
// Area is empty) until it has Max, each driven by a frame made from Brain (a Template).
// Brain is kept as data, so the spawner is saved like any frame.
type Spawner struct {
	Kind    world.Kind
	Max     int
	Every   int // ticks between checks; 0: 1
	Batch   int // at most this many per check; 0: no limit
	Area    Rect
	Brain   Template // held by value: actors.Wander{...}
	Alive   []world.EntityID
	Spawned uint64
}

// MaxSpawnerPopulation is the largest population a Spawner keeps (Max), the limit of a
// scenario's entities.
const MaxSpawnerPopulation = MaxScenarioEntities

// Validate reports settings that a spawner refuses to run with: Max out of [0,
// MaxSpawnerPopulation], a negative Every or Batch, more entities in Alive than Max. The
// world calls it for every loaded Spawner frame (world.Validator), so a snapshot cannot make
// the next tick spawn without bound; Step calls it before it spawns.
func (f *Spawner) Validate() error {
	switch {
	case f.Max < 0 || f.Max > MaxSpawnerPopulation:
		return fmt.Errorf("actors: spawner: Max %d out of range [0, %d]", f.Max, MaxSpawnerPopulation)
	case f.Every < 0 || f.Batch < 0:
		return fmt.Errorf("actors: spawner: negative Every %d or Batch %d", f.Every, f.Batch)
	case len(f.Alive) > f.Max:
		return fmt.Errorf("actors: spawner: %d entities alive, more than its Max %d", len(f.Alive), f.Max)
	}
	return nil
}

// A Rect is an area of the map: Min inclusive, Max exclusive. The zero Rect means the map.
type Rect struct{ Min, Max world.Vec }

const spawnerTick sim.PC = 0

// Step checks the population and spawns.
func (f *Spawner) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	switch t.At() {
	case spawnerTick:
		if f.Brain == nil {
			return t.Raise(fmt.Errorf("actors: spawner of %s has no Brain template", w.KindName(f.Kind)))
		}
		if err := f.Validate(); err != nil {
			return t.Raise(err)
		}
		alive := f.Alive[:0]
		for _, id := range f.Alive {
			if w.Alive(id) {
				alive = append(alive, id)
			}
		}
		clear(f.Alive[len(alive):])
		f.Alive = alive
		n := f.Max - len(f.Alive)
		if f.Batch > 0 {
			n = min(n, f.Batch)
		}
		for range n {
			id := w.SpawnEntity(f.Kind, RandomIn(w, f.Area), f.Brain.New)
			if id == 0 {
				return t.Raise(fmt.Errorf("actors: spawner of %s: the world's entity ids are used up (%d issued)", w.KindName(f.Kind), uint64(world.MaxEntitySerial)))
			}
			f.Alive = append(f.Alive, id)
			f.Spawned++
		}
		return t.Sleep(max(f.Every, 1)).Then(spawnerTick)
	}
	return t.Raise(sim.ErrBadPC)
}

// RandomIn returns a random position in r (the whole map if r is empty), from the world's RNG.
func RandomIn(w *world.World, r Rect) world.Vec {
	if r.Max.X <= r.Min.X || r.Max.Y <= r.Min.Y {
		cfg := w.Config()
		r = Rect{Max: world.Vec{X: cfg.Width, Y: cfg.Height}}
	}
	rn := w.Rand()
	return world.Vec{
		X: r.Min.X + int32(rn.Uint32N(uint32(r.Max.X-r.Min.X))),
		Y: r.Min.Y + int32(rn.Uint32N(uint32(r.Max.Y-r.Min.Y))),
	}
}

var _ world.Validator = (*Spawner)(nil)
