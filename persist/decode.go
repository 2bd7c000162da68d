package persist

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/stackworld/stackworld/sim"
)

// decoder reads a document one section at a time, each in a step of its own (header, type
// table, scheduler, frame groups, the tasklet table's columns, channels, sections), in
// one of two modes chosen by its sink: typed (values become the registered Go types; the
// fast path of Load) or raw (values become generic Raw values read with the shapes in the
// file's type table, no Go types needed: inspect, diff, upgrades). The steps check every
// length, id and reference; the sink only stores what they read.
type decoder struct {
	r         reader
	reg       *registry
	lim       Options
	sink      sink
	schema    uint64
	table     []fileType
	described map[*typeInfo]bool // typed mode: registered types whose layout the table holds
	depth     int

	// what the steps have read so far, for the steps after them
	out         *decoded
	nextID      sim.ID
	nextChan    sim.ChanID
	stats       sim.Stats
	groups      []frameSlab
	totalFrames int // frames in the groups
	ts          []sim.TaskletRow
	deep        []deepEntry
	frames      int // frames of the tasklets
	blocked     []int32
	timed       []int32
	withValue   []int32
	withErr     []int32
	timers      []sim.ID
	chans       []sim.ChannelState

	// where decoding is, for error messages
	part    string
	tasklet sim.ID
	frame   int
	group   int // type index of the frame group being read, or -1
	groupK  int
}

// fileType is one entry of a document's type table.
type fileType struct {
	name  string
	shape string // "" for errors
	sh    *shape
	pcs   []string
	ref   *typeRef // typed mode: the registered entry
	why   uint8    // typed mode: why values of this type cannot be loaded (whyNone, ...)
	pcMap []int32  // typed mode: the program's resume point for each of the file's (resume.go)
}

// decoded is a document read by a decoder.
type decoded struct {
	format   int
	schema   uint64            // the program's
	schemas  map[string]uint64 // the packages' (format 3 on)
	tick     uint64
	img      *sim.ImageTable // typed mode
	sections []Section       // typed mode
	raw      *Raw            // raw mode
}

// formatElements is the number of elements of a document of each format.
var formatElements = [Format + 1]int{1: 10, 2: 11, 3: 11}

// newDecoder returns a decoder of data in typed mode, or in raw mode if raw.
func newDecoder(data []byte, reg *registry, lim Options, raw bool) *decoder {
	d := &decoder{r: reader{b: data}, reg: reg, lim: lim}
	if raw {
		d.sink = &rawSink{}
	} else {
		d.sink = &typedSink{}
	}
	return d
}

// decode reads a whole document. In typed mode, a document of an older schema is left
// for the caller to read again in raw mode (decoded.img == nil).
func (d *decoder) decode() (*decoded, error) {
	d.out = &decoded{}
	d.part, d.group, d.frame = "header", -1, -1
	if upgrade, err := d.header(); err != nil {
		return nil, err
	} else if upgrade {
		return d.out, nil
	}
	for _, step := range [...]struct {
		part string
		read func()
	}{
		{"type table", d.types},
		{"scheduler", d.scheduler},
		{"frames", d.frameGroups},
		{"tasklets", d.tasklets},
		{"channels", d.channels},
		{"sections", d.sections},
		{"checksum", d.checksum},
		{"end", d.end},
	} {
		d.part = step.part
		step.read()
		if d.r.err != nil {
			return nil, d.errorAt(nil)
		}
	}
	if err := d.sink.finish(d); err != nil {
		return nil, err
	}
	return d.out, nil
}

// runSteps runs steps in order until one fails.
func (d *decoder) runSteps(steps ...func()) {
	for _, step := range steps {
		if d.r.err != nil {
			return
		}
		step()
	}
}

// header reads the magic, format, schema and tick. It reports upgrade when a typed
// decoder meets an older schema, which the caller reads again in raw mode.
func (d *decoder) header() (upgrade bool, err error) {
	r, out := &d.r, d.out
	m, n := r.head()
	if r.err != nil || m != majArray || n < 2 {
		return false, d.errorAt(errorf(ErrBadMagic, "not a stackworld snapshot (want a CBOR array starting with %q)", Magic))
	}
	if magic := r.rawBytes(majText, 64, "magic"); r.err != nil || string(magic) != Magic {
		return false, d.errorAt(errorf(ErrBadMagic, "not a stackworld snapshot (magic %q, want %q)", magic, Magic))
	}
	format := r.uint()
	if r.err == nil && format > Format {
		return false, d.errorAt(errorf(ErrNewerFormat, "format %d is newer than this program reads (%d): update stackworld", format, Format))
	}
	if want := formatElements[min(format, Format)]; r.err == nil && (want == 0 || n != uint64(want)) {
		r.fail("format %d document with %d elements (want format 1 with 10, or 11)", format, n)
	}
	out.format = int(format)
	if format >= 3 {
		d.readSchemas()
	} else {
		out.schema = r.uint()
	}
	out.tick = r.uint()
	d.schema = out.schema
	if r.err != nil {
		return false, d.errorAt(nil)
	}
	if out.schema == 0 {
		return false, d.errorAt(errorf(ErrMalformed, "schema 0 (schemas start at 1)"))
	}
	return d.sink.schema(d)
}

// maxPackages bounds the packages' schemas a document records.
const maxPackages = 1 << 10

// readSchemas reads the schemas of format 3 on: a map from package to schema, the
// program's ("") first, keys in their encoded order (Core Deterministic Encoding).
func (d *decoder) readSchemas() {
	r, out := &d.r, d.out
	n := r.length(majMap, maxPackages, 2, "schemas")
	var prev []byte
	for i := 0; i < n && r.err == nil; i++ {
		start := r.off
		pkg := r.text(200, "package name")
		key := r.b[start:r.off]
		v := r.uint()
		switch {
		case r.err != nil:
		case i == 0 && pkg != "":
			r.fail("schemas: the program's schema (\"\") is missing")
		case i > 0 && bytes.Compare(key, prev) <= 0:
			r.fail("schemas: package %q out of order or repeated", pkg)
		case i > 0 && (strings.Contains(pkg, ".") || !validName(pkg)):
			r.fail("schemas: bad package name %q", pkg)
		case v == 0:
			r.fail("schemas: package %q at schema 0 (schemas start at 1)", pkg)
		case i == 0:
			out.schema = v
		default:
			if out.schemas == nil {
				out.schemas = map[string]uint64{}
			}
			out.schemas[pkg] = v
		}
		prev = key
	}
	if r.err == nil && n == 0 {
		r.fail("schemas: the program's schema (\"\") is missing")
	}
}

// types reads the type table and has the sink resolve each entry.
func (d *decoder) types() {
	r := &d.r
	n := r.arrayLen(d.lim.MaxElements, "type table")
	d.table = make([]fileType, 0, n)
	d.described = map[*typeInfo]bool{}
	for i := 0; i < n && r.err == nil; i++ {
		ft := d.typeEntry(i)
		if r.err != nil {
			break
		}
		d.sink.resolve(d, &ft)
		d.table = append(d.table, ft)
	}
	if r.err == nil {
		names := make([]string, len(d.table))
		for i := range d.table {
			names[i] = d.table[i].name
		}
		slices.Sort(names)
		for i := 1; i < len(names); i++ {
			if names[i] == names[i-1] {
				r.fail("a second type named %q", names[i])
				break
			}
		}
	}
}

// typeEntry reads entry i of the type table: name, shape and resume point names.
func (d *decoder) typeEntry(i int) fileType {
	r := &d.r
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
	np := r.arrayLen(maxPCNames, "resume point names")
	for range np {
		ft.pcs = append(ft.pcs, r.text(100, "resume point name"))
	}
	if r.err != nil {
		return ft
	}
	base := ft.name
	if len(base) > 0 && base[0] == '*' {
		base = base[1:]
		if ft.sh == nil {
			r.fail("type %q: a pointer entry needs a shape", ft.name)
		}
	}
	if !validName(base) {
		r.fail("type %d: bad name %q", i, ft.name)
	}
	return ft
}

// scheduler reads the scheduler header: the id counters and the statistics. The next
// channel id is the size of the scheduler's channel table (Restore allocates a slot per
// id below it), so MaxChannels bounds it.
func (d *decoder) scheduler() {
	r := &d.r
	r.arrayOf(6, "scheduler")
	nextID, nextChan := r.uint(), r.uint()
	d.stats = sim.Stats{Steps: r.uint(), Switches: r.uint(), Preempted: r.uint(), Spawned: r.uint()}
	switch {
	case r.err != nil:
	case nextID < 2 || nextID > uint64(sim.MaxID)+1:
		r.failk(ErrInconsistent, "next tasklet id %d out of range [2, %d]", nextID, uint64(sim.MaxID)+1)
	case nextChan < 1:
		r.failk(ErrInconsistent, "next channel id 0 (channel ids start at 1)")
	case nextChan > uint64(d.lim.MaxChannels):
		r.failk(ErrLimit, "next channel id %d over the limit %d (MaxChannels: the channel table has a slot per id)", nextChan, d.lim.MaxChannels)
	}
	d.nextID, d.nextChan = sim.ID(nextID), sim.ChanID(nextChan)
}

// frameGroups reads the frame groups: one per frame type, in type-table order, before the
// tasklets that refer to them by group.
func (d *decoder) frameGroups() {
	r := &d.r
	ng := r.arrayLen(len(d.table), "frame groups")
	d.groups = make([]frameSlab, ng)
	grouped := make([]bool, len(d.table))
	for gi := 0; gi < ng && r.err == nil; gi++ {
		d.frameGroup(&d.groups[gi], grouped)
	}
	d.group = -1
}

// frameGroup reads one frame group into g.
func (d *decoder) frameGroup(g *frameSlab, grouped []bool) {
	r := &d.r
	r.arrayOf(2, "frame group")
	idx := int(r.uintMax(uint64(len(d.table)), "type index"))
	if r.err != nil {
		return
	}
	if idx >= len(d.table) || grouped[idx] {
		r.failk(ErrInconsistent, "a second frame group for type index %d", idx)
		return
	}
	grouped[idx] = true
	ft := &d.table[idx]
	d.group = idx
	if ft.sh == nil {
		r.fail("error %q used as a frame type", ft.name)
	} else {
		g.bad = d.sink.frameProblem(d, ft)
	}
	cnt := r.length(majArray, d.lim.MaxFrames, 1, "frame group")
	if r.err == nil && cnt*ft.sh.minBytes() > r.remaining() {
		r.failk(ErrTruncated, "truncated: frame group %q claims %d frames", ft.name, cnt)
	}
	d.totalFrames += cnt
	if d.totalFrames > d.lim.MaxFrames {
		r.failk(ErrLimit, "more than MaxFrames %d frames", d.lim.MaxFrames)
	}
	if r.err != nil {
		return
	}
	g.ft, g.n = ft, cnt
	if g.bad != nil {
		for k := 0; k < cnt && r.err == nil; k++ {
			r.skip(d.lim.MaxNesting)
		}
		return
	}
	d.sink.frameGroup(d, g)
}

// tasklets reads the tasklet table, column by column.
func (d *decoder) tasklets() {
	r := &d.r
	r.arrayOf(10, "tasklet table")
	n := r.uintMax(uint64(d.lim.MaxTasklets), "tasklet count")
	if r.err != nil {
		return
	}
	d.runSteps(
		func() { d.taskletIDs(int(n)) },
		d.depths,
		d.states,
		d.frameColumn,
		d.blockedChannels,
		d.wakes,
		d.values,
		d.pendingErrors,
		d.timerColumn,
		d.groupsUsed,
	)
}

// taskletIDs reads the ids column (n signed deltas) and checks that the ids are distinct
// and below the next tasklet id.
func (d *decoder) taskletIDs(n int) {
	r := &d.r
	if !d.column(n, "tasklet ids") {
		return
	}
	// The tasklet table has no pointers (values and errors are set apart, few tasklets
	// have one): 32 bytes a tasklet that the garbage collector need not scan.
	d.ts = make([]sim.TaskletRow, n)
	var prev int64
	for i := 0; i < n && r.err == nil; i++ {
		prev += r.int()
		if prev < 2 || prev >= int64(d.nextID) {
			d.tasklet = sim.ID(max(prev, 0))
			r.failk(ErrInconsistent, "id out of range [2, %d) (the scheduler's next tasklet id)", d.nextID)
		}
		d.ts[i].ID = sim.ID(prev)
	}
	if r.err == nil {
		if id, dup := firstDuplicate(d.ts, d.nextID); dup {
			d.tasklet = id
			r.failk(ErrInconsistent, "a second tasklet with this id")
		}
	}
}

// firstDuplicate returns an id that two tasklets have, if any (ids are in [2, next)). It
// allocates at most 8 bytes a tasklet plus a constant: a bitmap of the ids when they are
// dense, else a sorted copy.
func firstDuplicate(ts []sim.TaskletRow, next sim.ID) (sim.ID, bool) {
	if span := uint64(next) - 2; span <= 64*uint64(len(ts))+1<<16 {
		seen := make([]uint64, span/64+1)
		for _, t := range ts {
			k := uint64(t.ID) - 2
			if seen[k/64]&(1<<(k%64)) != 0 {
				return t.ID, true
			}
			seen[k/64] |= 1 << (k % 64)
		}
		return 0, false
	}
	ids := make([]sim.ID, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	slices.Sort(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			return ids[i], true
		}
	}
	return 0, false
}

// depths reads the (position delta, frame count) pairs of tasklets with more than one
// frame.
func (d *decoder) depths() {
	r := &d.r
	nt := len(d.ts)
	m, v := r.head()
	switch {
	case !r.want(m, majArray):
	case v%2 != 0 || v/2 > uint64(nt):
		r.fail("depths: %d entries for %d tasklets", v, nt)
	case v > uint64(r.remaining()):
		r.failk(ErrTruncated, "truncated: depths claim %d entries, only %d bytes remain", v, r.remaining())
	}
	if r.err != nil {
		return
	}
	d.deep = make([]deepEntry, v/2)
	pos := 0
	for k := range d.deep {
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
			d.tasklet = d.ts[pos].ID
			r.failk(ErrLimit, "%d frames (want 2 to MaxFrameDepth %d)", depth, d.lim.MaxFrameDepth)
			break
		}
		d.deep[k] = deepEntry{pos, uint32(depth)}
	}
}

// states reads the states column, in one pass over the tasklets: everything but the
// sparse columns, which it lists (blocked, timed, withValue, withErr) for the steps after.
func (d *decoder) states() {
	r := &d.r
	nt := len(d.ts)
	d.column(nt, "states")
	frames, dk := 0, 0
	for i := 0; i < nt && r.err == nil; i++ {
		t := &d.ts[i]
		v := r.uint()
		code, bits := v&(1<<stateBits-1), v>>stateBits
		if bits&^allBits != 0 {
			d.tasklet = t.ID
			r.fail("unknown flag bits %#x", bits&^allBits)
			break
		}
		d.state(t, int32(i), code, bits)
		t.FrameStart, t.FrameCount = uint32(frames), 1
		if dk < len(d.deep) && d.deep[dk].pos == i {
			t.FrameCount = d.deep[dk].depth
			dk++
		}
		frames += int(t.FrameCount)
	}
	if r.err == nil && frames != d.totalFrames {
		r.failk(ErrInconsistent, "the tasklets have %d frames, the frame groups %d", frames, d.totalFrames)
	}
	d.frames = frames
}

// state decodes tasklet t's state code and flag bits (t is at position i).
func (d *decoder) state(t *sim.TaskletRow, i int32, code, bits uint64) {
	r := &d.r
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
		d.blocked = append(d.blocked, i)
		t.Dir = -1
		if bits&bitSend != 0 {
			t.Dir = 1
		}
		if bits&bitTimed != 0 {
			d.timed = append(d.timed, i)
		}
	case codeSleeping:
		t.State = sim.StateSleeping
		d.timed = append(d.timed, i)
	default:
		d.tasklet = t.ID
		r.fail("unknown state code %d", code)
	}
	if code != codeBlocked && bits&(bitSend|bitTimed) != 0 {
		d.tasklet = t.ID
		r.fail("send or deadline flag on a tasklet that is not blocked")
	}
	if bits&(bitValue|bitErr) == bitValue|bitErr {
		d.tasklet = t.ID
		r.failk(ErrInconsistent, "both a value and a pending error")
	}
	if bits&bitValue != 0 {
		d.withValue = append(d.withValue, i)
	}
	if bits&bitErr != 0 {
		d.withErr = append(d.withErr, i)
	}
}

// frameColumn reads the frames column, pc*groups + group for each frame, bottom first,
// and hands each frame to the sink.
func (d *decoder) frameColumn() {
	r := &d.r
	frames, ng := d.frames, len(d.groups)
	d.column(frames, "frames")
	d.sink.expectFrames(frames)
	ngu := uint64(max(ng, 1))
	for j := 0; j < frames && r.err == nil; j++ {
		v := r.uint()
		g := &d.groups[v%ngu]
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
		at, err := g.ft.resumePoint(pc, d.schema)
		if err != nil {
			d.frameAt(j)
			r.failk(ErrLayout, "%s", err)
			break
		}
		if ref := g.ft.ref; ref != nil && len(ref.info.pcs) > 0 && int(at) >= len(ref.info.pcs) { // as Save refuses
			d.frameAt(j)
			r.failk(ErrLayout, "type %q: resume point %d has no name in this program (%d named)", ref.info.name, at, len(ref.info.pcs))
			break
		}
		d.sink.frame(j, g, at)
		g.next++
	}
}

// blockedChannels reads the channel of each blocked tasklet (id deltas).
func (d *decoder) blockedChannels() {
	r := &d.r
	d.column(len(d.blocked), "channels of blocked tasklets")
	var prev int64
	for _, i := range d.blocked {
		if r.err != nil {
			break
		}
		prev += r.int()
		if prev < 1 || prev > math.MaxUint32 {
			d.tasklet = d.ts[i].ID
			r.failk(ErrInconsistent, "channel id %d out of range", prev)
		}
		d.ts[i].Channel = sim.ChanID(prev)
	}
}

// maxWakeAhead is how far ahead of the tick a sleep or a receive deadline can wake (a
// sim.Sleep or deadline takes at most 2^32-1 ticks).
const maxWakeAhead = math.MaxUint32

// wakes reads the wake tick of each sleeping tasklet and receive with a deadline.
func (d *decoder) wakes() {
	r := &d.r
	tick := d.out.tick
	d.column(len(d.timed), "wake ticks")
	for _, i := range d.timed {
		if r.err != nil {
			break
		}
		w := r.uint()
		if w == 0 || w > maxWakeAhead || w > math.MaxUint64-tick {
			d.tasklet = d.ts[i].ID
			r.failk(ErrInconsistent, "wake tick offset %d out of range [1, %d]", w, uint64(maxWakeAhead))
		}
		d.ts[i].Wake = tick + w
	}
}

// values reads the tempval of each tasklet that has one.
func (d *decoder) values() {
	r := &d.r
	d.column(len(d.withValue), "values")
	d.sink.expectValues(len(d.withValue))
	for _, i := range d.withValue {
		if r.err != nil {
			break
		}
		d.tasklet = d.ts[i].ID
		if !d.sink.value(d, i) && r.err == nil {
			r.fail("a null value (tasklets without a value have no entry)")
		}
	}
}

// pendingErrors reads the type index of the registered error pending in each tasklet
// that has one.
func (d *decoder) pendingErrors() {
	r := &d.r
	d.column(len(d.withErr), "pending errors")
	d.sink.expectErrors(len(d.withErr))
	for k, i := range d.withErr {
		if r.err != nil {
			break
		}
		d.tasklet = d.ts[i].ID
		ft := d.typeAt(r.uint())
		switch {
		case ft == nil:
		case ft.sh != nil:
			r.fail("pending error: %q is a type, not an error", ft.name)
		default:
			d.sink.pendingError(d, k, i, ft)
		}
	}
}

// timerColumn reads the timer entries in wake order (tasklet position deltas): one for
// each sleeping tasklet and receive with a deadline, in the order of their wake ticks.
func (d *decoder) timerColumn() {
	r := &d.r
	nt := len(d.ts)
	d.tasklet, d.part = 0, "timers"
	d.column(len(d.timed), "timers")
	d.timers = make([]sim.ID, 0, len(d.timed))
	seen := make([]uint64, nt/64+1) // by position
	pos, last := 0, uint64(0)
	for range d.timed {
		if r.err != nil {
			break
		}
		pos += int(r.int())
		if pos < 0 || pos >= nt {
			r.failk(ErrInconsistent, "timer entry for tasklet position %d out of range", pos)
			break
		}
		t := &d.ts[pos]
		switch {
		case t.Wake == 0:
			r.failk(ErrInconsistent, "tasklet %d: a timer entry, but it waits for no tick", t.ID)
		case seen[pos/64]&(1<<(pos%64)) != 0:
			r.failk(ErrInconsistent, "tasklet %d: a second timer entry", t.ID)
		case t.Wake < last:
			r.failk(ErrInconsistent, "tasklet %d: timer entries out of wake order", t.ID)
		}
		seen[pos/64] |= 1 << (pos % 64)
		last = t.Wake
		d.timers = append(d.timers, t.ID)
	}
}

// groupsUsed checks that the tasklets used every frame of every group.
func (d *decoder) groupsUsed() {
	d.part = "frames"
	for _, g := range d.groups {
		if g.next != g.n {
			d.r.failk(ErrInconsistent, "frame group %q has %d frames, the tasklets use %d", g.ft.name, g.n, g.next)
			return
		}
	}
}

// channels reads the channel table (ids as deltas, and flags), then checks the channel
// of every blocked tasklet against it.
func (d *decoder) channels() {
	d.runSteps(d.channelTable, d.blockedOn)
}

// channelTable reads the channel ids, increasing, and their flags.
func (d *decoder) channelTable() {
	r := &d.r
	r.arrayOf(2, "channels")
	nc := r.arrayLen(d.lim.MaxChannels, "channel ids")
	d.chans = make([]sim.ChannelState, nc)
	var prev int64
	for i := 0; i < nc && r.err == nil; i++ {
		id := prev + r.int()
		switch {
		case id <= prev:
			r.failk(ErrInconsistent, "channel %d: ids out of order or repeated (after channel %d)", id, prev)
		case id >= int64(d.nextChan):
			r.failk(ErrInconsistent, "channel %d: id out of range [1, %d) (the scheduler's next channel id)", id, d.nextChan)
		}
		prev = id
		d.chans[i].ID = sim.ChanID(id)
	}
	d.column(nc, "channel flags")
	for i := 0; i < nc && r.err == nil; i++ {
		f := r.uintMax(15, "channel flags")
		if f&3 == 3 {
			r.fail("channel %d: preference code 3", d.chans[i].ID)
		}
		d.chans[i].Preference = int8(f&3) - 1
		d.chans[i].ScheduleAll = f&4 != 0
		d.chans[i].Closing = f&8 != 0
	}
}

// blockedOn checks that every blocked tasklet waits on a channel of the table, and that
// no channel queues senders and receivers together.
func (d *decoder) blockedOn() {
	r := &d.r
	dirs := make([]int8, len(d.chans))
	for _, i := range d.blocked {
		t := &d.ts[i]
		k, ok := slices.BinarySearchFunc(d.chans, t.Channel, func(c sim.ChannelState, id sim.ChanID) int { return cmp.Compare(c.ID, id) })
		switch {
		case !ok:
			d.tasklet = t.ID
			r.failk(ErrInconsistent, "blocked on channel %d, which is not in the channel table", t.Channel)
			return
		case dirs[k] != 0 && dirs[k] != t.Dir:
			d.tasklet = t.ID
			r.failk(ErrInconsistent, "channel %d queues senders and receivers together", t.Channel)
			return
		}
		dirs[k] = t.Dir
	}
}

// sections reads the named sections.
func (d *decoder) sections() {
	r := &d.r
	ns := r.arrayLen(d.lim.MaxSections, "sections")
	names := make(map[string]bool, ns)
	for range ns {
		if r.err != nil {
			break
		}
		d.part = "sections"
		r.arrayOf(2, "section")
		name := r.text(200, "section name")
		if r.err == nil && (name == "" || names[name]) {
			r.failk(ErrInconsistent, "section %q: an empty or repeated name", name)
			break
		}
		names[name] = true
		d.part = fmt.Sprintf("section %q", name)
		d.sink.section(d, name)
	}
}

// checksum reads the checksum element of a format-2 document (precheck has verified it,
// unless Options.SkipChecksum).
func (d *decoder) checksum() {
	if d.out.format < 2 {
		return
	}
	if b := d.r.rawBytes(majBytes, 4, "checksum"); d.r.err == nil && len(b) != 4 {
		d.r.fail("checksum: want 4 bytes, found %d", len(b))
	}
}

// end checks that nothing follows the document.
func (d *decoder) end() {
	if r := &d.r; r.off != len(r.b) {
		r.fail("%d bytes after the document", len(r.b)-r.off)
	}
}

// ---- values ----

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

// anyHead reads the head of an interface value: null (nil), or [type index, ...] (its
// type table entry; the value follows).
func (d *decoder) anyHead() *fileType {
	if d.r.null() || !d.r.arrayOf(2, "value") {
		return nil
	}
	return d.typeAt(d.r.uint())
}

// anyValue reads an interface value (null or [type index, value]) as a Go value that
// implements iface (typed mode).
func (d *decoder) anyValue(iface reflect.Type) any {
	ft := d.anyHead()
	if ft == nil {
		return nil
	}
	if ft.why != whyNone {
		d.failWith(ft)
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

// rawValue reads an interface value (null or [type index, value]) as a *RawValue (raw
// mode), or nil.
func (d *decoder) rawValue() *RawValue {
	ft := d.anyHead()
	if ft == nil {
		return nil
	}
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

// ---- errors ----

// frameAt points the error context at frame j.
func (d *decoder) frameAt(j int) {
	for _, t := range d.ts {
		if j < int(t.FrameStart+t.FrameCount) {
			d.tasklet, d.frame = t.ID, j-int(t.FrameStart)
			return
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
