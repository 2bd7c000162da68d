package sim

import (
	"errors"
	"fmt"
)

// Image is a scheduler's whole state as plain data: what persist saves and loads. Tasklets
// and channels refer to each other by id. Order is meaningful and deterministic (see Each):
// saving, loading and saving again gives an equal Image.
type Image struct {
	Tick     uint64
	NextID   ID     // the id the next new tasklet gets
	NextChan ChanID // the channel table's size: the next new slot (ChanID.Slot)
	// FreeChans is the channel table's free list (Scheduler.FreeChans): the id each dropped
	// slot issues next, first to be reused first. A slot below NextChan with no channel
	// and not listed is retired.
	FreeChans []ChanID
	Stats     Stats
	Tasklets  []TaskletState // every alive tasklet but main, in Each order
	Frames    []FrameState   // all frames; a tasklet owns Frames[FrameStart:FrameStart+FrameCount]
	Channels  []ChannelState // by id
	Timers    []ID           // every timer entry in wake order: sleepers and receive deadlines
}

// TaskletFlags are the saved flags of a tasklet.
type TaskletFlags uint8

const (
	FlagStarted    TaskletFlags = TaskletFlags(flagFresh) // stored inverted, as flagFresh
	FlagAtomic     TaskletFlags = TaskletFlags(flagAtomic)
	FlagBlockTrap  TaskletFlags = TaskletFlags(flagBlockTrap)
	FlagPendingIRQ TaskletFlags = TaskletFlags(flagPendingIRQ)
	FlagNotOK      TaskletFlags = TaskletFlags(flagNotOK)
	FlagIter       TaskletFlags = TaskletFlags(flagIter)

	savedFlags = FlagStarted | FlagAtomic | FlagBlockTrap | FlagPendingIRQ | FlagNotOK | FlagIter
)

// TaskletState is one saved soft tasklet.
type TaskletState struct {
	ID         ID
	State      State // StateRunnable, StateBlocked, StateSleeping or StatePaused
	Flags      TaskletFlags
	Dir        int8   // blocked: +1 sending, -1 receiving
	Channel    ChanID // blocked: the channel
	Wake       uint64 // sleeping: wake tick; blocked: receive deadline or 0
	TempVal    any    // the value slot (nil when Err is set)
	Err        error  // an error pending at the resume point (Kill, Throw, SendError)
	FrameStart uint32
	FrameCount uint32
}

// TaskletRow is a TaskletState without its value slot and pending error: a row of an
// ImageTable, with no pointer for the garbage collector to scan.
type TaskletRow struct {
	ID         ID
	State      State
	Flags      TaskletFlags
	Dir        int8
	Channel    ChanID
	Wake       uint64
	FrameStart uint32
	FrameCount uint32
}

// TaskletValue is the value slot or pending error of the tasklet at Tasklets[Index] of an
// ImageTable.
type TaskletValue struct {
	Index   int
	TempVal any
	Err     error
}

// ImageTable is an Image with the few value slots and pending errors set apart from the
// tasklet table: what a decoder of a large snapshot builds for RestoreTable, at half the
// memory of an Image's tasklets and without two interfaces per tasklet for the garbage
// collector. Its fields mean what the Image's do.
type ImageTable struct {
	Tick      uint64
	NextID    ID
	NextChan  ChanID
	FreeChans []ChanID
	Stats     Stats
	Tasklets  []TaskletRow
	Values    []TaskletValue // by increasing Index, at most one per tasklet
	Frames    []FrameState
	Channels  []ChannelState
	Timers    []ID
}

// table returns img as an ImageTable.
func (img *Image) table() *ImageTable {
	tb := &ImageTable{Tick: img.Tick, NextID: img.NextID, NextChan: img.NextChan, FreeChans: img.FreeChans, Stats: img.Stats,
		Frames: img.Frames, Channels: img.Channels, Timers: img.Timers}
	tb.Tasklets = make([]TaskletRow, len(img.Tasklets))
	for i := range img.Tasklets {
		ts := &img.Tasklets[i]
		tb.Tasklets[i] = TaskletRow{ID: ts.ID, State: ts.State, Flags: ts.Flags, Dir: ts.Dir, Channel: ts.Channel,
			Wake: ts.Wake, FrameStart: ts.FrameStart, FrameCount: ts.FrameCount}
		if ts.TempVal != nil || ts.Err != nil {
			tb.Values = append(tb.Values, TaskletValue{Index: i, TempVal: ts.TempVal, Err: ts.Err})
		}
	}
	return tb
}

// FrameState is one saved frame with its resume point.
type FrameState struct {
	Frame Frame
	PC    PC
}

// ChannelState is one saved channel. Its queue is the blocked tasklets that name it, in
// the order they appear in Image.Tasklets; its balance follows from their directions.
type ChannelState struct {
	ID          ChanID
	Preference  int8
	ScheduleAll bool
	Closing     bool
}

// SnapshotOptions say what to do with tasklets that cannot be saved.
type SnapshotOptions struct {
	// OmitHard leaves hard tasklets out (a blocked one is left out of its channel's queue
	// too) instead of failing; Snapshot reports their ids.
	OmitHard bool
}

// ErrSnapshotRunning: Snapshot was called while tasklets run (from a Step or a hard tasklet).
var ErrSnapshotRunning = errors.New("sim: snapshot only from the main tasklet while no tasklet runs (not from a Step or a hard tasklet)")

// Snapshot returns the scheduler's state. It must be called by the main program while no
// tasklet runs (between Run or Tick calls): the running tasklet cannot be saved. Hard
// tasklets are refused with a *StateError naming the first one, or left out (opts.OmitHard)
// and listed in omitted. The frames and values in the Image are the live ones, not copies:
// encode the State before the scheduler runs again.
func (s *Scheduler) Snapshot(opts SnapshotOptions) (st *Image, omitted []ID, err error) {
	if err := s.CanSnapshot(); err != nil {
		return nil, nil, err
	}
	st = &Image{Tick: s.now, NextID: s.nextID, NextChan: ChanID(len(s.chans)), FreeChans: s.FreeChans(), Stats: s.Stats()}
	n := s.Counts().Total() // presized: growing 1M-entry slices costs more than a walk
	st.Tasklets = make([]TaskletState, 0, n)
	st.Frames = make([]FrameState, 0, n)
	st.Channels = s.channelStates()
	s.Each(func(t *Tasklet) bool {
		switch {
		case t.kind == Main:
			return true
		case t.kind == Hard:
			if !opts.OmitHard {
				err = stateErr("save", t, ErrNotRestorable)
				return false
			}
			omitted = append(omitted, t.ID())
			return true
		}
		ts := t.Saved()
		ts.FrameStart = uint32(len(st.Frames))
		t.Frames(func(f Frame, pc PC) bool {
			st.Frames = append(st.Frames, FrameState{f, pc})
			return true
		})
		ts.FrameCount = uint32(len(st.Frames)) - ts.FrameStart
		st.Tasklets = append(st.Tasklets, ts)
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	s.EachTimer(func(id ID) bool {
		st.Timers = append(st.Timers, id)
		return true
	})
	return st, omitted, nil
}

// CanSnapshot reports why Snapshot would fail now, or nil: it is called from a Step or a
// hard tasklet, or a watchdog is waiting.
func (s *Scheduler) CanSnapshot() error {
	if s.inLoop || s.current != s.main {
		return ErrSnapshotRunning
	}
	if len(s.watchdogs) > 0 {
		w := s.watchdogs[len(s.watchdogs)-1]
		return stateErr("save", w, errors.New("sim: it is a watchdog waiting in Watch; save after it returns"))
	}
	return nil
}

// Saved returns what Snapshot records for soft tasklet t, with FrameStart 0 and FrameCount
// its depth. With CanSnapshot, Each, Frames and EachTimer it lets an encoder stream a large
// scheduler without building an Image (which costs more than the walk at 1M tasklets).
func (t *Tasklet) Saved() TaskletState {
	ts := TaskletState{ID: t.ID(), State: t.state, Flags: TaskletFlags(t.flags^flagFresh) & savedFlags, FrameCount: uint32(t.Depth())}
	if t.kind == Soft && t.Started() { // flagFresh may be borrowed by Freeze (capture.go)
		ts.Flags |= FlagStarted
	}
	if t.flags&flagBomb != 0 {
		ts.Err = t.tempval.(*bomb).err
	} else {
		ts.TempVal = t.tempval
	}
	switch t.state {
	case StateBlocked:
		ts.Dir, ts.Channel = t.dir, t.BlockedOn()
		if t.x.own {
			ts.Wake = t.x.deadline
		}
	case StateSleeping:
		ts.Wake = t.x.s.wakeTick(t)
	}
	return ts
}

// NextIDs returns the id the next new tasklet will get and the channel table's size, the
// next new channel slot (Image.NextID and Image.NextChan).
func (s *Scheduler) NextIDs() (ID, ChanID) { return s.nextID, ChanID(len(s.chans)) }

// EachTimer calls f with the id of every soft tasklet's timer entry in wake order (ticks,
// then the order the entries were made): sleepers and receive deadlines, as Image.Timers.
func (s *Scheduler) EachTimer(f func(ID) bool) {
	s.timers.each(func(t *Tasklet, _ uint64) bool {
		if t.kind == Soft {
			return f(t.ID())
		}
		return true
	})
}

// RestoreOptions say how restored tasklets come back.
type RestoreOptions struct {
	// Paused brings runnable and sleeping tasklets back paused, as Stackless's unpickling
	// does (Insert them to resume); blocked ones stay blocked on their channels. By default
	// everything resumes exactly where it was.
	Paused bool
}

// A RestoreError reports an Image that cannot be restored; nothing was changed.
type RestoreError struct {
	Tasklet ID     // 0 if not about a tasklet
	Channel ChanID // 0 if not about a channel
	Problem string
}

func (e *RestoreError) Error() string {
	switch {
	case e.Tasklet != 0:
		return fmt.Sprintf("sim: restore: tasklet %d: %s", e.Tasklet, e.Problem)
	case e.Channel != 0:
		return fmt.Sprintf("sim: restore: channel %d: %s", e.Channel, e.Problem)
	}
	return "sim: restore: " + e.Problem
}

// Restore loads st into s, which must be new (no tasklets but main, no channels). It checks
// all of st first and changes nothing if it is inconsistent (duplicate or dangling ids,
// frames out of range, mixed directions in a queue, wake ticks in the past, ...).
func (s *Scheduler) Restore(st *Image, opts RestoreOptions) error {
	if st == nil {
		return &RestoreError{Problem: "nil image"}
	}
	return s.RestoreTable(st.table(), opts)
}

// RestoreTable is Restore from an ImageTable.
func (s *Scheduler) RestoreTable(st *ImageTable, opts RestoreOptions) error {
	index, err := s.checkRestore(st)
	if err != nil {
		return err
	}
	s.now = st.Tick
	s.nextID = st.NextID
	s.stats, s.carried = st.Stats, st.Stats.Steps // Stats adds no fast-path switches yet
	s.chans = make([]*Channel, st.NextChan)
	for i := range s.chans {
		s.chans[i] = noChannel
	}
	s.forgetLastChan()
	for _, cs := range st.Channels {
		ch := &Channel{s: s, id: cs.ID, preference: cs.Preference, scheduleAll: cs.ScheduleAll, closing: cs.Closing}
		ch.setSpecial()
		s.chans[cs.ID.Slot()] = ch
	}
	s.freeChans = idFIFO{buf: append([]ChanID(nil), st.FreeChans...)}
	slab := make([]Tasklet, len(st.Tasklets))
	// One allocation each for the ring, the paused set, caller frames and extras, sized by a
	// first pass: growing them tasklet by tasklet costs more than the pass (1M-tasklet loads).
	runnable, paused, callers, deep := 0, 0, 0, 0
	for i := range st.Tasklets {
		ts := &st.Tasklets[i]
		switch {
		case ts.State == StateBlocked:
		case opts.Paused || ts.State == StatePaused:
			paused++
		case ts.State == StateRunnable:
			runnable++
		}
		if ts.FrameCount > 1 {
			callers += int(ts.FrameCount) - 1
			deep++
		}
	}
	s.ring.presize(s.ring.len() + runnable)
	s.paused.presize(paused)
	callerSlab := make([]frameRec, callers)
	extraSlab := make([]extra, deep)
	vk := 0
	s.alive += len(st.Tasklets)
	for i := range st.Tasklets {
		ts := &st.Tasklets[i]
		t := &slab[i]
		t.x, t.kind = &s.simple, Soft
		t.setID(ts.ID)
		t.flags = taskletFlags(ts.Flags) ^ flagFresh
		if vk < len(st.Values) && st.Values[vk].Index == i {
			v := &st.Values[vk]
			vk++
			t.tempval = v.TempVal
			if v.Err != nil {
				t.setBomb(v.Err)
			}
		}
		fr := st.Frames[ts.FrameStart : ts.FrameStart+ts.FrameCount]
		top := fr[len(fr)-1]
		t.frame, t.pc = top.Frame, top.PC
		if n := len(fr) - 1; n > 0 {
			x := &extraSlab[0]
			extraSlab = extraSlab[1:]
			x.s, x.own, x.wait = s, true, waitOther
			t.x = x
			x.callers = callerSlab[:n:n] // full slice: a Call appends to a copy
			callerSlab = callerSlab[n:]
			for j, f := range fr[:n] {
				x.callers[j] = frameRec{f.Frame, f.PC}
			}
		}
		switch {
		case ts.State == StateBlocked:
			ch := s.chans[ts.Channel.Slot()]
			ch.queue.pushBack(t)
			ch.biased += int32(ts.Dir)
			t.state, t.dir, t.waitRef = StateBlocked, ts.Dir, ts.Channel.Slot()
		case opts.Paused || ts.State == StatePaused:
			s.pause(t)
		case ts.State == StateRunnable:
			s.makeRunnable(t)
		}
	}
	for _, id := range st.Timers {
		i, _ := index.get(id)
		t, ts := &slab[i], &st.Tasklets[i]
		switch {
		case ts.State == StateBlocked:
			s.addDeadline(t, ts.Wake)
		case !opts.Paused:
			s.timers.addSleep(s, t, ts.Wake)
		}
	}
	return nil
}

// checkRestore validates st and returns the index of each tasklet id in st.Tasklets.
func (s *Scheduler) checkRestore(st *ImageTable) (*idIndex, error) {
	bad := func(id ID, format string, a ...any) error {
		return &RestoreError{Tasklet: id, Problem: fmt.Sprintf(format, a...)}
	}
	if st == nil {
		return nil, &RestoreError{Problem: "nil image"}
	}
	if s.nextID != 2 || len(s.chans) != 1 || s.ring.len() != 1 || s.paused.len() != 0 || s.inLoop || s.current != s.main {
		return nil, &RestoreError{Problem: "the scheduler is not new (restore into a fresh NewScheduler)"}
	}
	if st.NextID < 2 || st.NextID > MaxID+1 || st.NextChan < 1 || st.NextChan > MaxChanSlot+1 {
		return nil, &RestoreError{Problem: fmt.Sprintf("next ids %d/%d out of range", st.NextID, st.NextChan)}
	}
	chans, err := checkChanTable(st)
	if err != nil {
		return nil, err
	}
	for k, v := range st.Values {
		if v.Index < 0 || v.Index >= len(st.Tasklets) || (k > 0 && v.Index <= st.Values[k-1].Index) {
			return nil, &RestoreError{Problem: fmt.Sprintf("value %d: tasklet index %d out of order or range", k, v.Index)}
		}
	}
	seen := newIDIndex(len(st.Tasklets), st.NextID)
	dirs := make([]int8, st.NextChan) // by slot, sized like chans above
	timed, vk := 0, 0
	for i := range st.Tasklets {
		ts := &st.Tasklets[i]
		id := ts.ID
		if id < 2 || id >= st.NextID {
			return nil, bad(id, "id out of range [2, %d)", st.NextID)
		}
		if uint32(id) == 0 {
			return nil, bad(id, "an id whose low 32 bits are zero is never issued")
		}
		if _, dup := seen.get(id); dup {
			return nil, bad(id, "duplicate tasklet")
		}
		seen.put(id, i)
		if ts.Flags&^savedFlags != 0 {
			return nil, bad(id, "unknown flags %#x", uint8(ts.Flags&^savedFlags))
		}
		if ts.FrameCount == 0 || uint64(ts.FrameStart)+uint64(ts.FrameCount) > uint64(len(st.Frames)) {
			return nil, bad(id, "frames [%d, +%d) out of range (%d frames)", ts.FrameStart, ts.FrameCount, len(st.Frames))
		}
		for j := ts.FrameStart; j < ts.FrameStart+ts.FrameCount; j++ {
			if st.Frames[j].Frame == nil {
				return nil, bad(id, "frame %d is nil", j-ts.FrameStart)
			}
		}
		if vk < len(st.Values) && st.Values[vk].Index == i {
			if v := &st.Values[vk]; v.Err != nil && v.TempVal != nil {
				return nil, bad(id, "both a value and a pending error")
			}
			vk++
		}
		switch ts.State {
		case StateRunnable, StatePaused:
			if ts.Wake != 0 || ts.Channel != 0 || ts.Dir != 0 {
				return nil, bad(id, "%s tasklet with channel or wake tick", ts.State)
			}
		case StateSleeping:
			if ts.Wake <= st.Tick {
				return nil, bad(id, "wake tick %d is not after tick %d", ts.Wake, st.Tick)
			}
			timed++
		case StateBlocked:
			if ts.Channel.Slot() == 0 || ChanID(ts.Channel.Slot()) >= st.NextChan || chans[ts.Channel.Slot()] != slotLive || !st.hasChannel(ts.Channel) {
				return nil, bad(id, "blocked on unknown channel %d", ts.Channel)
			}
			if ts.Dir != 1 && ts.Dir != -1 {
				return nil, bad(id, "blocked direction %d", ts.Dir)
			}
			if d := dirs[ts.Channel.Slot()]; d != 0 && d != ts.Dir {
				return nil, bad(id, "channel %d queues senders and receivers together", ts.Channel)
			}
			dirs[ts.Channel.Slot()] = ts.Dir
			if ts.Wake != 0 {
				if ts.Wake <= st.Tick {
					return nil, bad(id, "receive deadline %d is not after tick %d", ts.Wake, st.Tick)
				}
				if ts.Dir != -1 {
					return nil, bad(id, "a deadline on a blocked send")
				}
				timed++
			}
		default:
			return nil, bad(id, "state %s cannot be restored", ts.State)
		}
	}
	if len(st.Timers) != timed {
		return nil, &RestoreError{Problem: fmt.Sprintf("%d timer entries for %d sleeping or timed tasklets", len(st.Timers), timed)}
	}
	var last uint64
	inTimers := make([]bool, len(st.Tasklets)) // by position in st.Tasklets
	for _, id := range st.Timers {
		i, ok := seen.get(id)
		if !ok {
			return nil, bad(id, "timer entry for an unknown tasklet")
		}
		if inTimers[i] {
			return nil, bad(id, "two timer entries")
		}
		inTimers[i] = true
		ts := &st.Tasklets[i]
		if ts.Wake == 0 {
			return nil, bad(id, "timer entry for a tasklet that waits for no tick")
		}
		if ts.Wake < last {
			return nil, bad(id, "timer entries out of tick order")
		}
		last = ts.Wake
	}
	return seen, nil
}

// idIndex maps tasklet ids to their position in Image.Tasklets: a dense table when the ids
// are compact (the usual case: filling and probing a map of 1M ids costs several times
// more), else a map, so that sparse ids cannot make Restore allocate much.
type idIndex struct {
	dense []int32 // id-2 -> position+1; 0: absent
	m     map[ID]int
}

func newIDIndex(n int, next ID) *idIndex {
	if span := uint64(next) - 2; span <= 4*uint64(n)+1024 {
		return &idIndex{dense: make([]int32, span)}
	}
	return &idIndex{m: make(map[ID]int, n)}
}

// get returns the position of id; ids outside [2, next) are absent.
func (x *idIndex) get(id ID) (int, bool) {
	if x.m != nil {
		i, ok := x.m[id]
		return i, ok
	}
	if k := uint64(id) - 2; k < uint64(len(x.dense)) && x.dense[k] != 0 {
		return int(x.dense[k]) - 1, true
	}
	return 0, false
}

// put records the position of id, which must be in [2, next).
func (x *idIndex) put(id ID, i int) {
	if x.m != nil {
		x.m[id] = i
		return
	}
	x.dense[id-2] = int32(i + 1)
}
