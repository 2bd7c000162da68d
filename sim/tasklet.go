package sim

import "fmt"

// ID identifies a tasklet within its scheduler. IDs are counters, never reused, saved with
// the world; the main tasklet is 1. Zero means "no tasklet". They are 48-bit numbers (at
// most MaxID): a world spawning a million tasklets a second uses them up in nine years, so
// a stale id kept anywhere never names a newer tasklet. Spawning past MaxID panics. Ids
// whose low 32 bits are zero are skipped (an Op carries those bits; zero marks the zero
// Await).
type ID uint64

// MaxID is the largest tasklet id.
const MaxID ID = 1<<48 - 1

// Kind says how a tasklet keeps its execution state.
type Kind uint8

const (
	// Soft tasklets keep their state in a stack of frames: restorable, savable.
	Soft Kind = iota
	// Hard tasklets are Go functions run as coroutines: not restorable.
	Hard
	// Main is the program's own flow of control (Scheduler.Main).
	Main
)

func (k Kind) String() string {
	switch k {
	case Soft:
		return "soft"
	case Hard:
		return "hard"
	case Main:
		return "main"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// State is where a tasklet is in its life cycle. The Stackless attributes (Alive, Scheduled,
// Blocked, Paused) are derived from it.
type State uint8

const (
	StateNew      State = iota // unbound: no frame, not alive
	StatePaused                // alive, in no queue (after Bind, Remove, ScheduleRemove, a load)
	StateRunnable              // in the runnable ring (the current tasklet is too)
	StateBlocked               // in a channel's wait queue
	StateSleeping              // parked until a later tick (Sleep, NextTick, budget pre-emption)
	StateWatching              // a watchdog: inside Run or Tick, waiting for the ring to empty
	StateDead                  // finished, killed or failed
)

// stateNames is the one table of the states' names: String, ParseState and the tools
// that print or read states (persist's view, the CLI) use it.
var stateNames = [...]string{"new", "paused", "runnable", "blocked", "sleeping", "watching", "dead"}

// String returns the state's name: "new", "paused", "runnable", "blocked", "sleeping",
// "watching" or "dead" (ParseState reads it back), or "State(n)" for an unknown value.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// ParseState returns the state named name (as String writes it), or an error naming it.
func ParseState(name string) (State, error) {
	for i, n := range stateNames {
		if n == name {
			return State(i), nil
		}
	}
	return 0, fmt.Errorf("sim: unknown tasklet state %q (want one of %v)", name, stateNames)
}

// A StateFilter is a set of states, for walks that select tasklets by state (Tasklets in
// world, tools). The zero StateFilter selects nothing; AllStates selects every tasklet.
type StateFilter uint16

// AllStates selects tasklets in any state.
const AllStates StateFilter = 1<<len(stateNames) - 1

// States returns the filter that selects tasklets in any of sts.
func States(sts ...State) StateFilter {
	var f StateFilter
	for _, st := range sts {
		if int(st) < len(stateNames) {
			f |= 1 << st
		}
	}
	return f
}

// Has reports whether f selects tasklets in state st.
func (f StateFilter) Has(st State) bool { return int(st) < len(stateNames) && f&(1<<st) != 0 }

type taskletFlags uint8

const (
	// flagFresh is runSoft's "not a plain step": set on a soft tasklet until its top frame
	// runs its first step, and always on the main and hard tasklets, so that runSoft's one
	// test of flagsGeneral before every step catches them all (see Started). It is
	// FlagStarted inverted.
	flagFresh      taskletFlags = 1 << iota
	flagBomb                    // tempval holds a *bomb to raise at the resume point
	flagAtomic                  // not pre-empted by Run timeouts
	flagBlockTrap               // blocking raises ErrBlockTrap
	flagPendingIRQ              // a timeout came due while atomic
	flagNotOK                   // the last RecvFor/Next found nothing (ok == false)
	flagTicked                  // steps counted in this tick (listed in Scheduler.ticked)
	flagIter                    // blocked in Next: ErrStopIteration ends the iteration

	// flagsGeneral are the flags that send a soft tasklet's next step and operation to the
	// general path (firstOrCatch, carryOut) instead of runSoft's fast paths. NotOK and Iter
	// are cleared by the next channel operation; a step can clear them (TryRecv) but not
	// set them. A step that sets its own block trap clears Scheduler.plain instead.
	flagsGeneral = flagFresh | flagBomb | flagBlockTrap | flagNotOK | flagIter
)

// A Tasklet is a lightweight thread of the scheduler. Soft tasklets hold a stack of frames;
// hard ones a coroutine. A *Tasklet stays valid after the tasklet dies (it reports dead).
// Tasklets are not safe for concurrent use: all calls happen on the scheduler's thread of
// control (the main program, a Step, or a hard tasklet while it runs).
//
// The layout is kept at 64 bytes, one cache line (allocated in page-aligned slabs): top
// frame and its resume point held directly; the scheduler, caller frames and rare state
// behind one pointer.
type Tasklet struct {
	frame   Frame  // top frame (soft); nil when unbound, dead or hard
	tempval any    // the value slot: values in transit, Schedule values, bombs
	x       *extra // the scheduler, and caller frames, hard coroutine, timeouts: never nil
	id      uint32 // the ID's low 32 bits (ID)
	pc      PC     // resume point of the top frame
	pos     uint32 // position in the queue that holds the tasklet
	waitRef uint32 // what it waits for: blocked, its channel's slot (ChanID.Slot); sleeping, the wake tick's low 32 bits (wakeTick)
	idHigh  uint16 // the ID's bits 32 to 47
	steps   uint16 // steps run in the current tick (tick budget, at most MaxTickBudget)
	state   State  //
	dir     int8   // blocked: +1 sending, -1 receiving; next to state: one store sets both
	flags   taskletFlags
	kind    Kind
}

// T is the name step methods use for the running tasklet: Step(t *sim.T) sim.Op.
type T = Tasklet

// extra holds the tasklet's scheduler and what most soft tasklets never need. Tasklets
// that need nothing more share their scheduler's simple extra, which stays all zero but
// for s; ext gives a tasklet its own before anything is written to it.
type extra struct {
	s         *Scheduler
	wait      func(Await) bool // performs an Await for Wait: waitMain, a hard tasklet's, or waitOther
	werr      error            // what Wait returns: set by wait, or by the loop resuming a hard tasklet
	own       bool             // false for the scheduler's shared simple extra
	callers   []frameRec       // caller frames, bottom first; the top frame is Tasklet.frame
	child     Frame            // the frame that returned last (Child)
	hard      *coroutine       // hard tasklets
	deadline  uint64           // RecvFor: tick at which the receive times out (0: none)
	timerPos  int              // RecvFor: index in the deadline's timer bucket
	watch     *watchdog        // while the tasklet is a watchdog: &watchOpts
	watchOpts watchdog
}

type frameRec struct {
	f  Frame
	pc PC
}

type bomb struct{ err error }

func (t *Tasklet) ext() *extra {
	if !t.x.own {
		t.x = &extra{s: t.x.s, own: true, wait: t.x.wait}
	}
	return t.x
}

// ID returns the tasklet's id.
func (t *Tasklet) ID() ID { return ID(t.idHigh)<<32 | ID(t.id) }

// setID gives t the id id (at most MaxID).
func (t *Tasklet) setID(id ID) { t.id, t.idHigh = uint32(id), uint16(id>>32) }

// Kind returns Soft, Hard or Main.
func (t *Tasklet) Kind() Kind { return t.kind }

// State returns the life-cycle state.
func (t *Tasklet) State() State { return t.state }

// Scheduler returns the scheduler the tasklet belongs to.
func (t *Tasklet) Scheduler() *Scheduler {
	if t.x == nil { // the zero Tasklet, which no scheduler made
		return nil
	}
	return t.x.s
}

// Alive reports whether the tasklet is bound and has not finished.
func (t *Tasklet) Alive() bool { return t.state != StateNew && t.state != StateDead }

// Scheduled reports whether the tasklet will run without anybody inserting it: runnable,
// blocked on a channel or sleeping until a tick.
func (t *Tasklet) Scheduled() bool {
	return t.state == StateRunnable || t.state == StateBlocked || t.state == StateSleeping
}

// Blocked reports whether the tasklet waits in a channel queue.
func (t *Tasklet) Blocked() bool { return t.state == StateBlocked }

// BlockedDir is +1 for a blocked sender, -1 for a blocked receiver, else 0.
func (t *Tasklet) BlockedDir() int {
	if t.state != StateBlocked {
		return 0
	}
	return int(t.dir)
}

// BlockedOn returns the channel a blocked tasklet waits on, or 0.
func (t *Tasklet) BlockedOn() ChanID {
	if t.state != StateBlocked {
		return 0
	}
	return t.x.s.chans[t.waitRef].id
}

// Paused reports whether the tasklet is alive but in no queue.
func (t *Tasklet) Paused() bool { return t.state == StatePaused || t.state == StateWatching }

// Restorable reports whether the tasklet's state can be saved and resumed: true for soft
// tasklets (and for unbound or dead ones), false for hard tasklets that are alive.
func (t *Tasklet) Restorable() bool { return t.kind == Soft || !t.Alive() }

// IsCurrent reports whether the tasklet is the one running.
func (t *Tasklet) IsCurrent() bool { return t.x != nil && t.x.s.current == t }

// IsMain reports whether this is the main tasklet.
func (t *Tasklet) IsMain() bool { return t.kind == Main }

// Started reports whether the tasklet's code has begun to run.
func (t *Tasklet) Started() bool {
	switch t.kind {
	case Soft:
		return t.flags&flagFresh == 0 || t.x.s.frozenStarted(t)
	case Main:
		return true
	}
	return t.x.hard != nil && t.x.hard.started
}

// Atomic reports the atomic flag (see SetAtomic).
func (t *Tasklet) Atomic() bool { return t.flags&flagAtomic != 0 }

// SetAtomic sets the atomic flag and returns the old value. An atomic tasklet is not
// pre-empted by a Run timeout; a timeout that came due meanwhile fires at the first step
// boundary after the flag is cleared. The tick budget ignores the flag: it protects the world.
func (t *Tasklet) SetAtomic(on bool) bool {
	old := t.flags&flagAtomic != 0
	t.setFlag(flagAtomic, on)
	return old
}

// BlockTrap reports the block-trap flag.
func (t *Tasklet) BlockTrap() bool { return t.flags&flagBlockTrap != 0 }

// SetBlockTrap sets the block-trap flag: while set, any channel operation that would block
// fails with ErrBlockTrap (non-blocking ones still work).
func (t *Tasklet) SetBlockTrap(on bool) {
	t.setFlag(flagBlockTrap, on)
	if s := t.x.s; on && t.kind == Soft && s.current == t {
		// t may be stepping, past runSoft's flag test: keep this step's operation off the
		// fast paths (carryOut sets plain again).
		s.plain = false
	}
}

func (t *Tasklet) setFlag(f taskletFlags, on bool) {
	if on {
		t.flags |= f
	} else {
		t.flags &^= f
	}
}

// TempVal returns the value slot: the value a blocked sender offers, the value a resumed
// receiver got, what ScheduleRemove left. A pending error (a bomb) reads as nil.
func (t *Tasklet) TempVal() any {
	if t.flags&flagBomb != 0 {
		return nil
	}
	return t.tempval
}

// PendingError returns the error that will be raised when the tasklet resumes, or nil.
func (t *Tasklet) PendingError() error {
	if t.flags&flagBomb != 0 {
		return t.tempval.(*bomb).err
	}
	return nil
}

// SetTempVal sets the value slot; the tasklet sees it as the result of its pending
// Schedule/ScheduleRemove (the "generator" idiom: t.SetTempVal(x); t.Insert()).
func (t *Tasklet) SetTempVal(v any) {
	t.tempval = v
	t.flags &^= flagBomb
}

// Value returns the tempval as the running tasklet sees it after a resumption: the value
// returned by a child frame, received, or set with SetTempVal.
func (t *Tasklet) Value() any { return t.TempVal() }

// At returns the resume point of the top frame.
func (t *Tasklet) At() PC { return t.pc }

// Depth returns the number of frames on the tasklet's stack.
func (t *Tasklet) Depth() int {
	if t.frame == nil {
		return 0
	}
	return len(t.x.callers) + 1
}

// Frames calls f for each frame from the bottom (the tasklet's first frame) to the top,
// with its resume point, until f returns false. The frames are live: read, don't modify.
func (t *Tasklet) Frames(f func(fr Frame, pc PC) bool) {
	if t.frame == nil {
		return
	}
	for _, r := range t.x.callers {
		if !f(r.f, r.pc) {
			return
		}
	}
	f(t.frame, t.pc)
}

// Top returns the top frame, or nil.
func (t *Tasklet) Top() Frame { return t.frame }

func (t *Tasklet) String() string {
	if t == nil {
		return "<nil tasklet>"
	}
	return fmt.Sprintf("tasklet %d (%s, %s)", t.ID(), t.kind, t.state)
}

// Bind gives a new or paused soft tasklet its first frame: it becomes alive but paused
// (Insert makes it runnable). Bind(nil) unbinds: frames are dropped without running any
// Catch, the tasklet becomes new. Stackless: tasklet.bind.
func (t *Tasklet) Bind(f Frame) error {
	if err := t.checkBind(); err != nil {
		return err
	}
	if t.kind == Hard && t.Alive() {
		return stateErr("bind", t, ErrHasCState)
	}
	s := t.x.s
	if t.Alive() {
		s.alive-- // paused: counted again below if f binds it
	}
	t.dropFrames()
	t.kind = Soft
	if f == nil {
		s.setState(t, StateNew)
		return nil
	}
	t.frame, t.pc = f, 0
	s.alive++
	s.setState(t, StatePaused)
	return nil
}

func (t *Tasklet) checkBind() error {
	switch { // Stackless's order (PyTasklet_BindEx): current first, then main
	case t.x.s.current == t:
		return stateErr("bind", t, ErrBindCurrent)
	case t.kind == Main:
		return stateErr("bind", t, ErrBindMain)
	case t.Scheduled():
		return stateErr("bind", t, ErrBindScheduled)
	case t.state == StateWatching:
		return stateErr("bind", t, ErrBindScheduled)
	}
	return nil
}

// Setup binds f and inserts the tasklet into the ring (Stackless: tasklet.setup / calling
// a tasklet). It fails if the tasklet is alive or f is nil.
func (t *Tasklet) Setup(f Frame) error {
	if t.Alive() {
		return stateErr("setup", t, ErrAlive)
	}
	if f == nil {
		return stateErr("setup", t, ErrNotBound)
	}
	if err := t.Bind(f); err != nil {
		return err
	}
	return t.Insert()
}

// Insert appends a paused tasklet to the end of the ring (just before the current tasklet).
// It is a no-op for a tasklet that is already scheduled.
func (t *Tasklet) Insert() error {
	switch t.state {
	case StateBlocked:
		return stateErr("insert", t, ErrRunBlocked)
	case StateNew, StateDead:
		return stateErr("insert", t, ErrRunDead)
	case StateWatching:
		return stateErr("insert", t, ErrBindScheduled)
	case StatePaused:
		t.x.s.unpause(t)
		t.x.s.makeRunnable(t)
	}
	return nil
}

// Remove takes a runnable or sleeping tasklet out of its queue: it becomes paused.
// It is a no-op for a tasklet that is not scheduled.
func (t *Tasklet) Remove() error {
	switch {
	case t.state == StateBlocked:
		return stateErr("remove", t, ErrRemoveBlocked)
	case t.x.s.current == t:
		return stateErr("remove", t, ErrRemoveCurrent)
	case t.state == StateRunnable:
		t.x.s.ring.remove(t)
		t.x.s.pause(t)
	case t.state == StateSleeping:
		t.x.s.timers.cancelSleep(t.x.s, t)
		t.x.s.pause(t)
	}
	return nil
}

// KillPending raises ErrTaskletExit in t the next time it runs, without switching to it:
// a blocked or paused t is made runnable at the end of the ring. See Kill.
func (t *Tasklet) KillPending() error { return t.ThrowPending(ErrTaskletExit) }

// ThrowPending arranges for err to be raised in t when it next runs, without switching:
// t is unblocked if blocked and inserted at the end of the ring if not runnable. Thrown to
// the running tasklet itself, err is raised right here: ThrowPending returns it.
func (t *Tasklet) ThrowPending(err error) error {
	if err := t.checkThrow(err); err != nil || !t.Alive() {
		return err
	}
	if t.x.s.current == t {
		return err
	}
	t.x.s.prepareThrow(t, err)
	return nil
}

func (t *Tasklet) checkThrow(err error) error {
	if err == nil {
		return stateErr("throw", t, ErrNilError)
	}
	if !t.Alive() {
		if isExit(err) {
			return nil // killing a dead tasklet is a no-op
		}
		return stateErr("throw", t, ErrThrowDead)
	}
	return nil
}

func isExit(err error) bool { return err == ErrTaskletExit }

func (t *Tasklet) dropFrames() {
	if s := t.x.s; s.freezer != nil && t.kind == Soft {
		s.thaw(t)
	}
	t.frame, t.pc = nil, 0
	t.tempval = nil
	t.flags = t.flags&^(flagBomb|flagNotOK) | flagFresh
	if t.x.own {
		if t.x.hard != nil {
			t.x.hard.stop()
		}
		t.x = &t.x.s.simple
	}
}

// clearValue empties t's value slot, which holds a pending error (a bomb) too. It writes
// only a slot that holds something: a store of nil takes a write-barrier check.
func (t *Tasklet) clearValue() {
	if t.tempval != nil {
		t.tempval, t.flags = nil, t.flags&^flagBomb
	}
}
