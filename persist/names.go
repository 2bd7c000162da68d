package persist

import (
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
