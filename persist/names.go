package persist

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/stackworld/stackworld/sim"
)

// TypeName returns the name v's type was registered under ("*name" for a pointer to a
// registered struct, as snapshots write it), and false if it is not registered. Tools use
// it to show frames by their stable names; it reads the registry without locks.
func TypeName(v any) (string, bool) {
	if v == nil {
		return "", false
	}
	ref := current().byType[reflect.TypeOf(v)]
	if ref == nil {
		return "", false
	}
	return ref.name, true
}

// PCName returns the name registered for resume point pc of frame f's type, or "" if the
// type is not registered or names no such resume point.
func PCName(f sim.Frame, pc sim.PC) string {
	if f == nil {
		return ""
	}
	ref := current().byType[reflect.TypeOf(f)]
	if ref == nil || ref.info == nil || int(pc) >= len(ref.info.pcs) {
		return ""
	}
	return ref.info.pcs[pc]
}

// CheckFrame reports what Save would find wrong with frame f's type, so that a caller can
// refuse it at spawn instead of at the first save (world.Spawn does): f must be non-nil
// and of a type registered with Register that implements sim.Frame as used (F or *F),
// and, if it is a ResumePointCounter of a type registered with resume point names, have
// no more resume points than names. (Save refuses a frame at a resume point beyond its
// type's names; CheckFrame finds the mistake before any frame gets there.) Cost: one
// registry lookup, one type assertion, no allocation; safe for concurrent use.
func CheckFrame(f sim.Frame) error {
	if f == nil {
		return errors.New("persist: a nil frame cannot be saved")
	}
	ref := current().byType[reflect.TypeOf(f)]
	if ref == nil {
		return fmt.Errorf("persist: frame: %w", errUnregistered(f))
	}
	if err := checkResumePoints(f, ref); err != nil {
		return fmt.Errorf("persist: frame: %w", err)
	}
	return nil
}
