package persist

import (
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
	Schema   uint64            // the program's schema (RegisterUpgrade)
	Schemas  map[string]uint64 // each package's schema (RegisterPackageUpgrade); absent: 1
	Tick     uint64
	Types    []RawType // the type table as read; after the upgrades, frames' resume points are mapped to the program's by the PCs named here (an upgrade that renumbers a type's resume points renames its PCs too)
	NextID   sim.ID
	NextChan sim.ChanID
	Stats    sim.Stats
	Tasklets []RawTasklet // in the order Load restores them (ring, channel queues, sleepers, paused)
	Channels []sim.ChannelState
	Timers   []sim.ID // timer entries in wake order
	Sections []RawSection
}

// SchemaOf returns the schema of package pkg ("" for the program's).
func (r *Raw) SchemaOf(pkg string) uint64 {
	if pkg == "" {
		return r.Schema
	}
	if s, ok := r.Schemas[pkg]; ok {
		return s
	}
	return 1
}

func (r *Raw) setSchema(pkg string, s uint64) {
	if pkg == "" {
		r.Schema = s
		return
	}
	if r.Schemas == nil {
		r.Schemas = map[string]uint64{}
	}
	r.Schemas[pkg] = s
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
		return sim.ChanID(r.uintMax(uint64(sim.MaxChanID), "channel id"))
	case sAny:
		if v := d.rawValue(); v != nil {
			return v
		}
		return nil
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
