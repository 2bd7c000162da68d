package persist

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/stackworld/stackworld/sim"
)

// Save encodes s and the sections into one snapshot document. It must be called by the
// main program while no tasklet runs (the running tasklet cannot be saved: Save returns
// sim.ErrSnapshotRunning from a Step or a hard tasklet). Hard tasklets are refused with an
// error naming the first, or left out and reported (Options.HardTasklets). The same state
// always gives the same bytes. Cost: time and bytes linear in the tasklets, frames,
// channels and section values; no reflection per frame (BenchmarkSnapshot, op=save).
func (c *Codec) Save(s *sim.Scheduler, sections ...Section) ([]byte, *Report, error) {
	data, rep, err := c.save(s, sections)
	if err != nil {
		return nil, nil, fmt.Errorf("persist: save: %w", err)
	}
	return data, rep, nil
}

// saver is one Save: the document's parts, encoded a section at a time (tasklets with
// their frames, timers, channels, sections) into buffers, and assembled behind the
// header at the end, when the type table is known.
type saver struct {
	c    *Codec
	reg  *registry
	e    *encoder
	rep  *Report
	tick uint64

	// the tasklet table's columns
	ids, depths, states, chans, wakes, values, errs, timers column
	prevID, prevChan                                        int64
	prevDeep                                                int
	sleepers                                                []timerPos // in timer order already (Each lists them so)
	deadlines                                               map[sim.ID]int

	// frames: per frame its resume point and group, then each group's encoded frames
	frames    chunked
	nframes   int
	groups    []*frameGroup
	byRef     map[*typeRef]*frameGroup
	lastType  reflect.Type
	lastGroup *frameGroup
	onFrame   func(sim.Frame, sim.PC) bool // s.frame, bound once
	tasklet   sim.ID                       // whose frames onFrame sees
	fi        int                          // onFrame's frame index in the tasklet

	chIDs, chFlags column
	secs           writer
	failure        error
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
	sv := newSaver(c, s)
	for _, step := range [...]func(*sim.Scheduler){sv.tasklets, sv.timerColumn, sv.channels} {
		if step(s); sv.failure != nil {
			return nil, nil, sv.failure
		}
	}
	if err := sv.sections(sections); err != nil {
		return nil, nil, err
	}
	if n := len(sv.e.types); n > c.opts.MaxElements {
		return nil, nil, errorf(ErrLimit, "%d types over the limit %d (MaxElements)", n, c.opts.MaxElements)
	}
	data := sv.assemble(s)
	if len(data) > c.opts.MaxBytes {
		return nil, nil, errorf(ErrLimit, "a document of %d bytes over the limit %d (MaxBytes)", len(data), c.opts.MaxBytes)
	}
	return data, sv.rep, nil
}

func newSaver(c *Codec, s *sim.Scheduler) *saver {
	reg := c.reg
	sv := &saver{c: c, reg: reg, rep: &Report{}, tick: s.Now(),
		e:     newEncoder(reg, &c.opts),
		byRef: map[*typeRef]*frameGroup{}, deadlines: map[sim.ID]int{}}
	sv.onFrame = sv.frame
	// Presized from the counts (constant time; the columns take one to three bytes an
	// entry), so that they rarely need more than their first chunk; the rest grow by chunks.
	counts := s.Counts()
	sv.sleepers = make([]timerPos, 0, counts.Sleeping)
	sv.ids.w.b = make([]byte, 0, min(3*counts.Total(), 4*maxChunk)+16)
	sv.states.w.b = make([]byte, 0, min(counts.Total()+2*counts.Blocked, 4*maxChunk)+16)
	sv.frames.w.b = make([]byte, 0, min(2*counts.Total(), 4*maxChunk)+16)
	return sv
}

// tasklets encodes every soft tasklet in restore order (sim.Scheduler.Each) into the
// columns and frame groups.
func (sv *saver) tasklets(s *sim.Scheduler) {
	s.Each(sv.tasklet1)
	sv.rep.Tasklets, sv.rep.Frames = sv.ids.n, sv.nframes
}

// tasklet1 encodes tasklet t, or leaves it out (main, an omitted hard tasklet).
func (sv *saver) tasklet1(t *sim.Tasklet) bool {
	switch t.Kind() {
	case sim.Main:
		return true
	case sim.Hard:
		if sv.c.opts.HardTasklets != OmitHard {
			sv.failure = fmt.Errorf("%w (or set Options.HardTasklets to persist.OmitHard to leave hard tasklets out)",
				&sim.StateError{Op: "save", Tasklet: t.ID(), State: t.State(), Reason: sim.ErrNotRestorable})
			return false
		}
		sv.rep.Omitted = append(sv.rep.Omitted, t.ID())
		return true
	}
	ts := t.Saved()
	if !sv.countTasklet(&ts) {
		return false
	}
	index := sv.ids.n
	sv.ids.int(int64(ts.ID) - sv.prevID)
	sv.prevID = int64(ts.ID)
	code, bits := sv.state(&ts, index)
	if sv.failure != nil {
		return false
	}
	if ts.FrameCount > 1 {
		sv.depths.uint(uint64(index - sv.prevDeep))
		sv.depths.uint(uint64(ts.FrameCount))
		sv.prevDeep = index
	}
	if ts.TempVal != nil {
		bits |= bitValue
		sv.value(&ts)
	}
	if ts.Err != nil && sv.failure == nil {
		bits |= bitErr
		sv.pendingError(&ts)
	}
	if sv.failure != nil {
		return false
	}
	sv.states.uint(code | bits<<stateBits)
	sv.tasklet, sv.fi = ts.ID, 0
	t.Frames(sv.onFrame)
	return sv.failure == nil
}

// countTasklet applies the limits on tasklets and frames to ts.
func (sv *saver) countTasklet(ts *sim.TaskletState) bool {
	o := &sv.c.opts
	switch {
	case sv.ids.n >= o.MaxTasklets:
		sv.failure = errorf(ErrLimit, "more than %d tasklets (MaxTasklets)", o.MaxTasklets)
	case int(ts.FrameCount) > o.MaxFrameDepth:
		sv.failure = errorf(ErrLimit, "tasklet %d: %d frames over the limit %d (MaxFrameDepth)", ts.ID, ts.FrameCount, o.MaxFrameDepth)
	case sv.nframes+int(ts.FrameCount) > o.MaxFrames:
		sv.failure = errorf(ErrLimit, "more than %d frames (MaxFrames)", o.MaxFrames)
	}
	return sv.failure == nil
}

// state returns ts's state code and flag bits, writing its entries in the channels and
// wakes columns.
func (sv *saver) state(ts *sim.TaskletState, index int) (code, bits uint64) {
	for _, fb := range flagBits {
		if ts.Flags&fb.sim != 0 {
			bits |= fb.bit
		}
	}
	switch ts.State {
	case sim.StatePaused:
		code = codePaused
	case sim.StateRunnable:
		code = codeRunnable
	case sim.StateBlocked:
		code = codeBlocked
		sv.chans.int(int64(ts.Channel) - sv.prevChan)
		sv.prevChan = int64(ts.Channel)
		if ts.Dir > 0 {
			bits |= bitSend
		}
		if ts.Wake != 0 {
			bits |= bitTimed
		}
	case sim.StateSleeping:
		code = codeSleeping
	default:
		sv.failure = fmt.Errorf("tasklet %d: state %s cannot be saved", ts.ID, ts.State)
		return 0, 0
	}
	if code == codeSleeping || bits&bitTimed != 0 {
		if ts.Wake <= sv.tick || ts.Wake-sv.tick > maxWakeAhead {
			sv.failure = fmt.Errorf("tasklet %d: wake tick %d is not in (%d, %d]", ts.ID, ts.Wake, sv.tick, sv.tick+maxWakeAhead)
			return 0, 0
		}
		sv.wakes.uint(ts.Wake - sv.tick)
		if code == codeSleeping {
			sv.sleepers = append(sv.sleepers, timerPos{ts.ID, int32(index)})
		} else {
			sv.deadlines[ts.ID] = index
		}
	}
	return code, bits
}

// value writes ts's tempval in the values column.
func (sv *saver) value(ts *sim.TaskletState) {
	e := sv.e
	sv.values.room(64)
	e.w, e.level = sv.values.w, valueLevel
	e.anyValue(ts.TempVal)
	sv.values.w = e.w
	sv.values.n++
	if e.err != nil {
		sv.failure = fmt.Errorf("tasklet %d: value: %w", ts.ID, e.err)
	}
}

// pendingError writes ts's pending error in the errors column.
func (sv *saver) pendingError(ts *sim.TaskletState) {
	ref := sv.reg.lookupError(ts.Err)
	if ref == nil {
		sv.failure = fmt.Errorf("tasklet %d: pending error: %w", ts.ID, errUnregistered(ts.Err))
		return
	}
	sv.errs.uint(uint64(sv.e.typeIndex(ref)))
}

// frame encodes frame f of the current tasklet into its type's group, and its resume
// point and group in the frames list.
func (sv *saver) frame(f sim.Frame, pc sim.PC) bool {
	g := sv.lastGroup
	if tt := reflect.TypeOf(f); tt != sv.lastType {
		ref := sv.reg.byType[tt]
		if ref == nil || !ref.isFrame {
			sv.failure = fmt.Errorf("tasklet %d, frame %d: %w", sv.tasklet, sv.fi, errUnregistered(f))
			return false
		}
		if g = sv.byRef[ref]; g == nil {
			g = &frameGroup{ref: ref, index: len(sv.groups), typ: sv.e.typeIndex(ref)}
			sv.byRef[ref] = g
			sv.groups = append(sv.groups, g)
		}
		sv.lastType, sv.lastGroup = tt, g
	}
	if names := len(g.ref.info.pcs); names > 0 && int(pc) >= names {
		sv.failure = fmt.Errorf("tasklet %d, frame %d (%s): resume point %d has no name (%d registered; name every resume point)", sv.tasklet, sv.fi, g.ref.name, pc, names)
		return false
	}
	// pc*len(groups) + group is written when the number of groups is known.
	sv.frames.room(2 * 9)
	sv.frames.w.uint(uint64(pc))
	sv.frames.w.uint(uint64(g.index))
	sv.nframes++
	e := sv.e
	g.buf.room(64)
	e.w, e.level = g.buf.w, frameLevel
	g.ref.info.enc(e, dataOf(f, g.ref))
	g.buf.w = e.w
	g.n++
	if e.err != nil {
		sv.failure = fmt.Errorf("tasklet %d, frame %d (%s): %w", sv.tasklet, sv.fi, g.ref.name, e.err)
		return false
	}
	sv.fi++
	return true
}

// timerColumn writes the timer entries in wake order, as tasklet position deltas.
func (sv *saver) timerColumn(s *sim.Scheduler) {
	prev, k := 0, 0
	s.EachTimer(func(id sim.ID) bool {
		var i int
		if k < len(sv.sleepers) && sv.sleepers[k].id == id {
			i = int(sv.sleepers[k].pos)
			k++
		} else if p, ok := sv.deadlines[id]; ok {
			i = p
		} else {
			return true // a hard tasklet left out
		}
		sv.timers.int(int64(i - prev))
		prev = i
		return true
	})
}

// channels writes the channel table: ids (deltas) and flags.
func (sv *saver) channels(s *sim.Scheduler) {
	if _, next := s.NextIDs(); int64(next) > int64(sv.c.opts.MaxChannels) {
		sv.failure = errorf(ErrLimit, "next channel id %d over the limit %d (MaxChannels: the channel table has a slot per id)", next, sv.c.opts.MaxChannels)
		return
	}
	var prev int64
	s.Channels(func(ch *sim.Channel) bool {
		sv.chIDs.int(int64(ch.ID()) - prev)
		prev = int64(ch.ID())
		f := uint64(ch.Preference() + 1)
		if ch.ScheduleAll() {
			f |= 4
		}
		if ch.Closing() {
			f |= 8
		}
		sv.chFlags.uint(f)
		return true
	})
	sv.rep.Channels = sv.chIDs.n
}

// sections writes the named sections.
func (sv *saver) sections(sections []Section) error {
	e := sv.e
	sv.secs.array(len(sections))
	for _, sec := range sections {
		sv.secs.array(2)
		sv.secs.text(sec.Name)
		e.w, e.level = sv.secs, valueLevel
		e.anyValue(sec.Value)
		sv.secs = e.w
		if e.err != nil {
			return fmt.Errorf("section %q: %w", sec.Name, e.err)
		}
	}
	return nil
}

// assemble writes the document: the header, which comes first but is known last (the
// type table lists every type used), then the parts in order.
func (sv *saver) assemble(s *sim.Scheduler) []byte {
	size := sv.ids.len() + sv.states.len() + sv.depths.len() + sv.frames.len() + sv.chans.len() +
		sv.wakes.len() + sv.values.len() + sv.errs.len() + sv.timers.len() + len(sv.secs.b) +
		sv.chIDs.len() + sv.chFlags.len() + checksumLen + 256 + 64*len(sv.e.types)
	for _, g := range sv.groups {
		size += g.buf.len() + 16
	}
	out := &writer{b: make([]byte, 0, size)}
	sv.header(out)
	sv.typeTable(out)
	sv.schedulerHeader(out, s)
	sv.frameGroups(out)
	sv.taskletTable(out)
	out.array(2)
	sv.chIDs.flush(out)
	sv.chFlags.flush(out)
	out.b = append(out.b, sv.secs.b...)
	out.b = appendChecksum(out.b)
	sv.rep.Bytes = len(out.b)
	sv.rep.Types = typeNames(sv.e.types)
	return out.b
}

// header writes the document's array head, magic, format, schemas and tick.
func (sv *saver) header(out *writer) { writeHeader(out, sv.reg, sv.c.opts.Schema, sv.tick) }

// writeHeader writes the start of a document: array head, magic, format, the schemas of
// reg (the program's replaced by schema if not 0) and tick.
func writeHeader(out *writer, reg *registry, schema uint64, tick uint64) {
	schemas := reg.schemas() // the program's first ("" sorts first), then by name
	if schema != 0 {
		schemas[0].schema = schema
	}
	out.array(formatElements[Format])
	out.text(Magic)
	out.uint(Format)
	// Keys in their encoded order (Core Deterministic Encoding): shorter names first.
	slices.SortStableFunc(schemas, func(a, b pkgSchema) int { return cmp.Compare(len(a.pkg), len(b.pkg)) })
	out.head(majMap, uint64(len(schemas)))
	for _, ps := range schemas {
		out.text(ps.pkg)
		out.uint(ps.schema)
	}
	out.uint(tick)
}

// typeTable writes every type and error used, in order of first use.
func (sv *saver) typeTable(out *writer) {
	out.array(len(sv.e.types))
	for _, ref := range sv.e.types {
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
}

// schedulerHeader writes the id counters and statistics.
func (sv *saver) schedulerHeader(out *writer, s *sim.Scheduler) {
	nextID, nextChan := s.NextIDs()
	st := s.Stats()
	free := s.FreeChans()
	out.array(6 + min(len(free), 1)) // the free list only if there is one: older files have 6
	out.uint(uint64(nextID))
	out.uint(uint64(nextChan))
	out.uint(st.Steps)
	out.uint(st.Switches)
	out.uint(st.Preempted)
	out.uint(st.Spawned)
	if len(free) > 0 {
		out.array(len(free))
		for _, id := range free {
			out.uint(uint64(id))
		}
	}
}

// frameGroups writes each frame type's encoded frames.
func (sv *saver) frameGroups(out *writer) {
	out.array(len(sv.groups))
	for _, g := range sv.groups {
		out.array(2)
		out.uint(uint64(g.typ))
		out.array(g.n)
		g.buf.appendTo(out)
	}
}

// taskletTable writes the tasklet table's ten columns.
func (sv *saver) taskletTable(out *writer) {
	out.array(10)
	out.uint(uint64(sv.ids.n))
	for _, col := range []*column{&sv.ids, &sv.depths, &sv.states} {
		col.flush(out)
	}
	// Each frame is one number: its group and resume point, pc*groups + group.
	out.array(sv.nframes)
	ng := uint64(len(sv.groups))
	for _, b := range append(sv.frames.full, sv.frames.w.b) {
		r := reader{b: b}
		for r.off < len(r.b) {
			pc := r.uint()
			out.uint(pc*ng + r.uint())
		}
	}
	for _, col := range []*column{&sv.chans, &sv.wakes, &sv.values, &sv.errs, &sv.timers} {
		col.flush(out)
	}
}
