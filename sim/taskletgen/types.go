package taskletgen

import (
	"fmt"
	"go/types"
)

// unsaveable says why persist cannot save a field of type t, or "" if it can (see
// persist.Register for the rules this mirrors). Named types outside package sim are
// checked by their layout; persist checks again, at init, when the frame is registered.
func unsaveable(t types.Type, seen map[types.Type]bool) string {
	if seen[t] {
		return ""
	}
	seen[t] = true
	if isSimNamed(t, "Chan") {
		return ""
	}
	if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == simPath {
		switch n.Obj().Name() {
		case "ID", "ChanID", "PC", "Kind", "State":
			return ""
		}
		return fmt.Sprintf("sim.%s is live scheduler state (hold an id instead)", n.Obj().Name())
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Kind() == types.UnsafePointer || u.Kind() == types.Uintptr:
			return "it is an address"
		case u.Info()&types.IsComplex != 0:
			return "complex numbers are not saved"
		}
		return ""
	case *types.Slice:
		return unsaveable(u.Elem(), seen)
	case *types.Array:
		return unsaveable(u.Elem(), seen)
	case *types.Map:
		if k, ok := u.Key().Underlying().(*types.Basic); !ok || k.Info()&(types.IsInteger|types.IsString|types.IsBoolean) == 0 {
			return "map keys must be strings, integers or booleans"
		}
		return unsaveable(u.Elem(), seen)
	case *types.Struct:
		for i := range u.NumFields() {
			f := u.Field(i)
			if !f.Exported() {
				return fmt.Sprintf("field %s is unexported", f.Name())
			}
			if why := unsaveable(f.Type(), seen); why != "" {
				return fmt.Sprintf("field %s: %s", f.Name(), why)
			}
		}
		return ""
	case *types.Pointer:
		if _, ok := types.Unalias(u.Elem()).(*types.Named); ok {
			if isSimNamed(u.Elem(), "Tasklet") || isSimNamed(u.Elem(), "Scheduler") || isSimNamed(u.Elem(), "Channel") {
				return "it points to live scheduler state (hold an id instead)"
			}
			return unsaveable(u.Elem(), seen) // a pointer to a registered type
		}
		return "a pointer to an unnamed type cannot be registered"
	case *types.Interface:
		return "" // persist checks the values it holds when saving
	case *types.Signature:
		return "it is a func"
	case *types.Chan:
		return "it is a Go channel (use a sim.Chan)"
	}
	return fmt.Sprintf("type %s is not saved", t)
}
