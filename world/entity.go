package world

import (
	"fmt"
	"math"

	"github.com/stackworld/stackworld/sim"
)

// EntityID identifies an entity, uniquely across the zones of a game without coordination:
// the high ZoneBits bits hold the zone that minted it (Config.Zone), the rest a serial that
// the zone counts up from 1 and saves with the world. IDs are never reused and never wrap;
// 0 means "no entity". In zone 0 an id is its serial: 1, 2, 3, ...
type EntityID uint64

// The layout of an EntityID.
const (
	// ZoneBits is the width of the minting zone in an EntityID.
	ZoneBits = 16
	// SerialBits is the width of the serial in an EntityID.
	SerialBits = 64 - ZoneBits
	// MaxEntitySerial is the last serial a zone issues. The all-ones serial above it is
	// never issued: a world whose next id has it has used up its ids, and NewEntity returns
	// 0 (at a million spawns per second, after about nine years).
	MaxEntitySerial = 1<<SerialBits - 2
	serialMask      = 1<<SerialBits - 1
)

// MakeEntityID returns the id of serial (at most MaxEntitySerial) in zone.
func MakeEntityID(zone uint16, serial uint64) EntityID {
	return EntityID(uint64(zone)<<SerialBits | serial&serialMask)
}

// Zone returns the zone that minted id.
func (id EntityID) Zone() uint16 { return uint16(id >> SerialBits) }

// Serial returns id's serial within its zone.
func (id EntityID) Serial() uint64 { return uint64(id) & serialMask }

// Kind is an entity kind, registered by name with World.Kind. Names are saved; the numbers
// are stable within a world (and across its saves).
type Kind uint16

// Vec is a position or a velocity in map units. Coordinates are integers so that movement is
// exact and the same on every machine (no floating-point rounding or fused multiply-adds).
type Vec struct{ X, Y int32 }

// Add returns v+u.
func (v Vec) Add(u Vec) Vec { return Vec{v.X + u.X, v.Y + u.Y} }

// Sub returns v-u.
func (v Vec) Sub(u Vec) Vec { return Vec{v.X - u.X, v.Y - u.Y} }

// Dist2 returns the squared distance between v and u.
func (v Vec) Dist2(u Vec) int64 {
	dx, dy := int64(v.X)-int64(u.X), int64(v.Y)-int64(u.Y)
	return dx*dx + dy*dy
}

// Toward returns a velocity of length about speed from v to u (zero if v == u), in
// integer arithmetic.
func (v Vec) Toward(u Vec, speed int32) Vec {
	dx, dy := int64(u.X)-int64(v.X), int64(u.Y)-int64(v.Y)
	d := ISqrt(dx*dx + dy*dy)
	if d == 0 {
		return Vec{}
	}
	if d < int64(speed) {
		return Vec{int32(dx), int32(dy)}
	}
	return Vec{int32(dx * int64(speed) / d), int32(dy * int64(speed) / d)}
}

// ISqrt returns the integer square root of n >= 0 (the largest r with r*r <= n).
func ISqrt(n int64) int64 {
	if n <= 0 {
		return 0
	}
	r := int64(math.Sqrt(float64(n))) // exact for perfect squares; corrected below
	for r*r > n {
		r--
	}
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}

// An Entity is a thing in the world: plain data, referred to by id.
type Entity struct {
	ID       EntityID
	Kind     Kind
	State    uint16     // what the entity is doing, for views and tools (see actors.State*)
	Pos      Vec        // position; the world adds Vel to it at the end of every tick
	Vel      Vec        // velocity, units per tick
	Interest int32      // radius of the area of interest; 0: none (see SetInterest)
	Tasklet  sim.ID     // the tasklet that drives the entity, 0 if none
	Notify   sim.ChanID // a Mailbox[AoIEvent] that receives enter/leave events, 0 if none
}

// Kind returns the kind registered as name, registering it if it is new. Kinds are numbered
// in the order they are first registered. A world has at most MaxKinds kinds (a save holds
// no more): past them Kind logs an error and returns AnyKind, which registers nothing and
// with which NewEntity makes no entity.
func (w *World) Kind(name string) Kind {
	if k, ok := w.kindIdx[name]; ok {
		return k
	}
	if len(w.kinds) >= MaxKinds {
		w.cfg.Logger.Error("world: kind not registered: the world has MaxKinds kinds", "kind", name, "limit", MaxKinds)
		return AnyKind
	}
	k := Kind(len(w.kinds))
	w.kinds = append(w.kinds, name)
	w.kindIdx[name] = k
	return k
}

// LookupKind returns the kind registered as name.
func (w *World) LookupKind(name string) (Kind, bool) {
	k, ok := w.kindIdx[name]
	return k, ok
}

// KindName returns the name of k.
func (w *World) KindName(k Kind) string {
	if int(k) < len(w.kinds) {
		return w.kinds[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Kinds returns the registered kind names, by number. Read only.
func (w *World) Kinds() []string { return w.kinds }

// NewEntity adds an entity of kind k at pos (clamped into the map) and returns its id, the
// next serial of the world's zone. It enters the spatial index at the end of the tick. It
// returns 0, adding nothing, when the zone has issued MaxEntitySerial ids (EntityIDsLeft)
// or k is not a registered kind (see Kind: a save could not name it). Amortized constant
// time; the world's memory follows the live entities, not the ids ever issued.
func (w *World) NewEntity(k Kind, pos Vec) EntityID {
	id := w.nextID
	if id.Serial() > MaxEntitySerial || int(k) >= len(w.kinds) {
		return 0
	}
	w.touch()
	w.nextID++
	w.idx.set(id, int32(len(w.ents)))
	w.ents = append(w.ents, Entity{ID: id, Kind: k, Pos: w.clamp(pos)})
	w.tasks = append(w.tasks, nil)
	w.emit(Event{Type: EventSpawn, Entity: id})
	return id
}

// Attach starts a soft tasklet running f to drive entity id and records it as the entity's
// tasklet (Despawn kills it). f should hold id as a field. A frame of a type not registered
// with persist is refused as Spawn refuses it: the tasklet fails at its first step.
func (w *World) Attach(id EntityID, f sim.Frame) (*sim.Tasklet, error) {
	i, ok := w.index(id)
	if !ok {
		return nil, fmt.Errorf("world: attach to entity %d: no such entity", id)
	}
	t := w.s.Spawn(w.checkFrame(f))
	w.ents[i].Tasklet = t.ID()
	w.tasks[i] = t
	return t, nil
}

// NextEntityID returns the id the next NewEntity will issue.
func (w *World) NextEntityID() EntityID { return w.nextID }

// EntityIDsLeft returns how many more entities NewEntity can make.
func (w *World) EntityIDsLeft() uint64 { return MaxEntitySerial + 1 - w.nextID.Serial() }

// SpawnEntity is NewEntity followed by Attach of the frame mk returns for the new id. Like
// NewEntity, it returns 0 when the zone's ids are used up (and does not call mk).
func (w *World) SpawnEntity(k Kind, pos Vec, mk func(EntityID) sim.Frame) EntityID {
	id := w.NewEntity(k, pos)
	if id != 0 && mk != nil {
		_, _ = w.Attach(id, mk(id)) // cannot fail: id exists
	}
	return id
}

// Despawn removes entity id. Its tasklet, if alive and not the running one, is killed
// (ErrTaskletExit is raised at its resume point the next time it runs); a tasklet that
// despawns its own entity should return t.Exit(). Despawning an unknown id does nothing and
// returns false. The entity leaves the spatial index at the end of the tick.
func (w *World) Despawn(id EntityID) bool {
	i, ok := w.index(id)
	if !ok {
		return false
	}
	w.touch()
	if t := w.tasks[i]; t != nil {
		if t.Alive() && !t.IsCurrent() {
			_ = t.KillPending() // cannot fail (alive, not current); its end drops its monitor (onEnd)
		}
	}
	if w.ents[i].Interest > 0 {
		w.removeWatcher(id)
	}
	w.removeComponents(id)
	last := len(w.ents) - 1
	if i != last {
		w.ents[i], w.tasks[i] = w.ents[last], w.tasks[last]
		w.idx.set(w.ents[i].ID, int32(i))
	}
	w.ents[last], w.tasks[last] = Entity{}, nil
	// the tables follow the live entities: a copy once they are 4× too big (amortized
	// constant time per Despawn, as append's doubling is per NewEntity)
	w.ents, w.tasks = trimmed(w.ents[:last], last), trimmed(w.tasks[:last], last)
	w.idx.set(id, -1)
	w.died++
	w.emit(Event{Type: EventDespawn, Entity: id})
	return true
}

func (w *World) index(id EntityID) (int, bool) { return w.idx.get(id) }

// Alive reports whether entity id exists.
func (w *World) Alive(id EntityID) bool {
	_, ok := w.index(id)
	return ok
}

// Entity returns a pointer to entity id's live record, or nil. The pointer is valid until the
// next NewEntity or Despawn. Steps may change State, Pos and Vel through it; the others are
// the world's (use SetInterest, Attach).
func (w *World) Entity(id EntityID) *Entity {
	if i, ok := w.index(id); ok {
		w.touch()
		return &w.ents[i]
	}
	return nil
}

// Pos returns entity id's position (the zero Vec if there is no such entity).
func (w *World) Pos(id EntityID) Vec {
	if i, ok := w.index(id); ok {
		return w.ents[i].Pos
	}
	return Vec{}
}

// SetPos moves entity id to p (clamped into the map) at once.
func (w *World) SetPos(id EntityID, p Vec) {
	if i, ok := w.index(id); ok {
		w.touch()
		w.ents[i].Pos = w.clamp(p)
	}
}

// SetVel sets entity id's velocity.
func (w *World) SetVel(id EntityID, v Vec) {
	if i, ok := w.index(id); ok {
		w.ents[i].Vel = v
	}
}

// SetState sets entity id's State.
func (w *World) SetState(id EntityID, st uint16) {
	if i, ok := w.index(id); ok {
		w.ents[i].State = st
	}
}

// TaskletOf returns the tasklet driving entity id (the last one Attach started for it; in a
// loaded world, the one saved with it), or nil if it has none (or, loaded, it had ended
// before the save). It may have ended since: see Alive. Constant time.
func (w *World) TaskletOf(id EntityID) *sim.Tasklet {
	if i, ok := w.index(id); ok {
		return w.tasks[i]
	}
	return nil
}

// Len returns the number of entities.
func (w *World) Len() int { return len(w.ents) }

// Entities returns the live entity records in the world's (deterministic) order. Read only,
// valid until the next NewEntity or Despawn: the cheap view for tools and viewers.
func (w *World) Entities() []Entity { return w.ents }

// touch notes a change to entities made by the main program between ticks: the spatial
// index no longer follows from the entities, so a save must include it.
func (w *World) touch() {
	if !w.inTick {
		w.dirty = true
	}
}

func (w *World) clamp(p Vec) Vec {
	p.X = min(max(p.X, 0), w.cfg.Width-1)
	p.Y = min(max(p.Y, 0), w.cfg.Height-1)
	return p
}

// integrate adds velocities to positions, bouncing off the map's edges.
func (w *World) integrate() {
	W, H := w.cfg.Width, w.cfg.Height
	for i := range w.ents {
		e := &w.ents[i]
		if e.Vel == (Vec{}) {
			continue
		}
		x, y := e.Pos.X+e.Vel.X, e.Pos.Y+e.Vel.Y
		if x < 0 {
			x, e.Vel.X = -x, -e.Vel.X
		} else if x >= W {
			x, e.Vel.X = 2*(W-1)-x, -e.Vel.X
		}
		if y < 0 {
			y, e.Vel.Y = -y, -e.Vel.Y
		} else if y >= H {
			y, e.Vel.Y = 2*(H-1)-y, -e.Vel.Y
		}
		e.Pos = w.clamp(Vec{x, y})
	}
}
