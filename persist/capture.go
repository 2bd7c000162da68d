package persist

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/stackworld/stackworld/sim"
)

// A Capture is a scheduler and sections copied at one moment, which SaveCapture encodes
// later, on any goroutine, into the bytes Save would have written at that moment: a save
// that holds the main program only for the copy.
//
// The tasklets' frames are copied on first step: Capture records the scheduler's tasklet
// table and freezes its soft tasklets in one walk (sim.Scheduler.FreezeTable), reading
// none of their frames; before a frozen tasklet steps, the main program copies its frames,
// and SaveCapture copies the frames of the others itself. Each tasklet's frames are copied
// once, by whichever side comes first (an atomic state per tasklet decides).
type Capture struct {
	ft       *sim.FrozenTable // the frames of a row are zero until its state says copied
	omitted  []sim.ID
	sections []Section

	states []atomic.Uint32 // per row: pending, copying or copied
	index  rowIndex        // tasklet → row, frozen, started: for the main program's Thaw
	saved  atomic.Bool     // a SaveCapture has copied every row's frames
	onStep int             // rows whose frames the main program copied (main program only)
	main   *cloner         // copies for the main program's Thaw
	bg     *cloner         // copies for SaveCapture
	maxDep int

	prepared bool // made by PrepareCapture: tables only, never saved
	warm     bool // no table grew in Recapture
}

// The states of a row's frames.
const (
	framesPending uint32 = iota // not yet recorded: the tasklet's frames are live
	framesCopying               // one side is copying them
	framesCopied                // the table holds copies
)

// Capture copies s and the sections' values as they are now, under the same rules as Save
// (the main program, between ticks; hard tasklets refused or omitted per
// Options.HardTasklets). The sections' values and the tasklets' values are copied deeply
// at once — every slice, map and pointer they reach, but errors, which are saved by identity
// — so they may change as soon as Capture returns. The frames are copied later (see
// Capture), which requires what Save already does of them: a frame, and what it reaches,
// changes only in its own tasklet's steps. Values that cannot change (numbers, strings,
// interfaces holding plain values) are shared. A section value may finish its copy later,
// on SaveCapture's goroutine (CaptureCopier, CaptureFinisher). Cost: one walk of the
// tasklets and one of the channels, time and memory proportional to the tasklets and the
// bytes the sections' copies hold; no encoding (BenchmarkSavePause in world/server). A
// frozen tasklet's first step later pays for the copy of its frames.
func (c *Codec) Capture(s *sim.Scheduler, sections ...Section) (*Capture, error) {
	return c.Recapture(nil, s, sections...)
}

// Recapture is Capture reusing the memory of spare, a capture of s that is no longer
// needed: a later capture of s has been taken since (so s no longer asks spare about its
// tasklets), no SaveCapture of it runs, and the caller drops it (it must not be used
// again). A server alternates two captures this way, since the writer may still hold the
// last one. With a nil spare it is Capture. It avoids allocating the tables anew (about
// 100 bytes per tasklet).
func (c *Codec) Recapture(spare *Capture, s *sim.Scheduler, sections ...Section) (*Capture, error) {
	if s == nil {
		return nil, errors.New("persist: save: nil scheduler")
	}
	if err := s.CanSnapshot(); err != nil {
		return nil, fmt.Errorf("persist: save: %w", err)
	}
	if err := checkSections(sections, c.opts.MaxSections); err != nil {
		return nil, fmt.Errorf("persist: save: %w", err)
	}
	// An earlier capture's tasklets stay frozen until the walk reaches them; it thaws each
	// (the earlier capture copies its frames if its writer has not) before recording it
	// and freezing it for capt (sim.Scheduler.FreezeTable).
	capt := spare.recycle()
	capt.sections, capt.maxDep = make([]Section, len(sections)), c.opts.MaxNesting
	// The sections are copied beside the tasklets: both only read what they copy.
	sc := &cloner{maxDepth: c.opts.MaxNesting}
	done := make(chan struct{})
	go func() { // determinism: it only reads and copies; Capture waits for it before returning
		defer close(done)
		for i, sec := range sections {
			capt.sections[i] = Section{Name: sec.Name, Value: sc.section(sec.Value)}
		}
	}()
	cp := &cloner{maxDepth: c.opts.MaxNesting}
	s.FreezeTable(capt, capt.ft)
	err := capt.values(cp, c.opts.HardTasklets == OmitHard)
	<-done
	states, dense := cap(capt.states), cap(capt.index.dense) // Warm: neither grows
	capt.states = resize(capt.states, len(capt.ft.Tasklets))
	capt.index.build(capt.ft.Table.Tasklets)
	capt.warm = spare != nil && !capt.ft.Grew() && cap(capt.states) == states && (capt.index.dense == nil || cap(capt.index.dense) == dense)
	capt.main, capt.bg = cp, &cloner{maxDepth: c.opts.MaxNesting}
	if err = cmp.Or(err, cp.err, sc.err); err != nil {
		capt.unfreeze(s)
		return nil, fmt.Errorf("persist: save: %w", err)
	}
	return capt, nil
}

// CaptureRoom is the size of the tables a capture holds: PrepareCapture and
// Capture.Reserve make room for them.
type CaptureRoom struct {
	Tasklets int // tasklets (all alive ones, main and hard ones included, is enough)
	Frames   int // frames of those tasklets
	Channels int // channel slots
	IDSpan   int // the largest tasklet ID less the smallest, plus one (0: Tasklets)
}

// framesPerTasklet is how many frames CaptureRoomOf reserves per tasklet: a tasklet has at
// least one, and NPCs deep in calls a few.
const framesPerTasklet = 2

// CaptureRoomOf returns the room a capture of s takes now: its alive tasklets, two frames
// each, and its channel slots. Call it between ticks on the main program (it reads s's
// counters); constant time.
func CaptureRoomOf(s *sim.Scheduler) CaptureRoom {
	c := s.Counts()
	n := c.Runnable + c.Paused + c.Watching + c.Sleeping + c.Blocked
	_, chans := s.NextIDs()
	return CaptureRoom{Tasklets: n, Frames: framesPerTasklet * n, Channels: int(chans)}
}

// PrepareCapture returns a capture that holds no moment, only tables with room for r
// (Reserve): pass it as the spare of a Recapture, which then neither allocates nor faults
// in a table (Capture.Warm reports it). It reads no scheduler, so it may run on any
// goroutine, beside the program, while the scheduler runs (a server prepares its first
// two captures on its writer goroutine when it starts). It must not be saved (SaveCapture
// refuses it). Cost: Reserve's.
func PrepareCapture(r CaptureRoom) *Capture {
	capt := &Capture{ft: &sim.FrozenTable{}, prepared: true}
	capt.Reserve(r)
	return capt
}

// Room returns the size of cp's tables: its tasklets, frames and channels, and the span
// of its tasklet IDs. Constant time.
func (cp *Capture) Room() CaptureRoom {
	tb := &cp.ft.Table
	return CaptureRoom{Tasklets: len(tb.Tasklets), Frames: len(tb.Frames), Channels: len(tb.Channels), IDSpan: len(cp.index.dense)}
}

// Reserve gives cp's tables room for r and an eighth more, the memory it adds written once
// (faulted in), so that a Recapture of a world that size, or a little larger, with cp as
// its spare neither grows nor faults in a table. Call it only on a capture that is
// Recapture's spare-to-be: prepared, or one whose SaveCapture has returned and that a
// later capture has replaced as the scheduler's Freezer; it may run on any goroutine that
// owns cp (a server's writer, after a save, readies the next capture's spare this way, off
// the tick loop). Cost: allocation and one store per page of the memory added (about 70
// bytes per tasklet, 24 per frame, 16 per channel); nothing if cp has the room.
func (cp *Capture) Reserve(r CaptureRoom) {
	ahead := func(n int) int { n = max(n, 0); return n + n/8 }
	cp.ft.Reserve(ahead(r.Tasklets), ahead(r.Frames), ahead(r.Channels))
	cp.states = reserved(cp.states, ahead(r.Tasklets))
	cp.index.dense = reserved(cp.index.dense, ahead(max(r.Tasklets, r.IDSpan)))
}

// reserved returns s with room for n elements: s emptied if it has it, else new memory
// with an eighth more, faulted in (touched).
func reserved[E any](s []E, n int) []E {
	if cap(s) >= n {
		return s[:0]
	}
	return touched(make([]E, 0, n+n/8))
}

// touched writes a zero byte on each page of s's room beyond its length, fresh from make
// (zero, and of an element type without pointers: the stores bypass write barriers), and
// returns s.
func touched[E any](s []E) []E {
	room := s[len(s):cap(s)]
	if len(room) == 0 {
		return s
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(room))), uintptr(len(room))*unsafe.Sizeof(room[0]))
	for i := 0; i < len(b); i += pageBytes {
		b[i] = 0
	}
	return s
}

// pageBytes is the smallest page size of the systems Go runs on: touched writes once per
// page (memory fresh from the system is faulted in at its first write).
const pageBytes = 4096

// Warm reports whether Recapture took all of cp's tables from its spare's memory: no
// table had to grow (memory the first write faults in, page by page). A Capture made with
// no spare is not warm. Call it from the main program.
func (cp *Capture) Warm() bool { return cp.warm }

// unfreeze thaws the tasklets FreezeTable froze for a capture that failed, without copying
// their frames.
func (capt *Capture) unfreeze(s *sim.Scheduler) {
	for i := range capt.states {
		capt.states[i].Store(framesCopied) // nobody will save capt
	}
	s.ThawAll()
}

// A CaptureCopier is a section value that copies itself for Capture, more cheaply than
// the deep copy Capture makes of other values: CaptureCopy returns a value that encodes as
// the receiver does (or a CaptureFinisher whose FinishCapture does) and shares nothing the
// program may change after Capture returns, calling deep (which copies as Capture does)
// for the parts the receiver shares with the program. Capture calls it once, on its own
// goroutine, while the main program waits. world.Snapshot is one: the columns
// World.Snapshot builds are its own.
type CaptureCopier interface {
	CaptureCopy(deep func(v any) any) any
}

// A CaptureFinisher is a section value of a Capture (as a CaptureCopier returns it) that
// holds a copy not yet in the form it encodes as: SaveCapture calls FinishCapture, on its
// own goroutine, and encodes the value it returns. alive yields the ids of the tasklets
// alive at the capture's moment but main (those saved, then the hard ones left out), in
// no particular order. It lets the costly part of a copy that needs no live state
// (building columns of copied rows, say, or selecting what names a live tasklet) leave
// the main program's pause. FinishCapture may be called more than once (each SaveCapture)
// and must return a value that encodes the same each time.
type CaptureFinisher interface {
	FinishCapture(alive iter.Seq[sim.ID]) any
}

// section returns a copy of a section's value for Capture: the value's own CaptureCopy, or
// a deep copy.
func (cp *cloner) section(v any) any {
	if cc, ok := v.(CaptureCopier); ok {
		return cc.CaptureCopy(cp.any)
	}
	return cp.any(v)
}

// recycle returns a Capture that reuses cp's tables, emptied (a new one for a nil cp).
func (cp *Capture) recycle() *Capture {
	if cp == nil {
		return &Capture{ft: &sim.FrozenTable{}}
	}
	clear(cp.ft.Table.Frames) // let the frames of cp's moment go (FreezeTable clears the rest)
	return &Capture{ft: cp.ft, states: cp.states[:0], index: rowIndex{dense: cp.index.dense[:0]}}
}

// resize returns s with length n and every element zero, reusing its memory if it can
// (else with an eighth more room, as sim.FrozenTable's tables grow).
func resize[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n, n+n/8)
	}
	s = s[:n]
	clear(s)
	return s
}

// values copies the value slots FreezeTable recorded and sorts out the hard tasklets: a
// hard tasklet, unless omitHard, fails the capture (unfreeze undoes the walk).
func (capt *Capture) values(cp *cloner, omitHard bool) error {
	vals := capt.ft.Table.Values
	for i := range vals {
		vals[i].TempVal = cp.any(vals[i].TempVal)
	}
	if n := len(capt.ft.Tasklets); n >= maxCaptureRows {
		return fmt.Errorf("%d tasklets, more than a capture holds (%d); save with Save", n, maxCaptureRows)
	}
	capt.omitted = capt.omitted[:0]
	for _, t := range capt.ft.Hard {
		if !omitHard {
			return fmt.Errorf("%w (or set Options.HardTasklets to persist.OmitHard to leave hard tasklets out)",
				&sim.StateError{Op: "save", Tasklet: t.ID(), State: t.State(), Reason: sim.ErrNotRestorable})
		}
		capt.omitted = append(capt.omitted, t.ID())
	}
	return nil
}

// Frozen implements sim.Freezer for the scheduler the capture was taken from (whose
// tasklet ids name one tasklet each).
func (capt *Capture) Frozen(t *sim.Tasklet) (frozen, started bool) {
	m := capt.index.get(t.ID())
	return m&rowFrozen != 0, m&(rowFrozen|rowStarted) == rowFrozen|rowStarted
}

// Thaw implements sim.Freezer: it copies t's frames unless SaveCapture has, or waits
// while SaveCapture copies them.
func (capt *Capture) Thaw(t *sim.Tasklet) (frozen, started bool) {
	m := capt.index.get(t.ID())
	if m&rowFrozen == 0 {
		return false, false
	}
	capt.index.set(t.ID(), m&^rowFrozen)
	if !capt.saved.Load() && capt.copyRow(capt.main, int(m>>rowShift)) {
		capt.onStep++
	}
	return true, m&rowStarted != 0
}

// Tasklets returns the number of tasklets cp holds and how many of them had their frames
// copied by the main program (before a step, a drop or the next Capture) rather than by
// SaveCapture: the part of the copy that the ticks after the capture paid. Call it from
// the main program.
func (cp *Capture) Tasklets() (total, copiedOnStep int) { return len(cp.ft.Tasklets), cp.onStep }

// copyRow copies row i's frames with cp unless the other side has; it returns once they
// are copied, and whether it copied them.
func (capt *Capture) copyRow(cp *cloner, i int) bool {
	st := &capt.states[i]
	if st.CompareAndSwap(framesPending, framesCopying) {
		capt.ft.CopyFrames(i, cp.frame)
		st.Store(framesCopied)
		return true
	}
	for st.Load() != framesCopied {
		runtime.Gosched() // the other side copies one tasklet's frames: a short wait
	}
	return false
}

// SaveCapture encodes cp: the bytes Save returned, or would have returned, when cp was
// taken. It copies the frames the main program has not (see Capture), finishes the
// sections' copies (CaptureFinisher), restores cp into a scheduler of its own and saves
// that, so it may run on any goroutine, beside the scheduler cp was taken from. A Capture
// may be saved more than once, not concurrently.
func (c *Codec) SaveCapture(cp *Capture) ([]byte, *Report, error) {
	if cp.prepared {
		return nil, nil, errors.New("persist: save: the capture is PrepareCapture's, which holds no moment; pass it to Recapture as the spare")
	}
	for i := range cp.ft.Tasklets {
		cp.copyRow(cp.bg, i)
	}
	cp.saved.Store(true) // the main program's Thaw need not look at the states any more
	// Every row is copied: the main program's copies (and its cloner's error) happened
	// before the states this goroutine loaded.
	if err := cmp.Or(cp.bg.err, cp.main.err); err != nil {
		return nil, nil, fmt.Errorf("persist: save: %w", err)
	}
	s := sim.NewScheduler(sim.Options{})
	if err := s.RestoreTable(&cp.ft.Table, sim.RestoreOptions{}); err != nil {
		return nil, nil, fmt.Errorf("persist: save: capture: %w", err)
	}
	sections := make([]Section, len(cp.sections))
	for i, sec := range cp.sections {
		if f, ok := sec.Value.(CaptureFinisher); ok {
			sec.Value = f.FinishCapture(cp.alive)
		}
		sections[i] = sec
	}
	data, rep, err := c.Save(s, sections...)
	if err != nil {
		return nil, nil, err
	}
	rep.Omitted = cp.omitted
	return data, rep, nil
}

// alive yields the ids of the tasklets alive at cp's moment, main left out: the saved
// ones, then the hard ones left out.
func (cp *Capture) alive(yield func(sim.ID) bool) {
	for i := range cp.ft.Table.Tasklets {
		if !yield(cp.ft.Table.Tasklets[i].ID) {
			return
		}
	}
	for _, id := range cp.omitted {
		if !yield(id) {
			return
		}
	}
}

// rowIndex maps a tasklet's ID to its row and whether it is frozen and had started, packed
// in one word (row<<rowShift | marks) so that a Thaw reads one small table: a table indexed
// by the ID's distance from the smallest, when the IDs are dense enough, else a map.
type rowIndex struct {
	lo    sim.ID
	dense []uint32 // 0: no row
	m     map[sim.ID]uint32
}

// The marks of a rowIndex entry.
const (
	rowListed  uint32 = 1 << iota // the ID has a row
	rowFrozen                     // not yet thawed
	rowStarted                    // had started when frozen
	rowShift   = iota             // the row number's shift
)

// build indexes the rows by their tasklets' IDs, all frozen, reading the table rather than
// the tasklets (which sit all over memory), in x's memory if it has enough.
func (x *rowIndex) build(rows []sim.TaskletRow) {
	if len(rows) == 0 {
		return
	}
	lo, hi := rows[0].ID, rows[0].ID
	for i := range rows {
		lo, hi = min(lo, rows[i].ID), max(hi, rows[i].ID)
	}
	entry := func(i int) uint32 {
		m := uint32(i)<<rowShift | rowListed | rowFrozen
		if rows[i].Flags&sim.FlagStarted != 0 {
			m |= rowStarted
		}
		return m
	}
	if span := uint64(hi - lo); span < 4*uint64(len(rows))+64 {
		x.lo, x.dense = lo, resize(x.dense, int(span)+1)
		for i := range rows {
			x.dense[rows[i].ID-lo] = entry(i)
		}
		return
	}
	x.dense = nil
	x.m = make(map[sim.ID]uint32, len(rows))
	for i := range rows {
		x.m[rows[i].ID] = entry(i)
	}
}

// maxCaptureRows is the most tasklets a capture holds: rowIndex packs a row number in the
// 32-rowShift high bits of a word.
const maxCaptureRows = 1 << (32 - rowShift)

// get returns id's entry, 0 if it has none.
func (x *rowIndex) get(id sim.ID) uint32 {
	if x.dense != nil {
		if id < x.lo || uint64(id-x.lo) >= uint64(len(x.dense)) {
			return 0
		}
		return x.dense[id-x.lo]
	}
	return x.m[id]
}

// set replaces the entry of id, which has one.
func (x *rowIndex) set(id sim.ID, m uint32) {
	if x.dense != nil {
		x.dense[id-x.lo] = m
		return
	}
	x.m[id] = m
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
