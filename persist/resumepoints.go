package persist

import (
	"github.com/stackworld/stackworld/sim"
)

// A ResumePointCounter is a frame that says how many resume points its type has (sim.PC 0
// up to ResumePoints()-1). Frames written by `stackworld gen` implement it; a hand-written
// frame may. CheckFrame then refuses a frame whose type was registered with fewer resume
// point names than that, at spawn, instead of letting the first save that finds the frame
// at an unnamed resume point fail. ResumePoints must not depend on the frame's fields.
type ResumePointCounter interface {
	ResumePoints() int
}

// checkResumePoints reports a frame of a registered type whose ResumePoints exceeds the
// resume point names registered for it. A type registered without names is not checked,
// as Save does not check it. Cost: one type assertion and one method call; no allocation.
func checkResumePoints(f sim.Frame, ref *typeRef) error {
	rc, ok := f.(ResumePointCounter)
	if !ok || ref.info == nil {
		return nil
	}
	names, n := len(ref.info.pcs), rc.ResumePoints()
	if names == 0 || n <= names {
		return nil
	}
	return errorf(ErrLayout, "type %q has %d resume points but %d named in persist.Register "+
		"(name each one there, or run stackworld gen again)", ref.info.name, n, names)
}
