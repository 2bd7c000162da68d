package persist

import (
	"fmt"
	"math"
	"reflect"
	"unsafe"

	"github.com/stackworld/stackworld/sim"
)

// decoder reads a document in one of two modes: typed (values become the registered Go
// types; the fast path of Load) or raw (values become generic Raw values read with the
// shapes in the file's type table, no Go types needed: inspect, diff, upgrades).
type decoder struct {
	r         reader
	reg       *registry
	lim       Options
	raw       bool
	schema    uint64
	table     []fileType
	described map[*typeInfo]bool
	depth     int

	// where decoding is, for error messages
	part    string
	tasklet sim.ID
	frame   int
	group   int // type index of the frame group being read, or -1
	groupK  int
	ts      []sim.TaskletRow
}

// fileType is one entry of a document's type table.
type fileType struct {
	name    string
	shape   string // "" for errors
	sh      *shape
	pcs     []string
	ref     *typeRef // typed mode: the registered entry
	problem error    // typed mode: why values of this type cannot be loaded
	pcMap   []int32  // typed mode: the program's resume point for each of the file's (resume.go)
}

func (d *decoder) enter() bool {
	d.depth++
	if d.depth > d.lim.MaxNesting {
		d.depth--
		d.r.failk(ErrLimit, "values nested deeper than %d (MaxNesting)", d.lim.MaxNesting)
		return false
	}
	return true
}

// typeAt returns the table entry at index i.
func (d *decoder) typeAt(i uint64) *fileType {
	if i >= uint64(len(d.table)) {
		d.r.fail("type index %d out of range (%d types)", i, len(d.table))
		return nil
	}
	return &d.table[i]
}

// anyValue reads an interface value (null or [type index, value]) as a Go value that
// implements iface (typed mode), or as a *RawValue (raw mode).
func (d *decoder) anyValue(iface reflect.Type) any {
	if d.r.null() {
		return nil
	}
	if !d.r.arrayOf(2, "value") {
		return nil
	}
	ft := d.typeAt(d.r.uint())
	if ft == nil {
		return nil
	}
	if d.raw {
		rv := &RawValue{Type: ft.name}
		if ft.sh == nil {
			d.r.expectNull(ft.name)
			return rv
		}
		if d.enter() {
			rv.Value = d.rawShape(ft.sh)
			d.depth--
		}
		return rv
	}
	if ft.problem != nil {
		d.r.failk(ft.problem.(*problem).kind, "%s", ft.problem)
		return nil
	}
	ref := ft.ref
	if ref.err != nil {
		d.r.expectNull(ft.name)
		if iface != nil && !reflect.TypeOf(ref.err).Implements(iface) {
			d.r.fail("error %q does not implement %v", ft.name, iface)
			return nil
		}
		return ref.err
	}
	if iface != nil && !ref.rtype.Implements(iface) {
		d.r.fail("a %s does not implement %v", ft.name, iface)
		return nil
	}
	if !d.enter() {
		return nil
	}
	defer func() { d.depth-- }()
	p := reflect.New(ref.info.t).UnsafePointer()
	ref.info.dec(d, p)
	if ref.ptr {
		return ref.info.ops.ptrBox(p)
	}
	return ref.info.ops.box(p)
}

// column reads the head of an array that must have exactly n elements.
func (d *decoder) column(n int, what string) bool {
	m, v := d.r.head()
	if !d.r.want(m, majArray) {
		return false
	}
	if v != uint64(n) {
		d.r.fail("%s: want %d elements, found %d", what, n, v)
		return false
	}
	if n > d.r.remaining() {
		d.r.failk(ErrTruncated, "truncated: %s claims %d elements, only %d bytes remain", what, n, d.r.remaining())
		return false
	}
	return true
}

// decoded is a document read by a decoder.
type decoded struct {
	format   int
	schema   uint64
	tick     uint64
	img      *sim.ImageTable // typed mode
	sections []Section       // typed mode
	raw      *Raw            // raw mode
}

// decode reads a whole document. In typed mode, a document of an older schema is left
// for the caller to read again in raw mode (decoded.img == nil).
func (d *decoder) decode() (*decoded, error) {
	out := &decoded{}
	d.part, d.group, d.frame = "header", -1, -1
	r := &d.r
	m, n := r.head()
	if r.err != nil || m != majArray || n < 2 {
		return nil, d.errorAt(errorf(ErrBadMagic, "not a stackworld snapshot (want a CBOR array starting with %q)", Magic))
	}
	if magic := r.rawBytes(majText, 64, "magic"); r.err != nil || string(magic) != Magic {
		return nil, d.errorAt(errorf(ErrBadMagic, "not a stackworld snapshot (magic %q, want %q)", magic, Magic))
	}
	format := r.uint()
	if r.err == nil && format > Format {
		return nil, d.errorAt(errorf(ErrNewerFormat, "format %d is newer than this program reads (%d): update stackworld", format, Format))
	}
	if r.err == nil && (format == 0 || n != 10) {
		r.fail("format %d document with %d elements (want format 1 with 10)", format, n)
	}
	out.format = int(format)
	out.schema = r.uint()
	out.tick = r.uint()
	d.schema = out.schema
	if r.err != nil {
		return nil, d.errorAt(nil)
	}
	cur := d.reg.schema()
	if out.schema == 0 {
		return nil, d.errorAt(errorf(ErrMalformed, "schema 0 (schemas start at 1)"))
	}
	if out.schema > cur && !d.raw {
		return nil, d.errorAt(errorf(ErrNewerSchema, "schema %d is newer than this program's schema %d: update the program", out.schema, cur))
	}
	if out.schema < cur && !d.raw {
		if err := d.reg.schemaChain(out.schema); err != nil {
			return nil, d.errorAt(err)
		}
		return out, nil // read it again as Raw and upgrade it
	}
	d.types()
	if r.err != nil {
		return nil, d.errorAt(nil)
	}

	// Scheduler header.
	d.part = "scheduler"
	r.arrayOf(6, "scheduler")
	nextID := sim.ID(r.uintMax(math.MaxUint32, "next tasklet id"))
	nextChan := sim.ChanID(r.uintMax(uint64(d.lim.MaxChannels), "next channel id"))
	stats := sim.Stats{Steps: r.uint(), Switches: r.uint(), Preempted: r.uint(), Spawned: r.uint()}

	// Frame groups: one per frame type, in type-table order, before the tasklets that
	// refer to them by group.
	d.part = "frames"
	ng := r.arrayLen(len(d.table), "frame groups")
	groups := make([]frameSlab, ng)
	grouped := make([]bool, len(d.table))
	totalFrames := 0
	for gi := 0; gi < ng && r.err == nil; gi++ {
		r.arrayOf(2, "frame group")
		idx := int(r.uintMax(uint64(len(d.table)), "type index"))
		if r.err != nil {
			break
		}
		if idx >= len(d.table) || grouped[idx] {
			r.failk(ErrInconsistent, "a second frame group for type index %d", idx)
			break
		}
		grouped[idx] = true
		ft := &d.table[idx]
		d.group = idx
		g := &groups[gi]
		switch {
		case ft.sh == nil:
			r.fail("error %q used as a frame type", ft.name)
		case !d.raw && ft.problem != nil:
			g.bad = ft.problem // reported with the first tasklet that uses it
		case !d.raw && !ft.ref.isFrame:
			g.bad = errorf(ErrInconsistent, "type %q is not a frame type (it does not implement sim.Frame)", ft.name)
		}
		cnt := r.length(majArray, d.lim.MaxFrames, 1, "frame group")
		if r.err == nil && cnt*ft.sh.minBytes() > r.remaining() {
			r.failk(ErrTruncated, "truncated: frame group %q claims %d frames", ft.name, cnt)
		}
		totalFrames += cnt
		if totalFrames > d.lim.MaxFrames {
			r.failk(ErrLimit, "more than MaxFrames %d frames", d.lim.MaxFrames)
		}
		if r.err != nil {
			break
		}
		g.ft, g.n = ft, cnt
		if g.bad != nil {
			for k := 0; k < cnt && r.err == nil; k++ {
				r.skip(d.lim.MaxNesting)
			}
			continue
		}
		if d.raw {
			g.raw = make([]any, cnt)
			for k := 0; k < cnt && r.err == nil; k++ {
				d.groupK = k
				g.raw[k] = d.rawShape(ft.sh)
			}
			continue
		}
		info := ft.ref.info
		g.base, g.size = info.ops.newSlab(max(cnt, 1)), info.ops.size
		g.frame = info.ops.frame
		if ft.ref.ptr {
			g.frame = info.ops.ptrFrame
		}
		for k := 0; k < cnt && r.err == nil; k++ {
			d.groupK = k
			info.dec(d, unsafe.Add(g.base, uintptr(k)*g.size))
		}
	}
	d.group = -1
	if r.err != nil {
		return nil, d.errorAt(nil)
	}

	// Tasklet table.
	d.part = "tasklets"
	r.arrayOf(10, "tasklet table")
	n64 := r.uintMax(uint64(d.lim.MaxTasklets), "tasklet count")
	if r.err != nil {
		return nil, d.errorAt(nil)
	}
	nt := int(n64)
	if !d.column(nt, "tasklet ids") {
		return nil, d.errorAt(nil)
	}
	// The tasklet table has no pointers (values and errors are set apart, few tasklets
	// have one): 32 bytes a tasklet that the garbage collector need not scan.
	ts := make([]sim.TaskletRow, nt)
	var prev int64
	for i := 0; i < nt && r.err == nil; i++ {
		prev += r.int()
		if prev < 2 || prev > math.MaxUint32 {
			r.failk(ErrInconsistent, "tasklet id %d out of range [2, %d]", prev, uint32(math.MaxUint32))
		}
		ts[i].ID = sim.ID(prev)
	}
	// Depths: (position delta, frame count) pairs for tasklets with more than one frame.
	m, v := r.head()
	switch {
	case !r.want(m, majArray):
	case v%2 != 0 || v/2 > uint64(nt):
		r.fail("depths: %d entries for %d tasklets", v, nt)
	case v > uint64(r.remaining()):
		r.failk(ErrTruncated, "truncated: depths claim %d entries, only %d bytes remain", v, r.remaining())
	}
	if r.err != nil {
		return nil, d.errorAt(nil)
	}
	deep := make([]deepEntry, v/2)
	pos := 0
	for k := range deep {
		if r.err != nil {
			break
		}
		delta, depth := r.uint(), r.uint()
		if (k > 0 && delta == 0) || delta >= uint64(nt-pos) {
			r.failk(ErrInconsistent, "depths: position out of order or range")
			break
		}
		pos += int(delta)
		if depth < 2 || depth > uint64(d.lim.MaxFrameDepth) {
			d.tasklet = ts[pos].ID
			r.failk(ErrLimit, "%d frames (want 2 to MaxFrameDepth %d)", depth, d.lim.MaxFrameDepth)
			break
		}
		deep[k] = deepEntry{pos, uint32(depth)}
	}
	if r.err != nil {
		return nil, d.errorAt(nil)
	}
	// States, in one pass over the tasklets: everything but the sparse columns.
	d.column(nt, "states")
	var blocked, timed, withValue, withErr []int32
	frames, dk := 0, 0
	for i := 0; i < nt && r.err == nil; i++ {
		t := &ts[i]
		v := r.uint()
		code, bits := v&(1<<stateBits-1), v>>stateBits
		if bits&^allBits != 0 {
			d.tasklet = t.ID
			r.fail("unknown flag bits %#x", bits&^allBits)
			break
		}
		for _, fb := range flagBits {
			if bits&fb.bit != 0 {
				t.Flags |= fb.sim
			}
		}
		switch code {
		case codePaused:
			t.State = sim.StatePaused
		case codeRunnable:
			t.State = sim.StateRunnable
		case codeBlocked:
			t.State = sim.StateBlocked
			blocked = append(blocked, int32(i))
			t.Dir = -1
			if bits&bitSend != 0 {
				t.Dir = 1
			}
			if bits&bitTimed != 0 {
				timed = append(timed, int32(i))
			}
		case codeSleeping:
			t.State = sim.StateSleeping
			timed = append(timed, int32(i))
		default:
			d.tasklet = t.ID
			r.fail("unknown state code %d", code)
		}
		if code != codeBlocked && bits&(bitSend|bitTimed) != 0 {
			d.tasklet = t.ID
			r.fail("send or deadline flag on a tasklet that is not blocked")
		}
		if bits&bitValue != 0 {
			withValue = append(withValue, int32(i))
		}
		if bits&bitErr != 0 {
			withErr = append(withErr, int32(i))
		}
		t.FrameStart, t.FrameCount = uint32(frames), 1
		if dk < len(deep) && deep[dk].pos == i {
			t.FrameCount = deep[dk].depth
			dk++
		}
		frames += int(t.FrameCount)
	}
	if r.err == nil && frames != totalFrames {
		r.failk(ErrInconsistent, "the tasklets have %d frames, the frame groups %d", frames, totalFrames)
	}
	if r.err != nil {
		return nil, d.errorAt(nil)
	}
	d.ts = ts
	// Frames: pc*groups + group each, bottom first.
	d.column(frames, "frames")
	var img *sim.ImageTable
	var rawFrames []RawFrame
	if d.raw {
		rawFrames = make([]RawFrame, frames)
	} else {
		img = &sim.ImageTable{Frames: make([]sim.FrameState, frames)}
	}
	ngu := uint64(max(ng, 1))
	for j := 0; j < frames && r.err == nil; j++ {
		v := r.uint()
		g := &groups[v%ngu]
		pc := v / ngu
		if ng == 0 || g.next >= g.n || pc > math.MaxUint32 {
			d.frameAt(j)
			r.failk(ErrInconsistent, "frame entry %d: group %d full or resume point %d out of range", v, v%ngu, pc)
			break
		}
		if g.bad != nil {
			d.frameAt(j)
			r.failk(g.bad.(*problem).kind, "%s", g.bad)
			break
		}
		if d.raw {
			rawFrames[j] = RawFrame{Type: g.ft.name, PC: sim.PC(pc), Value: g.raw[g.next]}
		} else {
			at, err := g.ft.resumePoint(pc, d.schema)
			if err != nil {
				d.frameAt(j)
				r.failk(ErrLayout, "%s", err)
				break
			}
			img.Frames[j] = sim.FrameState{Frame: g.frame(unsafe.Add(g.base, uintptr(g.next)*g.size)), PC: at}
		}
		g.next++
	}
	if r.err != nil {
		return nil, d.errorAt(nil)
	}
	d.column(len(blocked), "channels of blocked tasklets")
	prev = 0
	for _, i := range blocked {
		if r.err != nil {
			break
		}
		prev += r.int()
		if prev < 1 || prev > math.MaxUint32 {
			d.tasklet = ts[i].ID
			r.failk(ErrInconsistent, "channel id %d out of range", prev)
		}
		ts[i].Channel = sim.ChanID(prev)
	}
	d.column(len(timed), "wake ticks")
	for _, i := range timed {
		if r.err != nil {
			break
		}
		w := r.uint()
		if w == 0 || w > math.MaxUint64-out.tick {
			d.tasklet = ts[i].ID
			r.failk(ErrInconsistent, "wake tick offset %d out of range", w)
		}
		ts[i].Wake = out.tick + w
	}
	d.column(len(withValue), "values")
	var rawValues map[int32]*RawValue
	var values []sim.TaskletValue // typed mode, by tasklet
	if d.raw {
		rawValues = make(map[int32]*RawValue, len(withValue))
	} else {
		values = make([]sim.TaskletValue, 0, len(withValue))
	}
	for _, i := range withValue {
		if r.err != nil {
			break
		}
		d.tasklet = ts[i].ID
		v := d.anyValue(nil)
		if v == nil && r.err == nil {
			r.fail("a null value (tasklets without a value have no entry)")
		}
		if d.raw {
			rawValues[i], _ = v.(*RawValue)
		} else {
			values = append(values, sim.TaskletValue{Index: int(i), TempVal: v})
		}
	}
	d.column(len(withErr), "pending errors")
	var rawErrs map[int32]string
	var errs []error // typed mode, one per withErr
	if d.raw {
		rawErrs = make(map[int32]string, len(withErr))
	} else {
		errs = make([]error, len(withErr))
	}
	for k, i := range withErr {
		if r.err != nil {
			break
		}
		d.tasklet = ts[i].ID
		ft := d.typeAt(r.uint())
		switch {
		case ft == nil:
		case ft.sh != nil:
			r.fail("pending error: %q is a type, not an error", ft.name)
		case d.raw:
			rawErrs[i] = ft.name
		case ft.problem != nil:
			r.failk(ft.problem.(*problem).kind, "%s", ft.problem)
		default:
			errs[k] = ft.ref.err
		}
	}
	if r.err != nil {
		return nil, d.errorAt(nil)
	}
	d.tasklet = 0
	d.column(len(timed), "timers")
	timers := make([]sim.ID, 0, len(timed))
	pos = 0
	for range timed {
		if r.err != nil {
			break
		}
		pos += int(r.int())
		if pos < 0 || pos >= nt {
			r.failk(ErrInconsistent, "timer entry for tasklet position %d out of range", pos)
			break
		}
		timers = append(timers, ts[pos].ID)
	}
	if r.err != nil {
		return nil, d.errorAt(nil)
	}
	for _, g := range groups {
		if g.next != g.n {
			r.failk(ErrInconsistent, "frame group %q has %d frames, the tasklets use %d", g.ft.name, g.n, g.next)
			return nil, d.errorAt(nil)
		}
	}

	// Channels.
	d.part = "channels"
	r.arrayOf(2, "channels")
	nc := r.arrayLen(d.lim.MaxChannels, "channel ids")
	chans := make([]sim.ChannelState, nc)
	prev = 0
	for i := 0; i < nc && r.err == nil; i++ {
		prev += r.int()
		if prev < 1 || prev >= int64(nextChan) {
			r.failk(ErrInconsistent, "channel id %d out of range [1, %d)", prev, nextChan)
		}
		chans[i].ID = sim.ChanID(prev)
	}
	d.column(nc, "channel flags")
	for i := 0; i < nc && r.err == nil; i++ {
		f := r.uintMax(15, "channel flags")
		if f&3 == 3 {
			r.fail("channel %d: preference code 3", chans[i].ID)
		}
		chans[i].Preference = int8(f&3) - 1
		chans[i].ScheduleAll = f&4 != 0
		chans[i].Closing = f&8 != 0
	}

	// Sections.
	d.part = "sections"
	ns := r.arrayLen(d.lim.MaxSections, "sections")
	var sections []Section
	var rawSections []RawSection
	for range ns {
		if r.err != nil {
			break
		}
		r.arrayOf(2, "section")
		name := r.text(200, "section name")
		d.part = fmt.Sprintf("section %q", name)
		v := d.anyValue(nil)
		if d.raw {
			rv, _ := v.(*RawValue)
			rawSections = append(rawSections, RawSection{Name: name, Value: rv})
		} else {
			sections = append(sections, Section{Name: name, Value: v})
		}
	}
	if r.err != nil {
		return nil, d.errorAt(nil)
	}
	d.part = "end"
	if r.off != len(r.b) {
		r.fail("%d bytes after the document", len(r.b)-r.off)
	}
	if r.err != nil {
		return nil, d.errorAt(nil)
	}
	if err := checkSections(sections, d.lim.MaxSections); err != nil {
		return nil, &LoadError{Where: "sections", Offset: -1, Err: errorf(ErrInconsistent, "%v", err)}
	}

	if d.raw {
		out.raw = d.assembleRaw(out, ts, rawFrames, rawValues, rawErrs, timers, chans, rawSections, nextID, nextChan, stats)
		return out, nil
	}
	img.Tick, img.NextID, img.NextChan, img.Stats = out.tick, nextID, nextChan, stats
	img.Tasklets, img.Channels, img.Timers = ts, chans, timers
	img.Values = mergeValues(values, withErr, errs)
	out.img, out.sections = img, sections
	return out, nil
}

// mergeValues adds the pending errors errs of the tasklets at positions withErr to values,
// keeping them in tasklet order (a tasklet with both gets one entry with both, which
// Restore refuses).
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

// frameSlab is one frame group as decoded: typed frames in a slab, or raw values.
type frameSlab struct {
	ft    *fileType
	n     int
	next  int
	base  unsafe.Pointer
	size  uintptr
	frame func(unsafe.Pointer) sim.Frame
	raw   []any
	bad   error // typed mode: why these frames cannot be loaded
}

type deepEntry struct {
	pos   int
	depth uint32
}

// frameAt points the error context at frame j.
func (d *decoder) frameAt(j int) {
	for _, t := range d.ts {
		if j < int(t.FrameStart+t.FrameCount) {
			d.tasklet, d.frame = t.ID, j-int(t.FrameStart)
			return
		}
	}
}

// types reads the type table and, in typed mode, resolves each entry against the registry.
func (d *decoder) types() {
	r := &d.r
	d.part = "type table"
	n := r.arrayLen(d.lim.MaxElements, "type table")
	d.table = make([]fileType, 0, n)
	d.described = map[*typeInfo]bool{}
	seen := map[string]bool{}
	for i := 0; i < n && r.err == nil; i++ {
		r.arrayOf(3, "type entry")
		ft := fileType{name: r.text(256, "type name")}
		if !r.null() {
			ft.shape = r.text(maxShapeLen, "shape")
			if r.err == nil {
				sh, err := parseShape(ft.shape)
				if err != nil {
					r.fail("type %q: %v", ft.name, err)
				}
				ft.sh = sh
			}
		}
		np := r.arrayLen(1<<16, "resume point names")
		for range np {
			ft.pcs = append(ft.pcs, r.text(100, "resume point name"))
		}
		if r.err != nil {
			break
		}
		base := ft.name
		if len(base) > 0 && base[0] == '*' {
			base = base[1:]
			if ft.sh == nil {
				r.fail("type %q: a pointer entry needs a shape", ft.name)
			}
		}
		if !validName(base) || seen[ft.name] {
			r.fail("type %d: bad or duplicate name %q", i, ft.name)
			break
		}
		seen[ft.name] = true
		if !d.raw {
			d.resolve(&ft)
		}
		d.table = append(d.table, ft)
	}
}

// resolve finds a file type in the registry and checks that the layouts agree.
func (d *decoder) resolve(ft *fileType) {
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

// errorAt turns the reader's error (or err) into a LoadError that says where it happened.
func (d *decoder) errorAt(err error) error {
	off := -1
	if err == nil {
		we := d.r.err
		if we == nil {
			return nil
		}
		err, off = we, we.off
		switch we.kind {
		case ErrUnknownType, ErrLayout, ErrInconsistent:
			off = -1 // the message names the thing
		}
	}
	return &LoadError{Where: d.where(), Offset: off, Err: err}
}

func (d *decoder) where() string {
	switch {
	case d.group >= 0:
		return fmt.Sprintf("frames of type %q, frame %d", d.table[d.group].name, d.groupK)
	case d.tasklet != 0 && d.frame >= 0:
		return fmt.Sprintf("tasklet %d, frame %d", d.tasklet, d.frame)
	case d.tasklet != 0:
		return fmt.Sprintf("tasklet %d", d.tasklet)
	}
	return d.part
}

// errPending marks a tasklet whose error is read from the errors column.
var errPending = &problem{ErrMalformed, "pending"}

// timedMark marks a blocked tasklet with a deadline until the wakes column is read.
const timedMark = math.MaxUint64
