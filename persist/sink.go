package persist

import (
	"unsafe"

	"github.com/stackworld/stackworld/sim"
)

// A sink is what a decoder's steps hand the values they read to: typedSink builds the
// registered Go types for Load, rawSink builds a Raw for tools and upgrades. The steps
// check the document; a sink checks only what its mode adds (the registry, in typed mode)
// and stores. Calls come in document order; n-taking calls announce the count first.
type sink interface {
	// schema decides what to do with the document's schema: go on, fail, or stop so that
	// the caller reads the document again as Raw and upgrades it.
	schema(d *decoder) (upgrade bool, err error)
	// resolve completes a type table entry (typed: its registered type, or its problem).
	resolve(d *decoder, ft *fileType)
	// frameProblem says why frames of type ft cannot be loaded, or nil.
	frameProblem(ft *fileType) error
	// frameGroup reads g.n frames of type g.ft.
	frameGroup(d *decoder, g *frameSlab)
	expectFrames(n int)
	// frame stores frame j of the frames column: the next frame of group g, at pc.
	frame(j int, g *frameSlab, pc sim.PC)
	expectValues(n int)
	// value reads the tempval of the tasklet at position i; false if it was null.
	value(d *decoder, i int32) bool
	expectErrors(n int)
	// pendingError stores error ft as the k-th pending error, of the tasklet at position i.
	pendingError(d *decoder, k int, i int32, ft *fileType)
	// section reads the value of the named section.
	section(d *decoder, name string)
	// finish assembles d.out from what the steps read.
	finish(d *decoder) error
}

// typedSink builds a sim.ImageTable and Go section values: the fast path of Load.
type typedSink struct {
	img      *sim.ImageTable
	values   []sim.TaskletValue // by tasklet
	errs     []error            // one per withErr
	sections []Section
}

func (s *typedSink) schema(d *decoder) (bool, error) {
	cur := d.reg.schema()
	switch {
	case d.schema > cur:
		return false, d.errorAt(errorf(ErrNewerSchema, "schema %d is newer than this program's schema %d: update the program", d.schema, cur))
	case d.schema < cur:
		if err := d.reg.schemaChain(d.schema); err != nil {
			return false, d.errorAt(err)
		}
		return true, nil
	}
	return false, nil
}

// resolve finds a file type in the registry and checks that the layouts agree.
func (s *typedSink) resolve(d *decoder, ft *fileType) {
	ref := d.reg.byName[ft.name]
	switch {
	case ref == nil && ft.sh == nil:
		ft.problem = errorf(ErrUnknownType, "unknown error %q (register it with persist.RegisterError, or add an upgrade from schema %d)", ft.name, d.schema)
	case ref == nil:
		name := ft.name
		if name[0] == '*' {
			name = name[1:]
		}
		ft.problem = errorf(ErrUnknownType, "unknown type %q (register it with persist.Register, or add an upgrade from schema %d)", name, d.schema)
	case (ref.err != nil) != (ft.sh == nil):
		ft.problem = errorf(ErrLayout, "%q is an error in one of the file and the program and a type in the other", ft.name)
	case ref.err == nil && ref.info.shape != ft.shape:
		ft.problem = errorf(ErrLayout, "type %q has layout %s in the file but %s in this program (bump the schema and add an upgrade from schema %d)", ref.info.name, ft.shape, ref.info.shape, d.schema)
	default:
		ft.ref = ref
		if ref.info != nil {
			d.described[ref.info] = true
			ft.mapResumePoints()
		}
	}
}

func (s *typedSink) frameProblem(ft *fileType) error {
	switch {
	case ft.problem != nil:
		return ft.problem // reported with the first tasklet that uses it
	case !ft.ref.isFrame:
		return errorf(ErrInconsistent, "type %q is not a frame type (it does not implement sim.Frame)", ft.name)
	}
	return nil
}

// frameGroup decodes the group's frames into one slab of their type, so that a
// tasklet's frames stay together in memory as they were saved.
func (s *typedSink) frameGroup(d *decoder, g *frameSlab) {
	info := g.ft.ref.info
	g.base, g.size = info.ops.newSlab(max(g.n, 1)), info.ops.size
	g.frame = info.ops.frame
	if g.ft.ref.ptr {
		g.frame = info.ops.ptrFrame
	}
	for k := 0; k < g.n && d.r.err == nil; k++ {
		d.groupK = k
		info.dec(d, unsafe.Add(g.base, uintptr(k)*g.size))
	}
}

func (s *typedSink) expectFrames(n int) { s.img = &sim.ImageTable{Frames: make([]sim.FrameState, n)} }

func (s *typedSink) frame(j int, g *frameSlab, pc sim.PC) {
	s.img.Frames[j] = sim.FrameState{Frame: g.frame(unsafe.Add(g.base, uintptr(g.next)*g.size)), PC: pc}
}

func (s *typedSink) expectValues(n int) { s.values = make([]sim.TaskletValue, 0, n) }

func (s *typedSink) value(d *decoder, i int32) bool {
	v := d.anyValue(nil)
	s.values = append(s.values, sim.TaskletValue{Index: int(i), TempVal: v})
	return v != nil
}

func (s *typedSink) expectErrors(n int) { s.errs = make([]error, n) }

func (s *typedSink) pendingError(d *decoder, k int, _ int32, ft *fileType) {
	if ft.problem != nil {
		d.r.failk(ft.problem.(*problem).kind, "%s", ft.problem)
		return
	}
	s.errs[k] = ft.ref.err
}

func (s *typedSink) section(d *decoder, name string) {
	s.sections = append(s.sections, Section{Name: name, Value: d.anyValue(nil)})
}

func (s *typedSink) finish(d *decoder) error {
	img := s.img
	img.Tick, img.NextID, img.NextChan, img.Stats = d.out.tick, d.nextID, d.nextChan, d.stats
	img.Tasklets, img.Channels, img.Timers = d.ts, d.chans, d.timers
	img.Values = mergeValues(s.values, d.withErr, s.errs)
	d.out.img, d.out.sections = img, s.sections
	return nil
}

// mergeValues adds the pending errors errs of the tasklets at positions withErr to values,
// keeping them in tasklet order (a tasklet with both would get one entry with both; the
// states step refuses that).
func mergeValues(values []sim.TaskletValue, withErr []int32, errs []error) []sim.TaskletValue {
	if len(withErr) == 0 {
		return values
	}
	out := make([]sim.TaskletValue, 0, len(values)+len(withErr))
	a, b := 0, 0
	for a < len(values) || b < len(withErr) {
		switch {
		case b == len(withErr) || (a < len(values) && values[a].Index < int(withErr[b])):
			out = append(out, values[a])
			a++
		case a == len(values) || int(withErr[b]) < values[a].Index:
			out = append(out, sim.TaskletValue{Index: int(withErr[b]), Err: errs[b]})
			b++
		default:
			v := values[a]
			v.Err = errs[b]
			out = append(out, v)
			a++
			b++
		}
	}
	return out
}

// rawSink builds a Raw: every value generic, read with the shapes of the file's type
// table, whatever the registry holds.
type rawSink struct {
	frameList []RawFrame
	valueOf   map[int32]*RawValue // by tasklet position
	errOf     map[int32]string    // by tasklet position
	sections  []RawSection
}

func (s *rawSink) schema(*decoder) (bool, error) { return false, nil }
func (s *rawSink) resolve(*decoder, *fileType)   {}
func (s *rawSink) frameProblem(*fileType) error  { return nil }
func (s *rawSink) expectFrames(n int)            { s.frameList = make([]RawFrame, n) }
func (s *rawSink) expectValues(n int)            { s.valueOf = make(map[int32]*RawValue, n) }
func (s *rawSink) expectErrors(n int)            { s.errOf = make(map[int32]string, n) }
func (s *rawSink) section(d *decoder, name string) {
	s.sections = append(s.sections, RawSection{name, d.rawValue()})
}
func (s *rawSink) frame(j int, g *frameSlab, pc sim.PC) {
	s.frameList[j] = RawFrame{g.ft.name, pc, g.raw[g.next]}
}

func (s *rawSink) frameGroup(d *decoder, g *frameSlab) {
	g.raw = make([]any, g.n)
	for k := 0; k < g.n && d.r.err == nil; k++ {
		d.groupK = k
		g.raw[k] = d.rawShape(g.ft.sh)
	}
}

func (s *rawSink) value(d *decoder, i int32) bool {
	v := d.rawValue()
	s.valueOf[i] = v
	return v != nil
}

func (s *rawSink) pendingError(_ *decoder, _ int, i int32, ft *fileType) { s.errOf[i] = ft.name }

func (s *rawSink) finish(d *decoder) error {
	out := d.out
	raw := &Raw{Format: out.format, Schema: out.schema, Tick: out.tick, NextID: d.nextID, NextChan: d.nextChan,
		Stats: d.stats, Channels: d.chans, Timers: d.timers, Sections: s.sections}
	for _, ft := range d.table {
		raw.Types = append(raw.Types, RawType{Name: ft.name, Shape: ft.shape, PCs: ft.pcs})
	}
	raw.Tasklets = make([]RawTasklet, len(d.ts))
	for i, t := range d.ts {
		end := t.FrameStart + t.FrameCount
		raw.Tasklets[i] = RawTasklet{ID: t.ID, State: t.State, Flags: t.Flags, Dir: t.Dir, Channel: t.Channel, Wake: t.Wake,
			Value: s.valueOf[int32(i)], Err: s.errOf[int32(i)], Frames: s.frameList[t.FrameStart:end:end]}
	}
	out.raw = raw
	return nil
}
