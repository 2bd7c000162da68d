package persist

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/stackworld/stackworld/sim"
)

// A Capture is a scheduler and sections copied at one moment, which SaveCapture encodes
// later, on any goroutine, into the bytes Save would have written at that moment: a save
// that holds the main program only for the copy.
type Capture struct {
	img      *sim.ImageTable
	omitted  []sim.ID
	sections []Section
}

// Capture copies s and the sections' values as they are now, under the same rules as Save
// (the main program, between ticks; hard tasklets refused or omitted per
// Options.HardTasklets). Frames, the tasklets' values and the sections' values are copied
// deeply — every slice, map and pointer they reach, but errors, which are saved by
// identity — so the scheduler and the sections may change as soon as Capture returns;
// values that cannot change (numbers, strings, interfaces holding plain values) are
// shared. Frames of one type are copied into shared blocks. Cost: one walk of the
// tasklets, time and memory proportional to the tasklets, frames and the bytes the values
// hold; no encoding (BenchmarkSavePause in world/server).
func (c *Codec) Capture(s *sim.Scheduler, sections ...Section) (*Capture, error) {
	if s == nil {
		return nil, errors.New("persist: save: nil scheduler")
	}
	if err := s.CanSnapshot(); err != nil {
		return nil, fmt.Errorf("persist: save: %w", err)
	}
	if err := checkSections(sections, c.opts.MaxSections); err != nil {
		return nil, fmt.Errorf("persist: save: %w", err)
	}
	capt := &Capture{sections: make([]Section, len(sections))}
	// The sections are copied beside the tasklets: both only read what they copy.
	sc := &cloner{maxDepth: c.opts.MaxNesting}
	done := make(chan struct{})
	go func() { // determinism: it only reads and copies; Capture waits for it before returning
		defer close(done)
		for i, sec := range sections {
			capt.sections[i] = Section{Name: sec.Name, Value: sc.any(sec.Value)}
		}
	}()
	cp := &cloner{maxDepth: c.opts.MaxNesting}
	img, err := cp.image(s, c.opts.HardTasklets == OmitHard, &capt.omitted)
	<-done
	if err = cmp.Or(err, cp.err, sc.err); err != nil {
		return nil, fmt.Errorf("persist: save: %w", err)
	}
	capt.img = img
	return capt, nil
}

// image walks s as sim.Scheduler.Snapshot does, into an ImageTable (no interfaces per
// tasklet), copying each frame and value as it goes.
func (cp *cloner) image(s *sim.Scheduler, omitHard bool, omitted *[]sim.ID) (*sim.ImageTable, error) {
	nextID, nextChan := s.NextIDs()
	n := s.Counts().Total()
	tb := &sim.ImageTable{Tick: s.Now(), NextID: nextID, NextChan: nextChan, FreeChans: s.FreeChans(), Stats: s.Stats(),
		Tasklets: make([]sim.TaskletRow, 0, n), Frames: make([]sim.FrameState, 0, n)}
	s.Channels(func(ch *sim.Channel) bool {
		tb.Channels = append(tb.Channels, sim.ChannelState{ID: ch.ID(), Preference: int8(ch.Preference()),
			ScheduleAll: ch.ScheduleAll(), Closing: ch.Closing()})
		return true
	})
	var failure error
	onFrame := func(f sim.Frame, pc sim.PC) bool {
		tb.Frames = append(tb.Frames, sim.FrameState{Frame: cp.frame(f), PC: pc})
		return true
	}
	s.Each(func(t *sim.Tasklet) bool {
		switch t.Kind() {
		case sim.Main:
			return true
		case sim.Hard:
			if !omitHard {
				failure = fmt.Errorf("%w (or set Options.HardTasklets to persist.OmitHard to leave hard tasklets out)",
					&sim.StateError{Op: "save", Tasklet: t.ID(), State: t.State(), Reason: sim.ErrNotRestorable})
				return false
			}
			*omitted = append(*omitted, t.ID())
			return true
		}
		ts := t.Saved()
		if ts.TempVal != nil || ts.Err != nil {
			tb.Values = append(tb.Values, sim.TaskletValue{Index: len(tb.Tasklets), TempVal: cp.any(ts.TempVal), Err: ts.Err})
		}
		start := uint32(len(tb.Frames))
		t.Frames(onFrame)
		tb.Tasklets = append(tb.Tasklets, sim.TaskletRow{ID: ts.ID, State: ts.State, Flags: ts.Flags, Dir: ts.Dir,
			Channel: ts.Channel, Wake: ts.Wake, FrameStart: start, FrameCount: uint32(len(tb.Frames)) - start})
		return true
	})
	if failure != nil {
		return nil, failure
	}
	s.EachTimer(func(id sim.ID) bool {
		tb.Timers = append(tb.Timers, id)
		return true
	})
	return tb, nil
}

// SaveCapture encodes cp: the bytes Save returned, or would have returned, when cp was
// taken. It restores cp into a scheduler of its own and saves that, so it may run on any
// goroutine, beside the scheduler cp was taken from. A Capture may be saved more than
// once, not concurrently.
func (c *Codec) SaveCapture(cp *Capture) ([]byte, *Report, error) {
	s := sim.NewScheduler(sim.Options{})
	if err := s.RestoreTable(cp.img, sim.RestoreOptions{}); err != nil {
		return nil, nil, fmt.Errorf("persist: save: capture: %w", err)
	}
	data, rep, err := c.Save(s, cp.sections...)
	if err != nil {
		return nil, nil, err
	}
	rep.Omitted = cp.omitted
	return data, rep, nil
}

// ---- deep copies ----

var errorType = reflect.TypeFor[error]()

// cloner copies values deeply, remembering per type how.
type cloner struct {
	maxDepth int
	depth    int
	err      error
	slabs    []*slab
}

// copyInfo says how to copy values of one type.
type copyInfo struct {
	ptrs   bool  // holds pointers of any kind (strings too): copied with write barriers
	refs   bool  // holds slices, maps, pointers or interfaces: a plain copy shares them
	fields []int // of a struct: the fields with refs
}

var (
	copyInfos  sync.Map   // reflect.Type → *copyInfo, complete entries only
	copyInfoMu sync.Mutex // one computation at a time
)

// copyInfoOf returns how to copy values of type t. Safe for concurrent use.
func copyInfoOf(t reflect.Type) *copyInfo {
	if ti, ok := copyInfos.Load(t); ok {
		return ti.(*copyInfo)
	}
	copyInfoMu.Lock()
	defer copyInfoMu.Unlock()
	fresh := map[reflect.Type]*copyInfo{}
	ti := computeCopyInfo(t, fresh)
	for t, ti := range fresh { // determinism: a cache; order does not matter
		copyInfos.Store(t, ti)
	}
	return ti
}

// computeCopyInfo computes t's copyInfo; fresh holds those being computed (a recursive type
// reaches itself only through a pointer, slice or map, which has refs whatever it holds).
func computeCopyInfo(t reflect.Type, fresh map[reflect.Type]*copyInfo) *copyInfo {
	if ti, ok := copyInfos.Load(t); ok {
		return ti.(*copyInfo)
	}
	if ti := fresh[t]; ti != nil {
		return ti
	}
	ti := &copyInfo{}
	fresh[t] = ti
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		ti.refs, ti.ptrs = true, true
	case reflect.String:
		ti.ptrs = true
	case reflect.Array:
		e := computeCopyInfo(t.Elem(), fresh)
		ti.refs, ti.ptrs = e.refs, e.ptrs && t.Len() > 0
	case reflect.Struct:
		for i := range t.NumField() {
			f := computeCopyInfo(t.Field(i).Type, fresh)
			if f.refs {
				ti.fields = append(ti.fields, i)
			}
			ti.ptrs = ti.ptrs || f.ptrs
		}
		ti.refs = len(ti.fields) > 0
	}
	return ti
}

// slab is a block of frames of one type being filled.
type slab struct {
	t    reflect.Type // the frame's type, a pointer to a struct
	info *copyInfo    // of t.Elem()
	size uintptr
	base unsafe.Pointer
	n    int // used of slabFrames
}

const slabFrames = 256

// frame returns a copy of f. Frames are pointers to structs (the usual case): those of one
// type are copied into blocks of slabFrames, with a plain memory copy when they hold no
// pointers; anything else is copied by any.
func (cp *cloner) frame(f sim.Frame) sim.Frame {
	t := reflect.TypeOf(f)
	var sl *slab
	for _, x := range cp.slabs { // few frame types: a short scan beats a map
		if x.t == t {
			sl = x
			break
		}
	}
	if sl == nil {
		if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
			return cp.any(f).(sim.Frame)
		}
		e := t.Elem()
		sl = &slab{t: t, info: copyInfoOf(e), size: e.Size(), n: slabFrames}
		cp.slabs = append(cp.slabs, sl)
	}
	src := (*eface)(unsafe.Pointer(&f)).data
	if src == nil {
		return f
	}
	if sl.n == slabFrames {
		sl.base, sl.n = reflect.New(reflect.ArrayOf(slabFrames, t.Elem())).UnsafePointer(), 0
	}
	dst := unsafe.Add(sl.base, uintptr(sl.n)*sl.size)
	sl.n++
	if !sl.info.ptrs {
		copy(unsafe.Slice((*byte)(dst), sl.size), unsafe.Slice((*byte)(src), sl.size))
	} else {
		d := reflect.NewAt(t.Elem(), dst).Elem()
		s := reflect.NewAt(t.Elem(), src).Elem()
		d.Set(s)
		if sl.info.refs {
			cp.fixFields(d, s, sl.info)
		}
	}
	out := f
	(*eface)(unsafe.Pointer(&out)).data = dst // same dynamic type, the copy's address
	return out
}

// fixFields replaces dst's fields with refs (a plain copy of src) by deep copies. dst is
// addressable; unexported fields are reached through their addresses.
func (cp *cloner) fixFields(dst, src reflect.Value, ti *copyInfo) {
	for _, i := range ti.fields {
		df, sf := open(dst.Field(i)), src.Field(i)
		if sf.CanAddr() {
			sf = open(sf)
		}
		df.Set(cp.value(sf))
	}
}

// open returns addressable v without the read-only mark of an unexported field.
func open(v reflect.Value) reflect.Value {
	if v.CanSet() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// any returns a deep copy of v; a value that cannot change is returned as it is.
func (cp *cloner) any(v any) any {
	if v == nil {
		return nil
	}
	if _, ok := v.(error); ok {
		return v // errors are saved by identity (RegisterError): the same value, not a copy
	}
	rv := reflect.ValueOf(v)
	if !copyInfoOf(rv.Type()).refs {
		return v // an interface holds its own copy of a plain value: nobody can change it
	}
	return cp.value(rv).Interface()
}

// value returns a deep copy of v.
func (cp *cloner) value(v reflect.Value) reflect.Value {
	t := v.Type()
	ti := copyInfoOf(t)
	if !ti.refs || cp.err != nil {
		return v
	}
	cp.depth++
	defer func() { cp.depth-- }()
	if cp.depth > cp.maxDepth {
		cp.err = fmt.Errorf("values nested deeper than %d (MaxNesting; a pointer cycle?)", cp.maxDepth)
		return v
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(cp.value(v.Elem()))
		return p
	case reflect.Interface:
		if v.IsNil() || v.Elem().Type().Implements(errorType) {
			return v // errors are saved by identity: the same value
		}
		out := reflect.New(t).Elem()
		out.Set(cp.value(v.Elem()))
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		if !copyInfoOf(t.Elem()).refs {
			reflect.Copy(out, v)
			return out
		}
		for i := range v.Len() {
			out.Index(i).Set(cp.value(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(t, v.Len())
		it := v.MapRange() // determinism: a map's copy is the same map whatever the order
		for it.Next() {
			out.SetMapIndex(cp.value(it.Key()), cp.value(it.Value()))
		}
		return out
	case reflect.Array:
		out := reflect.New(t).Elem()
		for i := range v.Len() {
			out.Index(i).Set(cp.value(v.Index(i)))
		}
		return out
	case reflect.Struct:
		out := reflect.New(t).Elem()
		out.Set(v)
		cp.fixFields(out, v, ti)
		return out
	}
	return v // chans, funcs: refused by Register, never in a saved value
}
