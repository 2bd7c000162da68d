package world

import (
	"fmt"
	"reflect"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// An UnregisteredFrameError is what a tasklet spawned with a frame that persist could not
// save fails with (see World.Spawn): a frame of a type not registered with persist.
type UnregisteredFrameError struct {
	Type   string // the frame's Go type, e.g. "*mygame.Guard"
	Reason string // persist.CheckFrame's error
}

func (e *UnregisteredFrameError) Error() string {
	return fmt.Sprintf("world: spawn: frame type %s could not be saved: %s "+
		"(or set Config.UnsavedFrames for a world that is never saved)", e.Type, e.Reason)
}

// refused stands in for a frame that Spawn or Attach refused: it fails at its first step.
type refused struct{ Type, Reason string }

func (f *refused) Step(t *sim.T) sim.Op {
	return t.Raise(&UnregisteredFrameError{Type: f.Type, Reason: f.Reason})
}

func init() { persist.Register[refused]("world.refused", "fail") }

// checkFrame returns f, or a refused frame if f's type is not registered and the world
// must be saveable.
func (w *World) checkFrame(f sim.Frame) sim.Frame {
	if w.cfg.UnsavedFrames || f == nil {
		return f
	}
	if err := persist.CheckFrame(f); err != nil {
		return &refused{Type: reflect.TypeOf(f).String(), Reason: err.Error()}
	}
	return f
}
