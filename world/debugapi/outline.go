package debugapi

import (
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// Outline is the state of the tasklet that drives an entity, as a viewer shows it (the
// outline of the entity's marker).
type Outline uint8

// The outlines, one per tasklet state an entity can show.
const (
	OutlineNone     Outline = iota // the entity has no tasklet
	OutlineRunnable                // in the runnable ring (or the current tasklet)
	OutlineBlocked                 // waiting on a channel (a mailbox, a reply)
	OutlineSleeping                // parked until a later tick
	OutlinePaused                  // alive in no queue (removed, or a watchdog)
	OutlineFailed                  // its tasklet ended while the entity lives (a failure)
	NumOutlines                    // the number of outlines
)

var outlineNames = [NumOutlines]string{"none", "runnable", "blocked", "sleeping", "paused", "failed"}

// String returns the outline's name ("blocked", ...).
func (o Outline) String() string {
	if o < NumOutlines {
		return outlineNames[o]
	}
	return "outline?"
}

// ParseOutline returns the outline called name, as String writes it.
func ParseOutline(name string) (Outline, bool) {
	for i, n := range outlineNames {
		if n == name {
			return Outline(i), true
		}
	}
	return 0, false
}

// OutlineOf returns the outline of an entity driven by t (nil: none). A dead tasklet on a
// live entity is a failure: the world keeps an entity's tasklet until the entity despawns
// or another is attached.
func OutlineOf(t *sim.Tasklet) Outline {
	if t == nil {
		return OutlineNone
	}
	switch t.State() {
	case sim.StateRunnable:
		return OutlineRunnable
	case sim.StateBlocked:
		return OutlineBlocked
	case sim.StateSleeping:
		return OutlineSleeping
	case sim.StatePaused, sim.StateWatching:
		return OutlinePaused
	case sim.StateDead:
		return OutlineFailed
	}
	return OutlineNone
}

// EntityOutline returns the outline of entity e of w: OutlineNone for an entity without a
// tasklet, else its tasklet's (OutlineOf). Constant time; call it between ticks.
func EntityOutline(w *world.World, e *world.Entity) Outline {
	if e.Tasklet == 0 {
		return OutlineNone
	}
	return OutlineOf(w.TaskletOf(e.ID))
}
