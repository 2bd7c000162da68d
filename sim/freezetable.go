package sim

import (
	"cmp"
	"slices"
	"unsafe"
)

// The tasklet table of a save taken off the tick goroutine, recorded in one walk.
//
// At 100k tasklets the walk is bound by memory, not by work: the tasklets sit all over
// it (in the order they queue, not the order they were made), and a tasklet deep in
// calls has its caller frames behind another pointer. FreezeTable first lists the
// queues' tasklets in Each's order (reading only the queues' arrays and the channels),
// then records each from that list while the tasklets a few places ahead, and their
// extras, are being fetched. It reads nothing behind the frames: the frames stay live,
// frozen, until CopyFrames (see Freeze).

// A FrozenTable is a scheduler's tasklets, timers and channels as FreezeTable recorded
// them. Its zero value is empty; a FrozenTable may be reused for a later FreezeTable,
// which reuses its memory.
type FrozenTable struct {
	// Table is the image as Snapshot would give it, but for the frames: each row owns
	// Frames[FrameStart:FrameStart+FrameCount], left zero for CopyFrames to fill, and
	// Values holds the live value slots (not copies).
	Table ImageTable
	// Tasklets holds the tasklet of each row of Table.Tasklets.
	Tasklets []*Tasklet
	// Hard lists the alive hard tasklets, in Each's order: they are not in the table.
	Hard []*Tasklet

	order     []*Tasklet // the queues' tasklets in Each's order
	timerFrom int        // order[timerFrom:timerTo] came from the timers
	timerTo   int
	grew      bool // the last FreezeTable grew a table
}

// frozenAhead is how many places ahead of the record the walk prefetches a tasklet's
// extra; its tasklet is prefetched twice as far ahead, in batches of frozenAhead.
const frozenAhead = 16

// FreezeTable records s's alive tasklets (but main and the hard ones), timers and
// channels into ft as Snapshot would, and freezes each soft tasklet for f as Freeze does,
// in the same walk: ft's rows hold what each tasklet was before Freeze (an earlier
// Freezer's tasklets are thawed first, each just before it is recorded). The frames are
// not read: a row's frames are recorded by CopyFrames, which may run later, on any
// goroutine, under the precondition Freeze states. Call it between ticks, on the main
// program, after CanSnapshot. f must not be nil. Cost: two walks, one of the queues'
// arrays and the channels, one of the tasklets (with prefetches); once ft has held a table
// as large, it allocates only the list of timer ticks and of free channels.
func (s *Scheduler) FreezeTable(f Freezer, ft *FrozenTable) {
	earlier := s.freezer
	s.freezer = nil // each tasklet is thawed before it is recorded: Started needs no Freezer
	tasklets, order := len(ft.Tasklets), len(ft.order)
	room := ft.room()
	ft.reset(s)
	ft.listQueues(s)
	ft.record(s, earlier)
	trim(ft.Tasklets, tasklets)
	trim(ft.order, order)
	ft.grew = ft.room() != room
	s.freezer = f
}

// Grew reports whether the last FreezeTable into ft had to grow one of its tables (the
// rows, frames, channels, timers or tasklet lists) beyond the memory ft held: false when
// Reserve, or an earlier table as large, left room. Constant time.
func (ft *FrozenTable) Grew() bool { return ft.grew }

// tableRoom is the capacities of a FrozenTable's tables.
type tableRoom struct{ rows, frames, channels, timers, tasklets, order int }

func (ft *FrozenTable) room() tableRoom {
	tb := &ft.Table
	return tableRoom{cap(tb.Tasklets), cap(tb.Frames), cap(tb.Channels), cap(tb.Timers), cap(ft.Tasklets), cap(ft.order)}
}

// Reserve empties ft (letting go of the tasklets and values its last table held) and gives
// it room for a FreezeTable of up to tasklets tasklets with frames frames and channels
// channels, writing to every page of the memory it adds, so that the FreezeTable that
// reuses ft neither grows its tables nor faults their memory in. It reads no scheduler and
// may run on any goroutine while ft is not in use (a server readies its captures' tables
// this way, off the tick loop). Cost: clearing the last table's pointers, and allocation
// and one store per page of about 60 bytes per tasklet, 24 per frame and 16 per channel
// added; no allocation if ft has the room.
func (ft *FrozenTable) Reserve(tasklets, frames, channels int) {
	tb := &ft.Table
	clear(tb.Values)
	clear(tb.Frames)
	clear(ft.Tasklets)
	clear(ft.order)
	clear(ft.Hard)
	tb.Values, ft.Hard = tb.Values[:0], ft.Hard[:0]
	tb.Tasklets = touched(roomFor(tb.Tasklets[:0], tasklets))
	tb.Frames = touched(roomFor(tb.Frames[:0], frames))
	tb.Channels = touched(roomFor(tb.Channels[:0], channels))
	tb.Timers = touched(roomFor(tb.Timers[:0], tasklets))
	ft.Tasklets = touched(roomFor(ft.Tasklets[:0], tasklets))
	ft.order = touched(roomFor(ft.order[:0], tasklets))
}

// touched writes a zero element on each page of s's room beyond its length (memory fresh
// from the system is faulted in by its first write), and returns s. The room is zero
// (Reserve cleared it, or it is fresh), so the stores change nothing else.
func touched[E any](s []E) []E {
	var zero E
	size := int(unsafe.Sizeof(zero))
	room := s[len(s):cap(s)]
	for i := 0; i < len(room); i += max(pageBytes/max(size, 1), 1) {
		room[i] = zero
	}
	return s
}

// pageBytes is the smallest page size of the systems Go runs on: touched writes once per page.
const pageBytes = 4096

// trim clears ts[len(ts):n], what a longer list left beyond ts, so that it holds no
// tasklet that may end.
func trim(ts []*Tasklet, n int) {
	if n > len(ts) {
		clear(ts[len(ts):n])
	}
}

// roomFor returns s with room for n more elements: grown by an eighth more than asked,
// so that a table that grows a little between captures is not copied at every one.
func roomFor[E any](s []E, n int) []E {
	if cap(s)-len(s) >= n {
		return s
	}
	return slices.Grow(s, n+n/8)
}

// reset empties ft, keeping its memory, and sets the table's scalars.
func (ft *FrozenTable) reset(s *Scheduler) {
	tb := &ft.Table
	clear(tb.Values) // the value slots of the last table: let them go
	clear(ft.Hard)   // (the walk overwrites Tasklets and order, then clears what is left: trim)
	nextID, nextChan := s.NextIDs()
	*tb = ImageTable{Tick: s.now, NextID: nextID, NextChan: nextChan, FreeChans: s.FreeChans(), Stats: s.Stats(),
		Tasklets: tb.Tasklets[:0], Values: tb.Values[:0], Frames: tb.Frames[:0], Channels: tb.Channels[:0], Timers: tb.Timers[:0]}
	ft.Tasklets, ft.Hard, ft.order = ft.Tasklets[:0], ft.Hard[:0], ft.order[:0]
}

// listQueues lists the queues' tasklets in Each's order into ft.order (the timers' entries
// all, sleepers or not: record keeps the sleepers) and records the channels.
func (ft *FrozenTable) listQueues(s *Scheduler) {
	ft.order = roomFor(ft.order, s.alive)
	ft.order = appendQueue(ft.order, &s.ring)
	ft.order = append(ft.order, s.watchdogs...)
	chans := ft.Table.Channels
	for _, ch := range s.chans {
		if ch == noChannel {
			continue
		}
		chans = append(chans, ChannelState{ID: ch.id, Preference: ch.preference, ScheduleAll: ch.scheduleAll, Closing: ch.closing})
		if ch.queue.n > 0 {
			ft.order = appendQueue(ft.order, &ch.queue)
		}
	}
	byID := func(a, b ChannelState) int { return cmp.Compare(a.ID, b.ID) }
	if !slices.IsSortedFunc(chans, byID) { // slots reused: as channelsByID
		slices.SortFunc(chans, byID)
	}
	ft.Table.Channels = chans
	ft.timerFrom = len(ft.order)
	ticks := slices.Clone(s.timers.ticks)
	slices.Sort(ticks)
	for _, at := range ticks {
		for _, t := range s.timers.buckets[at].ts {
			if t != nil {
				ft.order = append(ft.order, t)
			}
		}
	}
	ft.timerTo = len(ft.order)
	ft.order = appendQueue(ft.order, &s.paused)
}

// appendQueue appends q's tasklets, front first, to ts.
func appendQueue(ts []*Tasklet, q *queue) []*Tasklet {
	m := q.mask()
	for p := q.head; p != q.tail; p++ {
		if t := q.buf[p&m]; t != nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// record records and freezes the tasklets of ft.order, thawing each for earlier first.
func (ft *FrozenTable) record(s *Scheduler, earlier Freezer) {
	tb := &ft.Table
	tb.Tasklets = roomFor(tb.Tasklets, len(ft.order))
	ft.Tasklets = roomFor(ft.Tasklets, len(ft.order))
	tb.Frames = roomFor(tb.Frames, len(ft.order)) // one frame each at least: deeper ones grow it
	for i, t := range ft.order {
		if i%frozenAhead == 0 {
			s.touched += ft.fetchAhead(i)
		}
		timer := i >= ft.timerFrom && i < ft.timerTo
		if timer && t.kind == Soft {
			tb.Timers = append(tb.Timers, t.ID())
		}
		switch {
		case timer && t.state != StateSleeping: // a receive with a timeout: listed with its channel
		case t.kind == Main:
		case t.kind == Hard:
			ft.Hard = append(ft.Hard, t)
		default:
			if earlier != nil && t.flags&flagFresh != 0 { // without it, t is not frozen: it stepped since
				thawBy(earlier, t)
			}
			ft.recordSoft(s, t)
			t.flags |= flagFresh
		}
	}
}

// fetchAhead starts fetching the tasklets 2*frozenAhead to 3*frozenAhead places after
// place i of ft.order, and the extras of those frozenAhead to 2*frozenAhead places after
// (their tasklets were fetched by the call before). It returns what the loads of the
// extras read, for the caller to keep (so the compiler keeps the loads).
func (ft *FrozenTable) fetchAhead(i int) taskletFlags {
	n := len(ft.order)
	if a, b := min(i+2*frozenAhead, n), min(i+3*frozenAhead, n); a < b {
		prefetchRing(ft.order[a:b], 0, uint32(b-a), ^uint32(0), false) // a mask of all ones: no wrap
	}
	var sum taskletFlags
	for _, t := range ft.order[min(i+frozenAhead, n):min(i+2*frozenAhead, n)] {
		sum += taskletFlags(len(t.x.callers)) // independent loads: their misses overlap
	}
	return sum
}

// recordSoft appends soft tasklet t's row (and its value slot) to the table, as Saved
// gives it, with room for its frames.
func (ft *FrozenTable) recordSoft(s *Scheduler, t *Tasklet) {
	tb := &ft.Table
	row := TaskletRow{ID: t.ID(), State: t.state, Flags: TaskletFlags(t.flags^flagFresh) & savedFlags}
	x := t.x
	own := x != &s.simple && x.own // the shared extra is s's own: no load from elsewhere
	if t.frame != nil {
		row.FrameCount = 1
		if own {
			row.FrameCount += uint32(len(x.callers))
		}
	}
	switch t.state {
	case StateBlocked:
		row.Dir, row.Channel = t.dir, s.chans[t.waitRef].id
		if own {
			row.Wake = x.deadline
		}
	case StateSleeping:
		row.Wake = s.wakeTick(t)
	}
	if t.flags&flagBomb != 0 {
		if err := t.tempval.(*bomb).err; err != nil {
			tb.Values = append(tb.Values, TaskletValue{Index: len(tb.Tasklets), Err: err})
		}
	} else if t.tempval != nil {
		tb.Values = append(tb.Values, TaskletValue{Index: len(tb.Tasklets), TempVal: t.tempval})
	}
	row.FrameStart = uint32(len(tb.Frames))
	if n := len(tb.Frames) + int(row.FrameCount); n <= cap(tb.Frames) {
		tb.Frames = tb.Frames[:n]
		clear(tb.Frames[row.FrameStart:]) // cleared by the last table's user, but cheaply made sure
	} else {
		tb.Frames = append(tb.Frames, make([]FrameState, row.FrameCount)...)
	}
	tb.Tasklets = append(tb.Tasklets, row)
	ft.Tasklets = append(ft.Tasklets, t)
}

// CopyFrames records row i's frames into the table, each copied by cp (from the bottom
// frame up). Call it once per row, before the row's tasklet is thawed (from the Freezer's
// Thaw, or on another goroutine that knows the tasklet is not yet thawed, with the Thaw
// waiting for it): it reads the tasklet's frames, which only its own steps change, and
// nothing its scheduler changes meanwhile. Cost: one cp call per frame.
func (ft *FrozenTable) CopyFrames(i int, cp func(Frame) Frame) {
	row := &ft.Table.Tasklets[i]
	fs := ft.Table.Frames[row.FrameStart : row.FrameStart+row.FrameCount]
	t := ft.Tasklets[i]
	if len(fs) == 0 {
		return
	}
	if len(fs) > 1 {
		for j, r := range t.x.callers {
			fs[j] = FrameState{Frame: cp(r.f), PC: r.pc}
		}
	}
	fs[len(fs)-1] = FrameState{Frame: cp(t.frame), PC: t.pc}
}
