package actors

import (
	"fmt"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// spawner keeps a population: every every ticks (0: 1) it forgets its entities that are
// gone (alive) and spawns up to batch new ones (0: no limit) of kind, at random places in
// area (anywhere on the map if area is empty), until it has max, each driven by a frame
// made from brain (a Template, held by value: actors.Wander{...}), counting them in
// spawned. Its frame is Spawner, which is saved like any frame:
//
//	w.Spawn(&actors.Spawner{Kind: deer, Max: 100, Every: 10, Brain: actors.Flee{From: wolf, Speed: 3}})
//
//stackworld:tasklet frame=Spawner name=actors.Spawner
func spawner(h *sim.Tasklet, kind world.Kind, max, every, batch int, area Rect, brain Template, alive []world.EntityID, spawned uint64) error {
	for {
		w := world.Of(h)
		if brain == nil {
			return fmt.Errorf("actors: spawner of %s has no Brain template", w.KindName(kind))
		}
		if err := checkSpawner(max, every, batch, len(alive)); err != nil {
			return err
		}
		alive = keepAlive(w, alive)
		n := max - len(alive)
		if batch > 0 {
			n = min(n, batch)
		}
		for range n {
			id := w.SpawnEntity(kind, RandomIn(w, area), brain.New)
			if id == 0 {
				return fmt.Errorf("actors: spawner of %s: the world's entity ids are used up (%d issued)", w.KindName(kind), uint64(world.MaxEntitySerial))
			}
			alive = append(alive, id)
			spawned++
		}
		if err := h.Sleep(atLeastOne(every)).Wait(); err != nil { //stackworld:resume tick
			return err
		}
	}
}

// MaxSpawnerPopulation is the largest population a Spawner keeps (Max), the limit of a
// scenario's entities.
const MaxSpawnerPopulation = MaxScenarioEntities

// Validate reports settings that a spawner refuses to run with: Max out of [0,
// MaxSpawnerPopulation], a negative Every or Batch, more entities in Alive than Max. The
// world calls it for every loaded Spawner frame (world.Validator), so a snapshot cannot make
// the next tick spawn without bound; the spawner checks the same before it spawns.
func (f *Spawner) Validate() error {
	return checkSpawner(f.Max, f.Every, f.Batch, len(f.Alive))
}

// checkSpawner is Validate on a spawner's settings and population.
func checkSpawner(max, every, batch, alive int) error {
	switch {
	case max < 0 || max > MaxSpawnerPopulation:
		return fmt.Errorf("actors: spawner: Max %d out of range [0, %d]", max, MaxSpawnerPopulation)
	case every < 0 || batch < 0:
		return fmt.Errorf("actors: spawner: negative Every %d or Batch %d", every, batch)
	case alive > max:
		return fmt.Errorf("actors: spawner: %d entities alive, more than its Max %d", alive, max)
	}
	return nil
}

// keepAlive returns the entities of ids that are alive, in place, in order.
func keepAlive(w *world.World, ids []world.EntityID) []world.EntityID {
	alive := ids[:0]
	for _, id := range ids {
		if w.Alive(id) {
			alive = append(alive, id)
		}
	}
	clear(ids[len(alive):])
	return alive
}

// atLeastOne returns n, or 1 if n is smaller.
func atLeastOne(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// A Rect is an area of the map: Min inclusive, Max exclusive. The zero Rect means the map.
type Rect struct{ Min, Max world.Vec }

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
