package world

import (
	"github.com/stackworld/stackworld/sim"
)

// ---- neighbour queries ----
//
// Queries read the spatial index as rebuilt at the end of the previous tick: every tasklet
// of a tick sees the same picture, whatever the order it runs in. Entities spawned during the
// tick are not in it yet; entities despawned during the tick are left out.

// Grid returns the world's spatial index (read only).
func (w *World) Grid() *Grid { return &w.grid }

// Near returns the entities within radius r of p, skipping skip, in grid order. The slice is
// the world's scratch buffer: valid until the next Near call; copy it to keep it.
func (w *World) Near(p Vec, r int32, skip EntityID) []EntityID {
	w.scratch = w.AppendNear(w.scratch[:0], p, r, skip)
	return w.scratch
}

// AppendNear appends the entities within radius r of p, skipping skip, to dst.
func (w *World) AppendNear(dst []EntityID, p Vec, r int32, skip EntityID) []EntityID {
	n := len(dst)
	dst = w.grid.AppendNear(dst, p, r, skip)
	if w.died == 0 {
		return dst
	}
	out := dst[:n]
	for _, id := range dst[n:] {
		if w.Alive(id) {
			out = append(out, id)
		}
	}
	return out
}

// CountNear returns the number of entities within radius r of p, skipping skip.
func (w *World) CountNear(p Vec, r int32, skip EntityID) int {
	if w.died == 0 {
		return w.grid.CountNear(p, r, skip)
	}
	return len(w.Near(p, r, skip))
}

// Nearest returns the entity of kind k (AnyKind: any) nearest to p within radius r, skipping
// skip, with its position at the last index rebuild.
func (w *World) Nearest(p Vec, r int32, k Kind, skip EntityID) (EntityID, Vec, bool) {
	it, ok := w.grid.Nearest(p, r, k, skip)
	if ok && w.died > 0 && !w.Alive(it.ID) {
		// rare: the nearest one died this tick; fall back to a filtered scan
		ok = false
		var bestD int64
		for _, id := range w.Near(p, r, skip) {
			e := w.Entity(id)
			if k != AnyKind && e.Kind != k {
				continue
			}
			if d := e.Pos.Dist2(p); !ok || d < bestD || (d == bestD && id < it.ID) {
				it, bestD, ok = GridItem{ID: id, Kind: e.Kind, Pos: e.Pos}, d, true
			}
		}
	}
	return it.ID, it.Pos, ok
}

// ---- events ----

// EventType says what an Event reports.
type EventType uint8

const (
	EventSpawn   EventType = iota + 1 // Entity was created
	EventDespawn                      // Entity was removed
	EventEnter                        // Other entered Entity's area of interest
	EventLeave                        // Other left Entity's area of interest
	EventFailure                      // Tasklet (driving Entity, if any) failed: see Failures
)

var eventNames = [...]string{"", "spawn", "despawn", "enter", "leave", "failure"}

func (t EventType) String() string {
	if int(t) < len(eventNames) && t > 0 {
		return eventNames[t]
	}
	return "EventType(?)"
}

// An Event is something that happened in the world during a tick, in the order it happened
// (AoI changes at the tick's end, by watcher id).
type Event struct {
	Tick    uint64
	Type    EventType
	Entity  EntityID
	Other   EntityID
	Tasklet sim.ID
}

func (w *World) emit(e Event) {
	e.Tick = w.s.Now()
	w.events = append(w.events, e)
}

// Events returns the events of the last tick (and of calls made since it ended), read only,
// valid until the next Tick.
func (w *World) Events() []Event { return w.events }
