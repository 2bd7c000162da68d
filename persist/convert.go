package persist

import (
	"fmt"
	"math"
	"reflect"
	"unsafe"

	"github.com/stackworld/stackworld/sim"
)

// ---- Raw to Go values ----

// converter turns a Raw into an Image with the registered Go types, matching struct fields
// by name: a field missing from the Raw or one the Go type lacks is an error (an upgrade
// must add, drop or rename it).
type converter struct {
	reg   *registry
	depth int
	max   int
	pcs   map[string]*fileType // frame types whose resume points the file names (resume.go)
	from  uint64               // the file's schema, before its upgrades (for errors)
}

func (c *converter) image(raw *Raw) (*sim.Image, []Section, error) {
	c.namedResumePoints(raw)
	img := &sim.Image{Tick: raw.Tick, NextID: raw.NextID, NextChan: raw.NextChan, Stats: raw.Stats,
		Channels: raw.Channels, Timers: raw.Timers}
	img.Tasklets = make([]sim.TaskletState, len(raw.Tasklets))
	for i, rt := range raw.Tasklets {
		ts := sim.TaskletState{ID: rt.ID, State: rt.State, Flags: rt.Flags, Dir: rt.Dir, Channel: rt.Channel, Wake: rt.Wake,
			FrameStart: uint32(len(img.Frames)), FrameCount: uint32(len(rt.Frames))}
		if rt.Value != nil {
			v, err := c.value(rt.Value, nil)
			if err != nil {
				return nil, nil, &LoadError{Where: fmt.Sprintf("tasklet %d", rt.ID), Offset: -1, Err: err}
			}
			ts.TempVal = v
		}
		if rt.Err != "" {
			ref := c.reg.byName[rt.Err]
			if ref == nil || ref.err == nil {
				return nil, nil, &LoadError{Where: fmt.Sprintf("tasklet %d", rt.ID), Offset: -1,
					Err: errorf(ErrUnknownType, "unknown error %q (register it with persist.RegisterError, or rename it in an upgrade)", rt.Err)}
			}
			ts.Err = ref.err
		}
		for k, fr := range rt.Frames {
			f, err := c.frame(fr)
			if err != nil {
				return nil, nil, &LoadError{Where: fmt.Sprintf("tasklet %d, frame %d", rt.ID, k), Offset: -1, Err: err}
			}
			pc, err := c.resumePoint(fr)
			if err != nil {
				return nil, nil, &LoadError{Where: fmt.Sprintf("tasklet %d, frame %d", rt.ID, k), Offset: -1, Err: err}
			}
			img.Frames = append(img.Frames, sim.FrameState{Frame: f, PC: pc})
		}
		img.Tasklets[i] = ts
	}
	var secs []Section
	for _, s := range raw.Sections {
		v, err := c.value(s.Value, nil)
		if err != nil {
			return nil, nil, &LoadError{Where: fmt.Sprintf("section %q", s.Name), Offset: -1, Err: err}
		}
		secs = append(secs, Section{s.Name, v})
	}
	return img, secs, nil
}

// namedResumePoints prepares the mapping of resume points by name for every frame type of
// raw's type table (after its upgrades ran), as a typed load does: a frame keeps the resume
// point of the same name when the program numbers its resume points differently.
func (c *converter) namedResumePoints(raw *Raw) {
	for _, t := range raw.Types {
		ref := c.reg.byName[t.Name]
		if ref == nil || ref.info == nil || len(t.PCs) == 0 {
			continue
		}
		ft := &fileType{name: t.Name, pcs: t.PCs, ref: ref}
		ft.mapResumePoints()
		if ft.pcMap != nil {
			if c.pcs == nil {
				c.pcs = make(map[string]*fileType)
			}
			c.pcs[t.Name] = ft
		}
	}
}

// resumePoint returns the program's resume point for fr's.
func (c *converter) resumePoint(fr RawFrame) (sim.PC, error) {
	if ft := c.pcs[fr.Type]; ft != nil {
		return ft.resumePoint(uint64(fr.PC), c.from)
	}
	return fr.PC, nil
}

func (c *converter) frame(fr RawFrame) (sim.Frame, error) {
	v, err := c.value(&RawValue{Type: fr.Type, Value: fr.Value}, reflect.TypeFor[sim.Frame]())
	if err != nil {
		return nil, err
	}
	f, _ := v.(sim.Frame)
	if f == nil {
		return nil, errorf(ErrInconsistent, "type %q is not a frame type", fr.Type)
	}
	return f, nil
}

// value converts a typed value to the registered Go type, which must implement iface.
func (c *converter) value(rv *RawValue, iface reflect.Type) (any, error) {
	if rv == nil {
		return nil, nil
	}
	ref := c.reg.byName[rv.Type]
	if ref == nil {
		name := rv.Type
		if len(name) > 0 && name[0] == '*' {
			name = name[1:]
		}
		return nil, errorf(ErrUnknownType, "unknown type %q (register it with persist.Register, or rename it in an upgrade)", name)
	}
	if ref.err != nil {
		return ref.err, nil
	}
	if iface != nil && !ref.rtype.Implements(iface) {
		return nil, errorf(ErrInconsistent, "a %s does not implement %v", rv.Type, iface)
	}
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > c.max {
		return nil, errorf(ErrLimit, "values nested deeper than %d", c.max)
	}
	x := reflect.New(ref.info.t)
	if err := c.set(x.Elem(), rv.Value); err != nil {
		return nil, fmt.Errorf("%s: %w", rv.Type, err)
	}
	if ref.ptr {
		return x.Interface(), nil
	}
	return x.Elem().Interface(), nil
}

// set stores the generic value v into dst (addressable), by dst's kind.
func (c *converter) set(dst reflect.Value, v any) error {
	t := dst.Type()
	if isChanHandle(t) {
		return setChan(dst, v)
	}
	switch t.Kind() {
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return cannotStore(v, t)
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return setInt(dst, v)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return setUint(dst, v)
	case reflect.Float32, reflect.Float64:
		return setFloat(dst, v)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return cannotStore(v, t)
		}
		dst.SetString(s)
	case reflect.Slice:
		return c.setSlice(dst, v)
	case reflect.Array:
		return c.setArray(dst, v)
	case reflect.Map:
		return c.setMap(dst, v)
	case reflect.Struct:
		return c.setStruct(dst, v)
	case reflect.Interface:
		return c.setInterface(dst, v)
	case reflect.Pointer:
		return c.setPointer(dst, v)
	default:
		return cannotStore(v, t)
	}
	return nil
}

func cannotStore(v any, t reflect.Type) error {
	return errorf(ErrInconsistent, "cannot store %T in a %v", v, t)
}

// setChan stores a channel id (sim.ChanID, or an integer from an upgrade) in a sim.Chan
// handle.
func setChan(dst reflect.Value, v any) error {
	id, ok := unsignedOf(v)
	if !ok || id > uint64(sim.MaxChanID) {
		return cannotStore(v, dst.Type())
	}
	*(*sim.ChanID)(unsafe.Pointer(dst.UnsafeAddr())) = sim.ChanID(id)
	return nil
}

// setInt stores in dst, a signed integer, the integer v holds.
func setInt(dst reflect.Value, v any) error {
	n, ok := signedOf(v)
	switch {
	case !ok:
		return cannotStore(v, dst.Type())
	case dst.OverflowInt(n):
		return overflows(n, dst.Type())
	}
	dst.SetInt(n)
	return nil
}

// setUint stores in dst, an unsigned integer, the integer v holds.
func setUint(dst reflect.Value, v any) error {
	n, ok := unsignedOf(v)
	switch {
	case !ok:
		return cannotStore(v, dst.Type())
	case dst.OverflowUint(n):
		return overflows(n, dst.Type())
	}
	dst.SetUint(n)
	return nil
}

// signedOf returns the integer a decoded value holds, if it fits an int64: an int64, or a
// uint64 up to math.MaxInt64.
func signedOf(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case uint64:
		return int64(x), x <= math.MaxInt64
	}
	return 0, false
}

// unsignedOf returns the integer a decoded value holds, if it is not negative: a uint64,
// an int64 ≥ 0, or a sim.ChanID (a handle's id).
func unsignedOf(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint64:
		return x, true
	case int64:
		return uint64(x), x >= 0
	case sim.ChanID:
		return uint64(x), true
	}
	return 0, false
}

func overflows[N int64 | uint64](n N, t reflect.Type) error {
	return errorf(ErrInconsistent, "%d overflows %v", n, t)
}

func setFloat(dst reflect.Value, v any) error {
	switch x := v.(type) {
	case float64:
		dst.SetFloat(x)
	case int64:
		dst.SetFloat(float64(x))
	case uint64:
		dst.SetFloat(float64(x))
	default:
		return cannotStore(v, dst.Type())
	}
	return nil
}

func (c *converter) setSlice(dst reflect.Value, v any) error {
	t := dst.Type()
	if v == nil {
		return nil
	}
	if t.Elem().Kind() == reflect.Uint8 {
		b, ok := v.([]byte)
		if !ok {
			return cannotStore(v, t)
		}
		dst.SetBytes(append([]byte(nil), b...))
		return nil
	}
	xs, ok := v.([]any)
	if !ok {
		return cannotStore(v, t)
	}
	s := reflect.MakeSlice(t, len(xs), len(xs))
	for i, x := range xs {
		if err := c.set(s.Index(i), x); err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
	}
	if len(xs) > 0 {
		dst.Set(s)
	}
	return nil
}

func (c *converter) setArray(dst reflect.Value, v any) error {
	t := dst.Type()
	if t.Elem().Kind() == reflect.Uint8 {
		b, ok := v.([]byte)
		if !ok || len(b) != t.Len() {
			return cannotStore(v, t)
		}
		reflect.Copy(dst, reflect.ValueOf(b))
		return nil
	}
	xs, ok := v.([]any)
	if !ok || len(xs) != t.Len() {
		return cannotStore(v, t)
	}
	for i, x := range xs {
		if err := c.set(dst.Index(i), x); err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return nil
}

func (c *converter) setMap(dst reflect.Value, v any) error {
	t := dst.Type()
	m, ok := v.(RawMap)
	if !ok {
		if v == nil {
			return nil
		}
		return cannotStore(v, t)
	}
	if len(m) == 0 {
		return nil
	}
	mv := reflect.MakeMapWithSize(t, len(m))
	for _, p := range m {
		k, val := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
		if err := c.set(k, p.Key); err != nil {
			return fmt.Errorf("map key: %w", err)
		}
		if err := c.set(val, p.Value); err != nil {
			return fmt.Errorf("[%v]: %w", k, err)
		}
		if mv.MapIndex(k).IsValid() {
			return errorf(ErrInconsistent, "map: duplicate key %v", k)
		}
		mv.SetMapIndex(k, val)
	}
	dst.Set(mv)
	return nil
}

// setStruct stores a *RawStruct's fields by name. Every field of the Go type must be
// there and every field there must be in the Go type: an upgrade that adds a field sets
// it (RawStruct.Set), even to zero, so that an upgrade that matched nothing (a misspelled
// type name) fails instead of loading zeros.
func (c *converter) setStruct(dst reflect.Value, v any) error {
	t := dst.Type()
	s, ok := v.(*RawStruct)
	if !ok || s == nil {
		return cannotStore(v, t)
	}
	used := 0
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "_" {
			continue
		}
		x, ok := s.Get(f.Name)
		if !ok {
			return errorf(ErrLayout, "field %s of %v is not in the snapshot (an upgrade that adds it sets it with RawStruct.Set; check the type name it matches: frames used through pointers are named \"*name\")", f.Name, t)
		}
		used++
		if err := c.set(dst.Field(i), x); err != nil {
			return fmt.Errorf("field %s: %w", f.Name, err)
		}
	}
	if used == len(s.Fields) {
		return nil
	}
	for _, rf := range s.Fields {
		if f, ok := t.FieldByName(rf.Name); !ok || !f.IsExported() {
			return errorf(ErrLayout, "field %s is not in %v (drop or rename it in an upgrade)", rf.Name, t)
		}
	}
	return errorf(ErrInconsistent, "duplicate fields in a %v", t)
}

func (c *converter) setInterface(dst reflect.Value, v any) error {
	if v == nil {
		return nil
	}
	rv, ok := v.(*RawValue)
	if !ok {
		return cannotStore(v, dst.Type())
	}
	x, err := c.value(rv, dst.Type())
	if err != nil {
		return err
	}
	dst.Set(reflect.ValueOf(x))
	return nil
}

func (c *converter) setPointer(dst reflect.Value, v any) error {
	if v == nil {
		return nil
	}
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > c.max {
		return errorf(ErrLimit, "values nested deeper than %d", c.max)
	}
	p := reflect.New(dst.Type().Elem())
	if err := c.set(p.Elem(), v); err != nil {
		return err
	}
	dst.Set(p)
	return nil
}
