package actors

//go:generate go run github.com/stackworld/stackworld/sim/taskletgen/cmd/taskletgen

import (
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// Entity states the NPC behaviours set (world.Entity.State), for views and tools.
const (
	StateIdle uint16 = iota
	StateWander
	StatePatrol
	StateChase
	StateFlee
	StateTrade
)

var stateNames = [...]string{"idle", "wander", "patrol", "chase", "flee", "trade"}

// StateName returns the name of an entity state set by this package.
func StateName(s uint16) string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state?"
}

// A Template makes the frame that drives a new entity (or a restarted tasklet): spawners
// and supervisors keep a template as data and call New for each entity. The frames of this
// package are their own templates: New, on a value, copies its settings for self. Hold
// templates by value (actors.Wander{Speed: 2}, not &actors.Wander{...}): a template is
// settings, not a running frame, and is saved as such (register its type with persist).
type Template interface {
	New(self world.EntityID) sim.Frame
}

// driven returns the world of t and the entity self that an NPC's frame drives; e is nil
// if the entity is gone, and the frame should exit. Every NPC step starts with it.
func driven(t *sim.T, self world.EntityID) (w *world.World, e *world.Entity) {
	w = world.Of(t)
	return w, w.Entity(self)
}

// DefaultTurnOneIn is how rarely (1 in N ticks) a wanderer picks a new velocity when its
// TurnOneIn is 0.
const DefaultTurnOneIn = 16

// wander gives e a new random velocity in [-speed, speed]² one tick in turnOneIn.
func wander(w *world.World, e *world.Entity, speed int32, turnOneIn uint32) {
	if turnOneIn == 0 {
		turnOneIn = DefaultTurnOneIn
	}
	r := w.Rand()
	if e.Vel == (world.Vec{}) || r.Uint32N(turnOneIn) == 0 {
		n := uint32(2*speed + 1)
		e.Vel = world.Vec{X: int32(r.Uint32N(n)) - speed, Y: int32(r.Uint32N(n)) - speed}
	}
}

// Wander moves its entity at random: one tick in TurnOneIn it picks a new velocity of at
// most Speed per axis. With Sight > 0 it also makes one neighbour query per tick (how many
// entities are within Sight, kept in Seen) and turns around when more than Crowd are near.
type Wander struct {
	Self      world.EntityID
	Speed     int32
	TurnOneIn uint32
	Sight     int32
	Crowd     int32
	Seen      int32
}

// Wander's resume points.
const wanderTick sim.PC = 0

// New returns a Wander for self with f's settings.
func (f Wander) New(self world.EntityID) sim.Frame {
	g := f // every setting, the ones added later too
	g.Self, g.Seen = self, 0
	return &g
}

// Step runs one tick of wandering. It does not allocate.
func (f *Wander) Step(t *sim.T) sim.Op {
	w, e := driven(t, f.Self)
	if e == nil {
		return t.Exit() // the entity is gone
	}
	switch t.At() {
	case wanderTick:
		e.State = StateWander
		wander(w, e, f.Speed, f.TurnOneIn)
		if f.Sight > 0 {
			f.Seen = int32(w.CountNear(e.Pos, f.Sight, f.Self))
			if f.Crowd > 0 && f.Seen > f.Crowd {
				e.Vel = world.Vec{X: -e.Vel.X, Y: -e.Vel.Y}
			}
		}
		return t.NextTick().Then(wanderTick)
	}
	return t.Raise(sim.ErrBadPC)
}

// patrol walks its entity along points at speed, from one point to the next and round
// again (next is the point it heads for, laps the rounds done); a point within reach (at
// least speed) counts as reached. It ends when the entity is gone. Its frame is Patrol.
//
//stackworld:tasklet frame=Patrol name=actors.Patrol
func patrol(h *sim.Tasklet, self world.EntityID, speed, reach int32, points []world.Vec) error {
	next, laps := 0, 0
	for {
		e := world.Of(h).Entity(self)
		if e == nil {
			return nil // the entity is gone
		}
		e.State = StatePatrol
		ticks := 1
		if len(points) == 0 {
			e.Vel, ticks = world.Vec{}, 16
		} else {
			target := points[next%len(points)]
			near := max(reach, speed)
			if e.Pos.Dist2(target) <= int64(near)*int64(near) {
				next = (next + 1) % len(points)
				if next == 0 {
					laps++
				}
				target = points[next]
			}
			e.Vel = e.Pos.Toward(target, speed)
		}
		if err := h.Sleep(ticks).Wait(); err != nil { //stackworld:resume tick
			return err
		}
	}
}

// New returns a Patrol for self with f's settings and route.
func (f Patrol) New(self world.EntityID) sim.Frame {
	g := f // every setting, the ones added later too
	g.Self, g.Next, g.Laps = self, 0, 0
	g.Points = append([]world.Vec(nil), f.Points...) // the route is the new frame's own
	return &g
}

// Chase hunts entities of kind Prey that enter its entity's area of interest (radius
// Sight, kept by the world): it heads for the nearest one at Speed; within Reach it catches
// it (Caught counts, and with Eat the prey is despawned). With nothing in sight it wanders.
type Chase struct {
	Self   world.EntityID
	Prey   world.Kind
	Speed  int32
	Sight  int32
	Reach  int32
	Eat    bool
	Target world.EntityID
	Caught int
}

const (
	chaseStart sim.PC = 0
	chaseTick  sim.PC = 1
)

// New returns a Chase for self with f's settings.
func (f Chase) New(self world.EntityID) sim.Frame {
	g := f // every setting, the ones added later too
	g.Self, g.Target, g.Caught = self, 0, 0
	return &g
}

// Step runs one tick of chasing.
func (f *Chase) Step(t *sim.T) sim.Op {
	w, e := driven(t, f.Self)
	if e == nil {
		return t.Exit() // the entity is gone
	}
	switch t.At() {
	case chaseStart:
		w.SetInterest(f.Self, f.Sight, world.Mailbox[world.AoIEvent]{})
		e.State = StateWander
		wander(w, e, f.Speed, 0)
		return t.NextTick().Then(chaseTick)
	case chaseTick:
		f.Target = 0
		id, pos, ok := nearestVisible(w, e, f.Prey)
		if !ok {
			e.State = StateWander
			wander(w, e, f.Speed, 0)
			return t.NextTick().Then(chaseTick)
		}
		e.State = StateChase
		f.Target = id
		reach := max(f.Reach, 1)
		if e.Pos.Dist2(pos) <= int64(reach)*int64(reach) {
			f.Caught++
			if f.Eat {
				w.Despawn(id)
				f.Target = 0
				e = w.Entity(f.Self) // a despawn moves entity records
			}
		}
		e.Vel = e.Pos.Toward(pos, f.Speed)
		return t.NextTick().Then(chaseTick)
	}
	return t.Raise(sim.ErrBadPC)
}

// Flee runs from entities of kind From that enter its entity's area of interest (radius
// Sight): directly away from the nearest one, at Speed. With nothing in sight it wanders.
type Flee struct {
	Self  world.EntityID
	From  world.Kind
	Speed int32
	Sight int32
	Fled  int
}

const (
	fleeStart sim.PC = 0
	fleeTick  sim.PC = 1
)

// New returns a Flee for self with f's settings.
func (f Flee) New(self world.EntityID) sim.Frame {
	g := f // every setting, the ones added later too
	g.Self, g.Fled = self, 0
	return &g
}

// Step runs one tick of fleeing.
func (f *Flee) Step(t *sim.T) sim.Op {
	w, e := driven(t, f.Self)
	if e == nil {
		return t.Exit() // the entity is gone
	}
	switch t.At() {
	case fleeStart:
		w.SetInterest(f.Self, f.Sight, world.Mailbox[world.AoIEvent]{})
		e.State = StateWander
		wander(w, e, f.Speed, 0)
		return t.NextTick().Then(fleeTick)
	case fleeTick:
		_, pos, ok := nearestVisible(w, e, f.From)
		if !ok {
			e.State = StateWander
			wander(w, e, max(f.Speed/2, 1), 0)
			return t.NextTick().Then(fleeTick)
		}
		if e.State != StateFlee {
			f.Fled++
		}
		e.State = StateFlee
		away := e.Pos.Add(e.Pos.Sub(pos))
		if away == e.Pos {
			away.X++
		}
		e.Vel = e.Pos.Toward(away, f.Speed)
		return t.NextTick().Then(fleeTick)
	}
	return t.Raise(sim.ErrBadPC)
}

// nearestVisible returns the nearest entity of kind k in e's area of interest (ties: the
// smaller id).
func nearestVisible(w *world.World, e *world.Entity, k world.Kind) (world.EntityID, world.Vec, bool) {
	var best world.EntityID
	var bestPos world.Vec
	var bestD int64
	for _, id := range w.Visible(e.ID) {
		o := w.Entity(id)
		if o == nil || o.Kind != k {
			continue
		}
		if d := o.Pos.Dist2(e.Pos); best == 0 || d < bestD {
			best, bestPos, bestD = id, o.Pos, d
		}
	}
	return best, bestPos, best != 0
}
