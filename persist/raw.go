package persist

import (
	"fmt"
	"math"
	"reflect"
	"unsafe"

	"github.com/stackworld/stackworld/sim"
)

// Raw is a snapshot in generic form: every value as plain Go data read with the layouts
// recorded in the snapshot itself, so no Go type needs to be registered. Upgrades edit a
// Raw (RegisterUpgrade); inspect and diff print one (Codec.Raw, Raw.JSON, Diff).
//
// Values are nil, bool, int64 (int fields), uint64 (uint fields), float64, string, []byte,
// sim.ChanID (channel handles), []any (slices and arrays), RawMap, *RawStruct (structs, and
// the value a pointer field points to) and *RawValue (interface fields: the value with its
// type name).
type Raw struct {
	Format   int
	Schema   uint64
	Tick     uint64
	Types    []RawType // the type table as read (upgrades need not maintain it)
	NextID   sim.ID
	NextChan sim.ChanID
	Stats    sim.Stats
	Tasklets []RawTasklet // in the order Load restores them (ring, channel queues, sleepers, paused)
	Channels []sim.ChannelState
	Timers   []sim.ID // timer entries in wake order
	Sections []RawSection
}

// RawType is one entry of a snapshot's type table.
type RawType struct {
	Name  string   // "npc.Wander", "*npc.Wander" (used through pointers), or an error's name
	Shape string   // the layout (see Register); "" for errors
	PCs   []string // resume point names
}

// RawTasklet is one saved tasklet.
type RawTasklet struct {
	ID      sim.ID
	State   sim.State // StateRunnable, StateBlocked, StateSleeping or StatePaused
	Flags   sim.TaskletFlags
	Dir     int8       // blocked: +1 sending, -1 receiving
	Channel sim.ChanID // blocked: the channel
	Wake    uint64     // sleeping: wake tick; blocked: receive deadline or 0
	Value   *RawValue  // the tempval, or nil
	Err     string     // the name of the registered error pending at the resume point, or ""
	Frames  []RawFrame // bottom first
}

// RawFrame is one frame: its type name as in the type table, resume point and value.
type RawFrame struct {
	Type  string
	PC    sim.PC
	Value any // *RawStruct for struct types
}

// RawValue is an interface value: its registered type name and value. For a registered
// error, Type is the error's name and Value is nil.
type RawValue struct {
	Type  string
	Value any
}

// RawStruct is a struct's fields in order.
type RawStruct struct{ Fields []RawField }

// RawField is one struct field.
type RawField struct {
	Name  string
	Value any
}

// RawMap is a map's entries in the saved (sorted) order.
type RawMap []RawPair

// RawPair is one map entry.
type RawPair struct{ Key, Value any }

// RawSection is one named section.
type RawSection struct {
	Name  string
	Value *RawValue
}

// Get returns the value of the named field.
func (s *RawStruct) Get(name string) (any, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return nil, false
}

// Set sets the named field, appending it if there is none.
func (s *RawStruct) Set(name string, v any) {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			s.Fields[i].Value = v
			return
		}
	}
	s.Fields = append(s.Fields, RawField{name, v})
}

// Rename renames a field and reports whether it was there.
func (s *RawStruct) Rename(old, name string) bool {
	for i := range s.Fields {
		if s.Fields[i].Name == old {
			s.Fields[i].Name = name
			return true
		}
	}
	return false
}

// Delete removes a field and reports whether it was there.
func (s *RawStruct) Delete(name string) bool {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			s.Fields = append(s.Fields[:i], s.Fields[i+1:]...)
			return true
		}
	}
	return false
}

// RenameType renames a registered type (or error) everywhere: frames, values and the
// type table, for the name and its pointer form "*name".
func (r *Raw) RenameType(old, name string) {
	rename := func(s *string) {
		switch *s {
		case old:
			*s = name
		case "*" + old:
			*s = "*" + name
		}
	}
	for i := range r.Types {
		rename(&r.Types[i].Name)
	}
	for i := range r.Tasklets {
		t := &r.Tasklets[i]
		rename(&t.Err)
		for j := range t.Frames {
			rename(&t.Frames[j].Type)
		}
	}
	r.EachValue(func(v *RawValue) { rename(&v.Type) })
}

// EachFrame calls f for every frame of every tasklet.
func (r *Raw) EachFrame(f func(t *RawTasklet, fr *RawFrame)) {
	for i := range r.Tasklets {
		t := &r.Tasklets[i]
		for j := range t.Frames {
			f(t, &t.Frames[j])
		}
	}
}

// EachValue calls f for every interface value, depth first: tempvals, section values and
// interface fields inside frames and values.
func (r *Raw) EachValue(f func(v *RawValue)) {
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case *RawValue:
			if x != nil {
				f(x)
				walk(x.Value)
			}
		case *RawStruct:
			if x != nil {
				for _, fl := range x.Fields {
					walk(fl.Value)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case RawMap:
			for _, p := range x {
				walk(p.Key)
				walk(p.Value)
			}
		}
	}
	for i := range r.Tasklets {
		t := &r.Tasklets[i]
		walk(t.Value)
		for _, fr := range t.Frames {
			walk(fr.Value)
		}
	}
	for _, s := range r.Sections {
		walk(s.Value)
	}
}

// rawShape reads a value of shape sh generically.
func (d *decoder) rawShape(sh *shape) any {
	r := &d.r
	switch sh.kind {
	case sBool:
		return r.bool()
	case sInt:
		return r.int()
	case sUint:
		return r.uint()
	case sFloat:
		return r.float()
	case sString:
		return r.text(d.lim.MaxStringBytes, "string")
	case sBytes:
		return r.bytes(d.lim.MaxStringBytes, "bytes")
	case sFixedBytes:
		b := r.rawBytes(majBytes, sh.n, "byte array")
		if r.err == nil && len(b) != sh.n {
			r.fail("byte array: want %d bytes, found %d", sh.n, len(b))
		}
		return append([]byte(nil), b...)
	case sChan:
		return sim.ChanID(r.uintMax(math.MaxUint32, "channel id"))
	case sAny:
		v := d.anyValue(nil)
		if v == nil {
			return nil
		}
		return v
	case sSlice, sArray:
		var n int
		if sh.kind == sSlice {
			n = r.length(majArray, d.lim.MaxElements, sh.elem.minBytes(), "slice")
		} else if r.arrayOf(sh.n, "array") {
			n = sh.n
		}
		if r.err != nil {
			return nil
		}
		if n*sh.elem.minBytes() > r.remaining() {
			r.failk(ErrTruncated, "truncated: array of %d elements", n)
			return nil
		}
		xs := make([]any, n)
		for i := 0; i < n && r.err == nil; i++ {
			xs[i] = d.rawShape(sh.elem)
		}
		return xs
	case sMap:
		n := r.length(majMap, d.lim.MaxElements, sh.key.minBytes()+sh.elem.minBytes(), "map")
		m := make(RawMap, 0, n)
		for i := 0; i < n && r.err == nil; i++ {
			k := d.rawShape(sh.key)
			m = append(m, RawPair{k, d.rawShape(sh.elem)})
		}
		return m
	case sStruct:
		if !r.arrayOf(len(sh.fields), "struct") {
			return nil
		}
		s := &RawStruct{Fields: make([]RawField, len(sh.fields))}
		for i, f := range sh.fields {
			s.Fields[i] = RawField{f.name, d.rawShape(f.shape)}
		}
		return s
	case sPtr:
		if r.null() {
			return nil
		}
		var target *shape
		for _, ft := range d.table {
			if ft.sh != nil && (ft.name == sh.ref || ft.name == "*"+sh.ref) {
				target = ft.sh
				break
			}
		}
		if target == nil {
			r.fail("pointer to %s, whose layout is not in the type table", sh.ref)
			return nil
		}
		if !d.enter() {
			return nil
		}
		v := d.rawShape(target)
		d.depth--
		return v
	}
	r.fail("bad shape")
	return nil
}

func (d *decoder) assembleRaw(out *decoded, ts []sim.TaskletRow, frames []RawFrame, values map[int32]*RawValue,
	errs map[int32]string, timers []sim.ID, chans []sim.ChannelState, sections []RawSection,
	nextID sim.ID, nextChan sim.ChanID, stats sim.Stats) *Raw {
	raw := &Raw{Format: out.format, Schema: out.schema, Tick: out.tick, NextID: nextID, NextChan: nextChan,
		Stats: stats, Channels: chans, Timers: timers, Sections: sections}
	for _, ft := range d.table {
		raw.Types = append(raw.Types, RawType{Name: ft.name, Shape: ft.shape, PCs: ft.pcs})
	}
	raw.Tasklets = make([]RawTasklet, len(ts))
	for i, t := range ts {
		raw.Tasklets[i] = RawTasklet{ID: t.ID, State: t.State, Flags: t.Flags, Dir: t.Dir, Channel: t.Channel, Wake: t.Wake,
			Value: values[int32(i)], Err: errs[int32(i)], Frames: frames[t.FrameStart : t.FrameStart+t.FrameCount : t.FrameStart+t.FrameCount]}
	}
	return raw
}

// ---- Raw to Go values ----

// converter turns a Raw into an Image with the registered Go types, matching struct fields
// by name: a field missing from the Raw gets its zero value; a field the Go type lacks is
// an error (an upgrade must drop or rename it).
type converter struct {
	reg   *registry
	depth int
	max   int
}

func (c *converter) image(raw *Raw) (*sim.Image, []Section, error) {
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
			img.Frames = append(img.Frames, sim.FrameState{Frame: f, PC: fr.PC})
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

// set stores the generic value v into dst (addressable).
func (c *converter) set(dst reflect.Value, v any) error {
	t := dst.Type()
	bad := func() error { return errorf(ErrInconsistent, "cannot store %T in a %v", v, t) }
	if isChanHandle(t) {
		var id uint64
		switch x := v.(type) {
		case sim.ChanID:
			id = uint64(x)
		case uint64:
			id = x
		case int64:
			id = uint64(x)
			if x < 0 {
				return bad()
			}
		default:
			return bad()
		}
		if id > math.MaxUint32 {
			return bad()
		}
		*(*uint32)(unsafe.Pointer(dst.UnsafeAddr())) = uint32(id)
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return bad()
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case uint64:
			if x > math.MaxInt64 {
				return bad()
			}
			n = int64(x)
		default:
			return bad()
		}
		if dst.OverflowInt(n) {
			return errorf(ErrInconsistent, "%d overflows %v", n, t)
		}
		dst.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var n uint64
		switch x := v.(type) {
		case uint64:
			n = x
		case int64:
			if x < 0 {
				return bad()
			}
			n = uint64(x)
		case sim.ChanID:
			n = uint64(x)
		default:
			return bad()
		}
		if dst.OverflowUint(n) {
			return errorf(ErrInconsistent, "%d overflows %v", n, t)
		}
		dst.SetUint(n)
	case reflect.Float32, reflect.Float64:
		switch x := v.(type) {
		case float64:
			dst.SetFloat(x)
		case int64:
			dst.SetFloat(float64(x))
		case uint64:
			dst.SetFloat(float64(x))
		default:
			return bad()
		}
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		dst.SetString(s)
	case reflect.Slice:
		if v == nil {
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			b, ok := v.([]byte)
			if !ok {
				return bad()
			}
			dst.SetBytes(append([]byte(nil), b...))
			return nil
		}
		xs, ok := v.([]any)
		if !ok {
			return bad()
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
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			b, ok := v.([]byte)
			if !ok || len(b) != t.Len() {
				return bad()
			}
			reflect.Copy(dst, reflect.ValueOf(b))
			return nil
		}
		xs, ok := v.([]any)
		if !ok || len(xs) != t.Len() {
			return bad()
		}
		for i, x := range xs {
			if err := c.set(dst.Index(i), x); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
	case reflect.Map:
		m, ok := v.(RawMap)
		if !ok {
			if v == nil {
				return nil
			}
			return bad()
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
	case reflect.Struct:
		s, ok := v.(*RawStruct)
		if !ok || s == nil {
			return bad()
		}
		used := 0
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name == "_" {
				continue
			}
			x, ok := s.Get(f.Name)
			if !ok {
				continue // a new field: zero
			}
			used++
			if err := c.set(dst.Field(i), x); err != nil {
				return fmt.Errorf("field %s: %w", f.Name, err)
			}
		}
		if used != len(s.Fields) {
			for _, rf := range s.Fields {
				if f, ok := t.FieldByName(rf.Name); !ok || !f.IsExported() {
					return errorf(ErrLayout, "field %s is not in %v (drop or rename it in an upgrade)", rf.Name, t)
				}
			}
			return errorf(ErrInconsistent, "duplicate fields in a %v", t)
		}
	case reflect.Interface:
		if v == nil {
			return nil
		}
		rv, ok := v.(*RawValue)
		if !ok {
			return bad()
		}
		x, err := c.value(rv, t)
		if err != nil {
			return err
		}
		dst.Set(reflect.ValueOf(x))
	case reflect.Pointer:
		if v == nil {
			return nil
		}
		c.depth++
		defer func() { c.depth-- }()
		if c.depth > c.max {
			return errorf(ErrLimit, "values nested deeper than %d", c.max)
		}
		p := reflect.New(t.Elem())
		if err := c.set(p.Elem(), v); err != nil {
			return err
		}
		dst.Set(p)
	default:
		return bad()
	}
	return nil
}
