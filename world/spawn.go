package world

import (
	"fmt"
	"reflect"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// An UnregisteredFrameError is what a tasklet spawned with a frame of a type not registered
// with persist fails with (see World.Spawn): the world could not be saved with it.
type UnregisteredFrameError struct {
	Type string // the frame's Go type, e.g. "*mygame.Guard"
}

func (e *UnregisteredFrameError) Error() string {
	return fmt.Sprintf("world: spawn: frame type %s is not registered with persist, so the world could not be saved "+
		"(persist.Register it at init, or set Config.UnsavedFrames for a world that is never saved)", e.Type)
}

// refused stands in for a frame that Spawn or Attach refused: it fails at its first step.
type refused struct{ Type string }

func (f *refused) Step(t *sim.T) sim.Op { return t.Raise(&UnregisteredFrameError{Type: f.Type}) }

func init() { persist.Register[refused]("world.refused", "fail") }

// checkFrame returns f, or a refused frame if f's type is not registered and the world
// must be saveable.
func (w *World) checkFrame(f sim.Frame) sim.Frame {
	if w.cfg.UnsavedFrames || f == nil {
		return f
	}
	if _, ok := persist.TypeName(f); ok {
		return f
	}
	return &refused{Type: reflect.TypeOf(f).String()}
}
