package world

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unsafe"

	"github.com/stackworld/stackworld/sim"
)

// Channel handles inside values. A frame, a message or a component holds a channel as its
// id (sim.ChanID, sim.Chan[V], Mailbox[M]); ids are local to a scheduler, so whatever moves
// an entity to another world finds every handle in its data and maps it to the other
// world's id. The walk follows the shapes persist saves: structs, arrays, slices, maps,
// pointers and interfaces.

// maxHandleDepth bounds how deep the walk follows values (pointer cycles end there).
const maxHandleDepth = 128

var (
	chanIDType = reflect.TypeFor[sim.ChanID]()
	simPkg     = chanIDType.PkgPath()
	// mayHold caches, by type, whether a value of the type can hold a channel handle.
	mayHold sync.Map // reflect.Type -> bool
)

// isHandleType reports whether t is sim.ChanID or a sim.Chan[V] (a struct whose one
// field is the id).
func isHandleType(t reflect.Type) bool {
	if t == chanIDType {
		return true
	}
	return t.Kind() == reflect.Struct && t.PkgPath() == simPkg && strings.HasPrefix(t.Name(), "Chan[") &&
		t.NumField() == 1 && t.Field(0).Type == chanIDType
}

// canHoldHandle reports whether a value of type t can hold a handle (interfaces can).
func canHoldHandle(t reflect.Type) bool {
	if v, ok := mayHold.Load(t); ok {
		return v.(bool)
	}
	mayHold.Store(t, false) // recursive types: assume no while looking
	r := computeHold(t)
	mayHold.Store(t, r)
	return r
}

func computeHold(t reflect.Type) bool {
	if isHandleType(t) {
		return true
	}
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return canHoldHandle(t.Elem())
	case reflect.Map:
		return canHoldHandle(t.Key()) || canHoldHandle(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && canHoldHandle(f.Type) {
				return true
			}
		}
	}
	return false
}

// errHandleDepth: a value nested deeper than maxHandleDepth (or a pointer cycle).
var errHandleDepth = fmt.Errorf("values nested deeper than %d (or a pointer cycle)", maxHandleDepth)

// mapHandles calls f for every non-zero channel handle in the value that v addresses and
// stores what f returns in its place. v must be addressable (reflect.ValueOf(&x).Elem()).
// It stops at f's first error. Cost: O(size of the value); values whose type cannot hold
// a handle are skipped without a look; a value inside an interface that must change is
// copied once.
func mapHandles(v reflect.Value, f func(sim.ChanID) (sim.ChanID, error)) error {
	return handleWalker{f: f}.walk(v, 0)
}

type handleWalker struct {
	f   func(sim.ChanID) (sim.ChanID, error)
	box func(sim.ChanID, boxType) // if set, called for each non-zero Mailbox[M] met, before f
}

func (h handleWalker) walk(v reflect.Value, depth int) error {
	if depth > maxHandleDepth {
		return errHandleDepth
	}
	t := v.Type()
	if !canHoldHandle(t) {
		return nil
	}
	if h.box != nil {
		if b := boxTypeOf(t); b != nil && v.Field(0).Uint() != 0 {
			h.box(sim.ChanID(v.Field(0).Uint()), b)
		}
	}
	if isHandleType(t) {
		p := (*sim.ChanID)(unsafe.Pointer(v.UnsafeAddr())) // both kinds are one ChanID
		if *p == 0 {
			return nil
		}
		id, err := h.f(*p)
		*p = id
		return err
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return h.walk(v.Elem(), depth+1)
	case reflect.Interface:
		return h.iface(v, depth)
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := h.walk(v.Index(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				if err := h.walk(v.Field(i), depth+1); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		return h.mapOf(v, depth)
	}
	return nil
}

// iface walks the value inside interface v: in place behind a pointer, else in a copy
// stored back.
func (h handleWalker) iface(v reflect.Value, depth int) error {
	if v.IsNil() {
		return nil
	}
	e := v.Elem()
	if e.Kind() == reflect.Pointer || !canHoldHandle(e.Type()) {
		if e.Kind() == reflect.Pointer && !e.IsNil() {
			return h.walk(e.Elem(), depth+1)
		}
		return nil
	}
	c := reflect.New(e.Type()).Elem()
	c.Set(e)
	if err := h.walk(c, depth+1); err != nil {
		return err
	}
	v.Set(c)
	return nil
}

// mapOf rebuilds map v with its keys and values walked (a key may be a handle).
func (h handleWalker) mapOf(v reflect.Value, depth int) error {
	if v.IsNil() {
		return nil
	}
	t := v.Type()
	out := reflect.MakeMapWithSize(t, v.Len())
	it := v.MapRange() // determinism: the result is a map; order changes nothing but which error comes first
	for it.Next() {
		k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
		k.Set(it.Key())
		e.Set(it.Value())
		if err := h.walk(k, depth+1); err != nil {
			return err
		}
		if err := h.walk(e, depth+1); err != nil {
			return err
		}
		out.SetMapIndex(k, e)
	}
	if out.Len() != v.Len() {
		return errors.New("two map keys became one channel")
	}
	v.Set(out)
	return nil
}
