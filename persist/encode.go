package persist

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/stackworld/stackworld/sim"
)

// Tasklet state codes and flag bits as written in the states column (format 1): each
// tasklet is one unsigned integer, code | bits<<3. They are the format's own numbers, not
// sim's, so that sim may renumber its constants.
const (
	codePaused   = 1
	codeRunnable = 2
	codeBlocked  = 3
	codeSleeping = 4

	bitStarted    = 1 << 0
	bitAtomic     = 1 << 1
	bitBlockTrap  = 1 << 2
	bitPendingIRQ = 1 << 3
	bitNotOK      = 1 << 4
	bitIter       = 1 << 5
	bitValue      = 1 << 6 // an entry in the values column
	bitErr        = 1 << 7 // an entry in the errors column
	bitSend       = 1 << 8 // blocked sending (else receiving)
	bitTimed      = 1 << 9 // blocked with a receive deadline: an entry in the wakes column
	allBits       = 1<<10 - 1
	stateBits     = 3
)

var flagBits = [...]struct {
	sim sim.TaskletFlags
	bit uint64
}{
	{sim.FlagStarted, bitStarted}, {sim.FlagAtomic, bitAtomic}, {sim.FlagBlockTrap, bitBlockTrap},
	{sim.FlagPendingIRQ, bitPendingIRQ}, {sim.FlagNotOK, bitNotOK}, {sim.FlagIter, bitIter},
}

// encoder writes values; the codecs compiled by Register write into w.
type encoder struct {
	w        writer
	reg      *registry
	types    []*typeRef
	index    map[*typeRef]int
	lastRef  *typeRef
	lastIdx  int
	depth    int
	maxDepth int
	err      error
}

func (e *encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// typeIndex returns ref's index in the type table, adding it on first use.
func (e *encoder) typeIndex(ref *typeRef) int {
	if ref == e.lastRef {
		return e.lastIdx
	}
	i, ok := e.index[ref]
	if !ok {
		i = len(e.types)
		e.types = append(e.types, ref)
		e.index[ref] = i
	}
	e.lastRef, e.lastIdx = ref, i
	return i
}

func (e *encoder) enter() bool {
	e.depth++
	if e.depth > e.maxDepth {
		e.depth--
		e.fail(fmt.Errorf("values nested deeper than %d (MaxNesting; a pointer cycle?)", e.maxDepth))
		return false
	}
	return true
}

type eface struct {
	typ, data unsafe.Pointer
}

// dataOf returns a pointer to the value held by v, whose type is ref's.
func dataOf(v any, ref *typeRef) unsafe.Pointer {
	w := (*eface)(unsafe.Pointer(&v)).data
	if !ref.ptr && ref.info.ptrShaped {
		return addrOf(w)
	}
	return w
}

func addrOf(w unsafe.Pointer) unsafe.Pointer {
	p := new(unsafe.Pointer)
	*p = w
	return unsafe.Pointer(p)
}

// lookup returns the entry for a value's dynamic type, or for a registered error.
func (e *encoder) lookup(v any) *typeRef {
	if ref := e.reg.byType[reflect.TypeOf(v)]; ref != nil {
		return ref
	}
	if err, ok := v.(error); ok {
		return e.reg.lookupError(err)
	}
	return nil
}

// anyValue writes an interface value: null, or [type index, value] (a registered error's
// value is null).
func (e *encoder) anyValue(v any) {
	if v == nil {
		e.w.null()
		return
	}
	ref := e.lookup(v)
	if ref == nil {
		e.fail(errUnregistered(v))
		e.w.null()
		return
	}
	e.w.array(2)
	e.w.uint(uint64(e.typeIndex(ref)))
	if ref.err != nil {
		e.w.null()
		return
	}
	if e.enter() {
		ref.info.enc(e, dataOf(v, ref))
		e.depth--
	}
}

// chunked is a byte buffer that grows by adding chunks instead of copying: growing the
// columns and frame groups of a 1M-tasklet save by append allocated several times their
// size (and so ran the garbage collector over the whole heap once or twice per save).
type chunked struct {
	w    writer   // the chunk being written
	full [][]byte // earlier chunks, in order
	size int      // bytes in full
}

const (
	minChunk = 4 << 10
	maxChunk = 1 << 20
)

// room makes sure the current chunk has n more bytes free.
func (c *chunked) room(n int) {
	if cap(c.w.b)-len(c.w.b) < n {
		c.grow(n)
	}
}

func (c *chunked) grow(n int) {
	next := max(min(max(2*cap(c.w.b), minChunk), maxChunk), n)
	if len(c.w.b) > 0 {
		c.full = append(c.full, c.w.b)
		c.size += len(c.w.b)
	}
	c.w.b = make([]byte, 0, next)
}

func (c *chunked) len() int { return c.size + len(c.w.b) }

func (c *chunked) appendTo(w *writer) {
	for _, b := range c.full {
		w.b = append(w.b, b...)
	}
	w.b = append(w.b, c.w.b...)
}

// column is one array of the tasklet table, counted as it is written.
type column struct {
	chunked
	n int
}

func (c *column) uint(v uint64) { c.room(9); c.w.uint(v); c.n++ }
func (c *column) int(v int64)   { c.room(9); c.w.int(v); c.n++ }

func (c *column) flush(w *writer) {
	w.array(c.n)
	c.appendTo(w)
}

// frameGroup holds the encoded frames of one type, in order.
type frameGroup struct {
	ref   *typeRef
	index int // position among the groups
	typ   int // type table index
	buf   chunked
	n     int
}

// Save encodes s and the sections into one snapshot document. It must be called by the
// main program while no tasklet runs (the running tasklet cannot be saved: Save returns
// sim.ErrSnapshotRunning from a Step or a hard tasklet). Hard tasklets are refused with an
// error naming the first, or left out and reported (Options.HardTasklets). The same state
// always gives the same bytes. Cost: about 100 ns and 10 bytes per idle tasklet.
func (c *Codec) Save(s *sim.Scheduler, sections ...Section) ([]byte, *Report, error) {
	data, rep, err := c.save(s, sections)
	if err != nil {
		return nil, nil, fmt.Errorf("persist: save: %w", err)
	}
	return data, rep, nil
}

func (c *Codec) save(s *sim.Scheduler, sections []Section) ([]byte, *Report, error) {
	if s == nil {
		return nil, nil, errors.New("nil scheduler")
	}
	if err := s.CanSnapshot(); err != nil {
		return nil, nil, err
	}
	if err := checkSections(sections, c.opts.MaxSections); err != nil {
		return nil, nil, err
	}
	reg := current()
	e := &encoder{reg: reg, index: map[*typeRef]int{}, maxDepth: c.opts.MaxNesting}
	rep := &Report{}
	tick := s.Now()
	nextID, nextChan := s.NextIDs()
	counts := s.Counts() // constant time: presizes what can be
	var (
		ids, depths, states, chans, wakes, values, errs, timers column
		groups                                                  []*frameGroup
		byRef                                                   = map[*typeRef]*frameGroup{}
		lastType                                                reflect.Type
		lastGroup                                               *frameGroup
		frames                                                  chunked // per frame: resume point, group
		nframes                                                 int
		prevID, prevChan                                        int64
		prevDeep                                                int
		sleepers                                                = make([]timerPos, 0, counts.Sleeping) // in timer order already (Each lists them so)
		deadlines                                               = map[sim.ID]int{}
		failure                                                 error
	)
	// Presized from the counts (the columns take one to three bytes an entry), so that
	// they rarely need more than their first chunk; the rest grow by chunks.
	ids.w.b = make([]byte, 0, min(3*counts.Total(), 4*maxChunk)+16)
	states.w.b = make([]byte, 0, min(counts.Total()+2*counts.Blocked, 4*maxChunk)+16)
	frames.w.b = make([]byte, 0, min(2*counts.Total(), 4*maxChunk)+16)
	s.Each(func(t *sim.Tasklet) bool {
		switch t.Kind() {
		case sim.Main:
			return true
		case sim.Hard:
			if c.opts.HardTasklets != OmitHard {
				failure = fmt.Errorf("%w (or set Options.HardTasklets to persist.OmitHard to leave hard tasklets out)",
					&sim.StateError{Op: "save", Tasklet: t.ID(), State: t.State(), Reason: sim.ErrNotRestorable})
				return false
			}
			rep.Omitted = append(rep.Omitted, t.ID())
			return true
		}
		ts := t.Saved()
		index := ids.n
		ids.int(int64(ts.ID) - prevID)
		prevID = int64(ts.ID)
		var bits uint64
		for _, fb := range flagBits {
			if ts.Flags&fb.sim != 0 {
				bits |= fb.bit
			}
		}
		var code uint64
		switch ts.State {
		case sim.StatePaused:
			code = codePaused
		case sim.StateRunnable:
			code = codeRunnable
		case sim.StateBlocked:
			code = codeBlocked
			chans.int(int64(ts.Channel) - prevChan)
			prevChan = int64(ts.Channel)
			if ts.Dir > 0 {
				bits |= bitSend
			}
			if ts.Wake != 0 {
				bits |= bitTimed
			}
		case sim.StateSleeping:
			code = codeSleeping
		default:
			failure = fmt.Errorf("tasklet %d: state %s cannot be saved", ts.ID, ts.State)
			return false
		}
		if code == codeSleeping || bits&bitTimed != 0 {
			if ts.Wake <= tick {
				failure = fmt.Errorf("tasklet %d: wake tick %d is not after tick %d", ts.ID, ts.Wake, tick)
				return false
			}
			wakes.uint(ts.Wake - tick)
			if code == codeSleeping {
				sleepers = append(sleepers, timerPos{ts.ID, int32(index)})
			} else {
				deadlines[ts.ID] = index
			}
		}
		if ts.FrameCount > 1 {
			depths.uint(uint64(index - prevDeep))
			depths.uint(uint64(ts.FrameCount))
			prevDeep = index
		}
		if ts.TempVal != nil {
			bits |= bitValue
			values.room(64)
			e.w = values.w
			e.anyValue(ts.TempVal)
			values.w = e.w
			values.n++
			if e.err != nil {
				failure = fmt.Errorf("tasklet %d: value: %w", ts.ID, e.err)
				return false
			}
		}
		if ts.Err != nil {
			bits |= bitErr
			ref := reg.lookupError(ts.Err)
			if ref == nil {
				failure = fmt.Errorf("tasklet %d: pending error: %w", ts.ID, errUnregistered(ts.Err))
				return false
			}
			errs.uint(uint64(e.typeIndex(ref)))
		}
		states.uint(code | bits<<stateBits)
		fi := 0
		t.Frames(func(f sim.Frame, pc sim.PC) bool {
			g := lastGroup
			if tt := reflect.TypeOf(f); tt != lastType {
				ref := reg.byType[tt]
				if ref == nil || !ref.isFrame {
					failure = fmt.Errorf("tasklet %d, frame %d: %w", ts.ID, fi, errUnregistered(f))
					return false
				}
				if g = byRef[ref]; g == nil {
					g = &frameGroup{ref: ref, index: len(groups), typ: e.typeIndex(ref)}
					byRef[ref] = g
					groups = append(groups, g)
				}
				lastType, lastGroup = tt, g
			}
			// pc*len(groups) + group is written when the number of groups is known.
			frames.room(2 * 9)
			frames.w.uint(uint64(pc))
			frames.w.uint(uint64(g.index))
			nframes++
			g.buf.room(64)
			e.w = g.buf.w
			g.ref.info.enc(e, dataOf(f, g.ref))
			g.buf.w = e.w
			g.n++
			if e.err != nil {
				failure = fmt.Errorf("tasklet %d, frame %d (%s): %w", ts.ID, fi, g.ref.name, e.err)
				return false
			}
			fi++
			return true
		})
		return failure == nil
	})
	if failure != nil {
		return nil, nil, failure
	}
	rep.Tasklets, rep.Frames = ids.n, nframes
	prev, k := 0, 0
	s.EachTimer(func(id sim.ID) bool {
		var i int
		if k < len(sleepers) && sleepers[k].id == id {
			i = int(sleepers[k].pos)
			k++
		} else if p, ok := deadlines[id]; ok {
			i = p
		} else {
			return true // a hard tasklet left out
		}
		timers.int(int64(i - prev))
		prev = i
		return true
	})
	// Channels: ids and flags.
	var chIDs, chFlags column
	var prevCh int64
	s.Channels(func(ch *sim.Channel) bool {
		chIDs.int(int64(ch.ID()) - prevCh)
		prevCh = int64(ch.ID())
		f := uint64(ch.Preference() + 1)
		if ch.ScheduleAll() {
			f |= 4
		}
		if ch.Closing() {
			f |= 8
		}
		chFlags.uint(f)
		return true
	})
	rep.Channels = chIDs.n

	// Sections.
	var secs writer
	secs.array(len(sections))
	for _, sec := range sections {
		secs.array(2)
		secs.text(sec.Name)
		e.w = secs
		e.anyValue(sec.Value)
		secs = e.w
		if e.err != nil {
			return nil, nil, fmt.Errorf("section %q: %w", sec.Name, e.err)
		}
	}

	// The header comes first but is known last: the type table lists every type used.
	schema := c.opts.Schema
	if schema == 0 {
		schema = reg.schema()
	}
	st := s.Stats()
	size := ids.len() + states.len() + depths.len() + frames.len() + chans.len() +
		wakes.len() + values.len() + errs.len() + timers.len() + len(secs.b) +
		chIDs.len() + chFlags.len() + 256 + 64*len(e.types)
	for _, g := range groups {
		size += g.buf.len() + 16
	}
	out := writer{b: make([]byte, 0, size)}
	out.array(10)
	out.text(Magic)
	out.uint(Format)
	out.uint(schema)
	out.uint(tick)
	out.array(len(e.types))
	for _, ref := range e.types {
		out.array(3)
		out.text(ref.name)
		if ref.err != nil {
			out.null()
			out.array(0)
			continue
		}
		out.text(ref.info.shape)
		out.array(len(ref.info.pcs))
		for _, pc := range ref.info.pcs {
			out.text(pc)
		}
	}
	out.array(6)
	out.uint(uint64(nextID))
	out.uint(uint64(nextChan))
	out.uint(st.Steps)
	out.uint(st.Switches)
	out.uint(st.Preempted)
	out.uint(st.Spawned)
	out.array(len(groups))
	for _, g := range groups {
		out.array(2)
		out.uint(uint64(g.typ))
		out.array(g.n)
		g.buf.appendTo(&out)
	}
	out.array(10)
	out.uint(uint64(ids.n))
	for _, col := range []*column{&ids, &depths, &states} {
		col.flush(&out)
	}
	// Each frame is one number: its group and resume point, pc*groups + group.
	out.array(nframes)
	ng := uint64(len(groups))
	for _, b := range append(frames.full, frames.w.b) {
		r := reader{b: b}
		for r.off < len(r.b) {
			pc := r.uint()
			out.uint(pc*ng + r.uint())
		}
	}
	for _, col := range []*column{&chans, &wakes, &values, &errs, &timers} {
		col.flush(&out)
	}
	out.array(2)
	chIDs.flush(&out)
	chFlags.flush(&out)
	out.b = append(out.b, secs.b...)
	rep.Bytes = len(out.b)
	rep.Types = typeNames(e.types)
	return out.b, rep, nil
}

func checkSections(sections []Section, max int) error {
	if len(sections) > max {
		return fmt.Errorf("%d sections over the limit %d (MaxSections)", len(sections), max)
	}
	for i, s := range sections {
		if s.Name == "" || len(s.Name) > 200 {
			return fmt.Errorf("section %d: a name is 1 to 200 bytes", i)
		}
		for _, o := range sections[:i] {
			if o.Name == s.Name {
				return fmt.Errorf("section %q: two sections with that name", s.Name)
			}
		}
	}
	return nil
}

// timerPos is a tasklet with a timer entry and its position in the tasklet table.
type timerPos struct {
	id  sim.ID
	pos int32
}
