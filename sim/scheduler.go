package sim

import (
	"errors"
	"fmt"
)

// Options configure a Scheduler. The zero value is the documented default.
type Options struct {
	// TickBudget is the number of steps a soft tasklet may run in one tick, whether they
	// yield, block, hand values over or loop; for a hard tasklet, each time it is resumed
	// counts as a step, and so does each Await after which it goes on without a switch (a
	// Schedule with nothing else runnable). A tasklet that has used its budget up is
	// pre-empted instead of running again: it sleeps until the next tick (counted in
	// Stats.Preempted). So a tick always ends, however its tasklets loop, unless a hard
	// tasklet loops without calling Wait at all. 0: no limit. Budgets above
	// MaxTickBudget act as MaxTickBudget.
	TickBudget uint32
}

// MaxTickBudget is the largest effective Options.TickBudget: a tasklet counts its steps in
// 16 bits, so that its 64 bytes also hold a 48-bit ID.
const MaxTickBudget = 1<<16 - 1

// RunOptions configure a watchdog (Scheduler.RunWith, Tasklet.Watch), as the arguments of
// Stackless's run(timeout, soft, totaltimeout). Only the outermost watchdog with a Timeout
// acts on it; inner ones behave as if Timeout were 0.
type RunOptions struct {
	// Timeout interrupts a tasklet that has run Timeout steps since the last switch
	// (or, with TotalTimeout, since the watchdog started). 0: never.
	Timeout int64
	// TotalTimeout makes Timeout bound the whole Run instead of each turn.
	TotalTimeout bool
	// Soft makes a timeout interrupt nobody: at the next switch the watchdog is resumed
	// (with a nil victim) and every tasklet stays in the ring.
	Soft bool
}

// Stats counts what the scheduler did since it was created (or loaded).
type Stats struct {
	Steps     uint64 // soft steps run
	Switches  uint64 // changes of the current tasklet
	Preempted uint64 // tasklets moved to the next tick by the tick budget
	Spawned   uint64 // tasklets created
}

// ScheduleCallback is called on every switch with the tasklet that stops and the one that
// starts (prev is a dying tasklet when one ends). It must not change the scheduler's state.
type ScheduleCallback func(prev, next *Tasklet)

// ChannelCallback is called before every send or receive with the acting tasklet, the
// direction and whether the operation will block.
type ChannelCallback func(ch *Channel, t *Tasklet, sending, willBlock bool)

// ErrorHandler receives errors that end tasklets (other than ErrTaskletExit). Returning nil
// swallows the error; returning an error sends it to the innermost watchdog, as if no handler
// were installed.
type ErrorHandler func(t *Tasklet, err error) error

// A Scheduler runs tasklets in a ring, one at a time, on the caller's thread of control.
// It has no goroutines of its own (hard tasklets are coroutines it resumes) and reads no
// clock: the same calls in the same order give the same result, every time.
type Scheduler struct {
	ring      queue      // runnable tasklets; the front is current when current is runnable
	paused    queue      // alive tasklets in no other queue (savable state)
	current   *Tasklet   // the running tasklet: the ring's front while it is runnable
	main      *Tasklet   // the program's own flow of control (kind Main, id 1)
	watchdogs []*Tasklet // innermost last
	timed     *Tasklet   // the outermost watchdog with a timeout
	chans     []*Channel // by slot (ChanID.Slot); noChannel at 0 and after DropChannel
	freeChans idFIFO     // dropped slots to reuse, with the id each issues next
	// lastChan is chans[lastChanID], the channel of the last hand-off fast path. The next
	// one on the same channel takes it from here (fastChan), not from the table: the CPU
	// predicts the id compare and goes on without waiting for the op's channel id, which
	// comes at the end of a chain of loads through the frame (BenchmarkHandoff).
	// forgetLastChan resets it wherever a table entry changes; CheckInvariants checks it.
	lastChanID ChanID
	lastChan   *Channel
	timers     timers
	now        uint64
	nextID     ID
	slab       []Tasklet
	slabSize   int   // tasklets in the last slab
	simple     extra // the extra of every tasklet that needs none of its own: all zero but s
	opts       Options
	budget     uint16     // opts.TickBudget, at most MaxTickBudget
	stats      Stats      // Switches without runSoft's fast paths: see Stats
	carried    uint64     // soft steps carried out by carryOut; the rest switched on a fast path
	ticked     []*Tasklet // tasklets whose steps count in this tick

	turnSteps  int64 // steps since the last switch (or since the timed watchdog began)
	inLoop     bool
	closed     bool
	softIRQ    bool
	inChanCB   bool
	switchTrap int
	plain      bool // switches need no more than setting current: see updatePlain
	schedCB    ScheduleCallback
	chanCB     ChannelCallback
	errHandler ErrorHandler
	endHandler func(t *Tasklet)
	hardLive   int
	alive      int          // alive tasklets, main included: Counts derives the blocked ones
	touched    taskletFlags // sink of lookAhead's reads
	userData   any          // SetUserData
}

// maxSlab is the number of tasklets in a full slab: 1024 tasklets of 64 bytes make 64 KiB,
// a large object, which Go's allocator places at the start of its own pages with no
// header. So every tasklet fills exactly one cache line and a slab wastes nothing. The
// first slabs of a scheduler are smaller (8, 16, ... tasklets) so that small worlds stay
// small. Check with the parked-memory benchmark when Tasklet changes.
const maxSlab = 1024

// nextSlabSize returns the size of the next slab: double the last, up to maxSlab.
func (s *Scheduler) nextSlabSize() int {
	s.slabSize = min(max(2*s.slabSize, 8), maxSlab)
	return s.slabSize
}

// NewScheduler returns a scheduler whose main tasklet is the caller.
func NewScheduler(opts Options) *Scheduler {
	s := &Scheduler{nextID: 1}
	s.opts = opts
	s.SetTickBudget(opts.TickBudget)
	s.simple.s, s.simple.wait = s, waitOther
	s.chans = []*Channel{noChannel}
	s.forgetLastChan()
	s.main = s.alloc()
	s.main.ext().wait = waitMain
	s.main.kind = Main
	s.main.state = StateRunnable
	s.alive = 1
	s.ring.pushBack(s.main)
	s.current = s.main
	s.plain = true
	return s
}

// alloc returns a new tasklet with the next id, allocated from a slab so that tasklets made
// together sit together in memory.
func (s *Scheduler) alloc() *Tasklet {
	if len(s.slab) == 0 {
		s.slab = make([]Tasklet, s.nextSlabSize())
	}
	t := &s.slab[0]
	s.slab = s.slab[1:]
	if uint32(s.nextID) == 0 {
		s.nextID++ // an Op holds an id's low 32 bits, and 0 there means the zero Await
	}
	if s.nextID > MaxID {
		panic(errIDsExhausted) // beyond any world's life: see ID
	}
	t.x, t.flags = &s.simple, flagFresh
	t.setID(s.nextID)
	s.nextID++
	s.stats.Spawned++
	return t
}

// SetUserData keeps v with the scheduler for its owner (a world keeps itself here, so that
// code holding a tasklet finds its world without a global lookup: t.Scheduler().UserData()).
// The scheduler never reads v, and snapshots leave it out. Constant time, no allocation.
func (s *Scheduler) SetUserData(v any) { s.userData = v }

// UserData returns the value SetUserData kept, or nil.
func (s *Scheduler) UserData() any { return s.userData }

// Main returns the main tasklet: the program's own flow of control.
func (s *Scheduler) Main() *Tasklet { return s.main }

// Current returns the running tasklet.
func (s *Scheduler) Current() *Tasklet { return s.current }

// RunCount returns the number of runnable tasklets, the current one included
// (Stackless getruncount). A watchdog is not counted while it waits.
func (s *Scheduler) RunCount() int { return s.ring.len() }

// Now returns the current tick.
func (s *Scheduler) Now() uint64 { return s.now }

// Stats returns the scheduler's counters.
func (s *Scheduler) Stats() Stats {
	st := s.stats
	st.Switches += st.Steps - s.carried // every step on runSoft's fast paths switched
	return st
}

// Options returns the options the scheduler was made with.
func (s *Scheduler) Options() Options { return s.opts }

// SetTickBudget changes Options.TickBudget.
func (s *Scheduler) SetTickBudget(steps uint32) {
	s.opts.TickBudget = steps
	s.budget = uint16(min(steps, MaxTickBudget))
}

// NewTasklet returns a new, unbound soft tasklet (Stackless: tasklet()).
func (s *Scheduler) NewTasklet() *Tasklet { return s.alloc() }

// Spawn creates a soft tasklet whose first frame is f and appends it to the ring.
func (s *Scheduler) Spawn(f Frame) *Tasklet {
	t := s.alloc()
	if f == nil {
		return t // unbound; Setup reports the error
	}
	t.frame = f
	t.state = StateRunnable
	s.alive++
	s.ring.pushBack(t)
	return t
}

// SpawnPaused creates a soft tasklet bound to f but not scheduled (alive and paused).
func (s *Scheduler) SpawnPaused(f Frame) *Tasklet {
	t := s.alloc()
	if f != nil {
		t.frame = f
		s.alive++
		s.pause(t)
	}
	return t
}

// SetScheduleCallback installs f (nil removes it) and returns the previous callback.
func (s *Scheduler) SetScheduleCallback(f ScheduleCallback) ScheduleCallback {
	old := s.schedCB
	s.schedCB = f
	s.updatePlain()
	return old
}

// SetChannelCallback installs f (nil removes it) and returns the previous callback.
func (s *Scheduler) SetChannelCallback(f ChannelCallback) ChannelCallback {
	old := s.chanCB
	s.chanCB = f
	s.updatePlain()
	return old
}

// SetErrorHandler installs h (nil removes it) and returns the previous handler.
func (s *Scheduler) SetErrorHandler(h ErrorHandler) ErrorHandler {
	old := s.errHandler
	s.errHandler = h
	return old
}

// SetEndHandler installs h (nil removes it), which is called with every tasklet that ends,
// normally, killed or failed (after the error handler), and returns the previous one. Like
// the error handler, h runs inside the scheduler: it must not block or switch.
func (s *Scheduler) SetEndHandler(h func(t *Tasklet)) func(t *Tasklet) {
	old := s.endHandler
	s.endHandler = h
	return old
}

// SwitchTrap adds delta to the switch-trap level and returns the old level. While the level
// is positive every operation that would switch tasklets fails with ErrSwitchTrap.
func (s *Scheduler) SwitchTrap(delta int) int {
	old := s.switchTrap
	s.switchTrap += delta
	s.updatePlain()
	return old
}

// Run makes the main tasklet a watchdog and runs the ring until it is empty. It returns the
// unhandled error of a tasklet that failed (a *TaskletError), else nil.
func (s *Scheduler) Run() error {
	_, err := s.RunWith(RunOptions{})
	return err
}

// RunWith is Run with a step timeout: it also returns when a tasklet is interrupted, and
// then returns that tasklet (now paused; Insert it to continue).
func (s *Scheduler) RunWith(opts RunOptions) (*Tasklet, error) {
	if err := s.main.Watch(opts).Wait(); err != nil {
		return nil, err
	}
	victim, _ := s.main.TempVal().(*Tasklet)
	s.main.tempval = nil
	return victim, nil
}

// Schedule lets the main tasklet yield: the others run one turn each, then Schedule returns.
func (s *Scheduler) Schedule() error {
	m := s.main
	waitMain(Await{t: m, kg: uint32(awSchedule)}) // main's Wait, written so that it inlines here
	return m.x.werr
}

// Close stops every hard tasklet's coroutine (their functions unwind) and makes further
// blocking calls fail. Soft tasklets are plain data and need no cleanup.
func (s *Scheduler) Close() {
	if s.closed {
		return
	}
	s.closed = true
	s.Each(func(t *Tasklet) bool {
		if t.kind == Hard && t.x.hard != nil {
			t.x.hard.stop()
		}
		return true
	})
}

// ---- internal: taking tasklets out of queues ----

// unblock takes a blocked tasklet out of its channel queue (restoring the balance) and
// cancels its receive timeout. The tasklet is left in no queue.
func (s *Scheduler) unblock(t *Tasklet) {
	ch := s.chans[t.waitRef] // a blocked tasklet's channel is live: its slot is enough
	ch.queue.remove(t)
	ch.biased -= int32(t.dir)
	t.dir = 0
	t.flags &^= flagIter
	s.cancelDeadline(t)
	t.state = StatePaused // caller decides where it goes; not in the paused queue
}

// detach takes an alive tasklet out of whatever holds it, ready to be made runnable.
func (s *Scheduler) detach(t *Tasklet) {
	switch t.state {
	case StateBlocked:
		s.unblock(t)
	case StateSleeping:
		s.timers.cancelSleep(s, t)
	case StatePaused:
		s.unpause(t)
	case StateWatching:
		for i, w := range s.watchdogs {
			if w == t {
				s.watchdogs = append(s.watchdogs[:i], s.watchdogs[i+1:]...)
				break
			}
		}
		if t == s.timed {
			s.timed, s.softIRQ = nil, false
			s.updatePlain()
		}
		t.x.watch = nil
	}
	t.state = StatePaused
}

// prepareThrow makes t runnable (at the end of the ring if it was not) with err pending.
func (s *Scheduler) prepareThrow(t *Tasklet, err error) {
	if t.state != StateRunnable {
		s.detach(t)
		s.makeRunnable(t)
	}
	t.setBomb(err)
}

// ---- internal: performing operations ----

// updatePlain recomputes s.plain; call it after changing anything it depends on.
func (s *Scheduler) updatePlain() { s.plain = s.plainNow() }

// plainNow reports whether a switch needs no more than setting current: no switch trap,
// no timed watchdog (hence no soft interrupt), no schedule or channel callback.
func (s *Scheduler) plainNow() bool {
	return s.switchTrap <= 0 && s.timed == nil && s.schedCB == nil && s.chanCB == nil
}

func (s *Scheduler) trapped() error {
	if s.switchTrap > 0 {
		return ErrSwitchTrap
	}
	return nil
}

func (s *Scheduler) perform(a Await) error {
	t := a.t
	switch a.kind() {
	case awFail:
		return a.v.(error)
	case awSchedule, awScheduleValue:
		t.tempval, t.flags = a.v, t.flags&^flagBomb // nil for awSchedule
		if s.ring.len() <= 1 {
			return nil
		}
		if err := s.trapped(); err != nil {
			return err
		}
		s.ring.rotate()
		s.setCurrent(t, s.ring.front())
		return nil
	case awScheduleRemove:
		t.tempval, t.flags = a.v, t.flags&^flagBomb
		if t.kind == Main && s.ring.len() <= 1 && len(s.watchdogs) == 0 {
			return nil // main alone: nothing to switch to
		}
		if err := s.trapped(); err != nil {
			return err
		}
		s.ring.popFront()
		s.pause(t)
		s.next(t)
		return nil
	case awSleep:
		if t.kind == Main {
			return stateErr("sleep", t, ErrMainCannotSleep)
		}
		if err := s.trapped(); err != nil {
			return err
		}
		s.ring.popFront()
		s.timers.addSleep(s, t, s.now+a.ticks())
		s.next(t)
		return nil
	case awSend, awSendErr, awRecv, awNext, awRecvFor:
		return s.chanOp(a)
	case awRun, awSwitch:
		return s.runTarget(t, a.v.(*Tasklet), a.kind() == awSwitch)
	case awThrow:
		ta := a.v.(throwArgs)
		return s.throw(t, ta.target, ta.err)
	case awWatch:
		return s.watch(t, a.v.(RunOptions))
	}
	return fmt.Errorf("sim: unknown operation %d", a.kind())
}

func (s *Scheduler) runTarget(t, target *Tasklet, remove bool) error {
	op := "run"
	if remove {
		op = "switch"
	}
	if target.x.s != s {
		return stateErr(op, target, ErrForeignScheduler)
	}
	switch target.state {
	case StateBlocked:
		return stateErr(op, target, ErrRunBlocked)
	case StateNew, StateDead:
		return stateErr(op, target, ErrRunDead)
	case StateWatching:
		return stateErr(op, target, ErrBindScheduled)
	}
	if target == t {
		return nil
	}
	if err := s.trapped(); err != nil {
		return err
	}
	if target.state != StateRunnable {
		s.detach(target)
		s.makeRunnable(target)
	}
	if remove {
		s.ring.remove(t)
		s.pause(t)
	}
	s.rotateTo(target)
	s.setCurrent(t, target)
	return nil
}

func (s *Scheduler) throw(t, target *Tasklet, err error) error {
	if target.x.s != s {
		return stateErr("throw", target, ErrForeignScheduler)
	}
	if e := target.checkThrow(err); e != nil || !target.Alive() {
		return e
	}
	if target == t {
		return err // raised right here
	}
	if e := s.trapped(); e != nil {
		return e
	}
	s.prepareThrow(target, err)
	s.rotateTo(target)
	s.setCurrent(t, target)
	return nil
}

func (s *Scheduler) watch(t *Tasklet, opts RunOptions) error {
	if s.ring.len() > 1 {
		if err := s.trapped(); err != nil {
			return err
		}
	}
	x := t.ext()
	x.watch = &x.watchOpts // no allocation per Run or Tick
	x.watchOpts = watchdog{opts: opts}
	s.watchdogs = append(s.watchdogs, t)
	if opts.Timeout > 0 && s.timed == nil {
		s.timed = t
		s.updatePlain()
		s.turnSteps = 0
		s.softIRQ = false
	}
	s.ring.popFront()
	t.state = StateWatching
	s.next(t)
	return nil
}

type watchdog struct {
	opts RunOptions
}

// finish ends t (the current tasklet) with err (nil for a normal end).
func (s *Scheduler) finish(t *Tasklet, err error) { s.finishValue(t, nil, err) }

// finishValue is finish for a tasklet that returned v: a normal end leaves v in t's
// tempval (HardValueFunc), an error leaves nil.
func (s *Scheduler) finishValue(t *Tasklet, v any, err error) {
	if t.state == StateRunnable {
		s.ring.remove(t)
	}
	t.state = StateDead
	s.alive--
	if t.kind == Hard {
		s.hardLive--
		t.x = &s.simple // the coroutine is returning; nothing to stop
	}
	t.dropFrames()
	if errors.Is(err, ErrSystemExit) {
		err = nil
	} else if err != nil && s.errHandler != nil {
		err = s.errHandler(t, err)
	} else if err == nil && v != nil {
		t.tempval = v // the value of a HardValueFunc that returned normally
	}
	if s.endHandler != nil {
		s.endHandler(t)
	}
	if err != nil {
		s.raiseUnhandled(t, &TaskletError{Tasklet: t.ID(), Err: err})
		return
	}
	s.next(t)
}

// Tick advances the clock by one tick, wakes the tasklets due at it (in the order they went
// to sleep) and runs the ring until it is empty, with the main tasklet as watchdog. It
// returns the first unhandled tasklet error (the rest of the tick then runs at the next
// call). Step counts of the tick budget start again at every tick.
func (s *Scheduler) Tick() error {
	if s.current != s.main || s.inLoop {
		return wrapf(ErrInLoop, "Tick called by tasklet %d", s.current.ID())
	}
	s.now++
	s.timers.wake(s, s.now)
	err := s.main.Watch(RunOptions{}).Wait()
	for i, t := range s.ticked {
		t.steps = 0
		t.flags &^= flagTicked
		s.ticked[i] = nil
	}
	s.ticked = s.ticked[:0]
	return err
}
