package sim

import (
	"errors"
	"fmt"
)

// Options configure a Scheduler. The zero value is the documented default.
type Options struct {
	// TickBudget is the number of steps a soft tasklet may run in one tick, whether they
	// yield, block, hand values over or loop; for a hard tasklet, each time it is resumed
	// counts as a step. A tasklet that has used its budget up is pre-empted instead of
	// running again: it sleeps until the next tick (counted in Stats.Preempted). So a
	// tick always ends, however its tasklets loop. 0: no limit.
	TickBudget uint32
}

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
	current   *Tasklet   //
	main      *Tasklet   //
	watchdogs []*Tasklet // innermost last
	timed     *Tasklet   // the outermost watchdog with a timeout
	chans     []*Channel // by id; noChannel at 0 and after DropChannel
	// lastChan is chans[lastChanID], the channel of the last hand-off fast path. The next
	// one on the same channel takes it from here (fastChan), not from the table: the CPU
	// predicts the id compare and goes on without waiting for the op's channel id, which
	// comes at the end of a chain of loads through the frame (12.5 → 11 ns a hand-off).
	// forgetLastChan resets it wherever a table entry changes.
	lastChanID uint64
	lastChan   *Channel
	timers     timers
	now        uint64
	nextID     ID
	slab       []Tasklet
	slabSize   int   // tasklets in the last slab
	simple     extra // the extra of every tasklet that needs none of its own: all zero but s
	opts       Options
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
	s := &Scheduler{opts: opts, nextID: 1}
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
	t.x, t.id, t.flags = &s.simple, s.nextID, flagFresh
	s.nextID++
	s.stats.Spawned++
	return t
}

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
func (s *Scheduler) SetTickBudget(steps uint32) { s.opts.TickBudget = steps }

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
	waitMain(Await{t: m, kind: awSchedule}) // main's Wait, written so that it inlines here
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

// ---- internal: switching ----

// setCurrent makes next the running tasklet (next must be at the ring front).
func (s *Scheduler) setCurrent(prev, next *Tasklet) {
	if s.softIRQ && s.timed != nil && next != s.timed {
		w := s.timed
		s.popWatchdogsTo(w)
		w.tempval, w.flags = nil, w.flags&^flagBomb
		w.state = StateRunnable
		s.ring.pushFront(w)
		next = w
	}
	s.current = next
	if prev != next {
		s.stats.Switches++
		if s.timed == nil || !s.timed.x.watch.opts.TotalTimeout {
			s.turnSteps = 0
		}
		if s.schedCB != nil {
			s.schedCB(prev, next)
		}
	}
}

// next switches from prev, which has left the ring, to the ring front, or wakes the
// innermost watchdog (or main) when the ring is empty.
func (s *Scheduler) next(prev *Tasklet) {
	if nt := s.ring.front(); nt != nil {
		s.setCurrent(prev, nt)
		return
	}
	s.wakeIdle(prev)
}

// wakeIdle resumes the innermost watchdog, or main, because the ring is empty.
func (s *Scheduler) wakeIdle(prev *Tasklet) {
	if n := len(s.watchdogs); n > 0 {
		w := s.watchdogs[n-1]
		s.popWatchdogsTo(w)
		w.tempval, w.flags = nil, w.flags&^flagBomb
		w.state = StateRunnable
		s.ring.pushFront(w)
		s.setCurrent(prev, w)
		return
	}
	m := s.main
	switch m.state {
	case StateBlocked:
		err := ErrMainReceiving
		if m.dir > 0 {
			err = ErrMainSending
		}
		s.unblock(m)
		m.setBomb(err)
	case StatePaused:
		s.unpause(m)
		m.state = StateRunnable
	}
	s.ring.pushFront(m)
	m.state = StateRunnable
	s.setCurrent(prev, m)
}

// raiseUnhandled delivers err, which ended prev, to the innermost watchdog or to main.
func (s *Scheduler) raiseUnhandled(prev *Tasklet, err error) {
	var w *Tasklet
	if n := len(s.watchdogs); n > 0 {
		w = s.watchdogs[n-1]
		s.popWatchdogsTo(w)
	} else {
		w = s.main
		switch w.state {
		case StateBlocked:
			s.unblock(w)
		case StatePaused:
			s.unpause(w)
		}
	}
	if w.state == StateRunnable {
		s.rotateTo(w)
	} else {
		w.state = StateRunnable
		s.ring.pushFront(w)
	}
	w.setBomb(err)
	s.setCurrent(prev, w)
}

// popWatchdogsTo removes w and every watchdog inside it from the stack; inner ones are
// left paused.
func (s *Scheduler) popWatchdogsTo(w *Tasklet) {
	for n := len(s.watchdogs); n > 0; n-- {
		top := s.watchdogs[n-1]
		s.watchdogs = s.watchdogs[:n-1]
		if top == s.timed {
			s.timed = nil
			s.updatePlain()
			s.softIRQ = false
		}
		top.x.watch = nil
		if top == w {
			return
		}
		s.pause(top)
	}
}

// rotateTo turns the ring so that t (runnable) is at the front, keeping the circular order.
func (s *Scheduler) rotateTo(t *Tasklet) {
	r := &s.ring
	k := r.index(t)
	if k <= r.len()/2 {
		for ; k > 0; k-- {
			r.rotate()
		}
		return
	}
	for k = r.len() - k; k > 0; k-- {
		r.pushFront(r.popBack())
	}
}

func (s *Scheduler) pause(t *Tasklet) {
	t.state = StatePaused
	s.paused.pushBack(t)
}

func (s *Scheduler) unpause(t *Tasklet) {
	if t.state == StatePaused {
		s.paused.remove(t)
	}
}

func (s *Scheduler) makeRunnable(t *Tasklet) {
	t.state = StateRunnable
	s.ring.pushBack(t)
}

// setState moves a non-scheduled tasklet between new, paused and dead.
func (s *Scheduler) setState(t *Tasklet, st State) {
	s.unpause(t)
	if st == StatePaused {
		s.pause(t)
		return
	}
	t.state = st
}

// unblock takes a blocked tasklet out of its channel queue (restoring the balance) and
// cancels its receive timeout. The tasklet is left in no queue.
func (s *Scheduler) unblock(t *Tasklet) {
	ch := s.chans[t.aux]
	ch.queue.remove(t)
	ch.fast -= int32(t.dir)
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
	switch a.kind {
	case awFail:
		return a.v.(error)
	case awSchedule:
		t.tempval, t.flags = nil, t.flags&^flagBomb
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
		return s.runTarget(t, a.v.(*Tasklet), a.kind == awSwitch)
	case awThrow:
		ta := a.v.(throwArgs)
		return s.throw(t, ta.target, ta.err)
	case awWatch:
		return s.watch(t, a.v.(RunOptions))
	}
	return fmt.Errorf("sim: unknown operation %d", a.kind)
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
func (s *Scheduler) finish(t *Tasklet, err error) {
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
	}
	if s.endHandler != nil {
		s.endHandler(t)
	}
	if err != nil {
		s.raiseUnhandled(t, &TaskletError{Tasklet: t.id, Err: err})
		return
	}
	s.next(t)
}

// ---- internal: the loop ----

// runSoft steps soft tasklets, starting with t, until the current tasklet is main or a hard
// tasklet: a switch from one soft tasklet to another does not return to Wait's loop, so one
// deferred recover serves many turns.
func (s *Scheduler) runSoft(t *Tasklet) {
	// stepping is t for the deferred recover. The closure does not capture t itself, which
	// would keep t in memory instead of a register for every use in the loop.
	stepping := t
	defer func() {
		if r := recover(); r != nil {
			s.recoverStep(stepping, r)
		}
	}()
	for {
		stepping = t
		// One test for all that is not a plain step: main or hard tasklets (the switches
		// below leave them to it), first steps and pending errors (firstOrCatch), and flags
		// that the fast paths would have to clear or obey (see flagsGeneral).
		if t.flags&flagsGeneral != 0 {
			if t.kind != Soft {
				return
			}
			// The tick budget, as below; but a pending error (a kill, a throw) is raised
			// at once, whatever the budget: the thrower switched to t for it.
			if b := s.opts.TickBudget; b != 0 && t.flags&flagBomb == 0 && !t.spend(b) {
				if t = s.budgetStep(t); t == nil {
					return
				}
				continue
			}
			op, ok := s.firstOrCatch(t)
			t = stepping
			if ok {
				s.stats.Steps++
				if s.carryOut(t, op) {
					continue
				}
			}
			t = s.current
			continue
		}
		// The tick budget: count the step, or let budgetStep count t in or pre-empt it
		// (spend, written out: the call form costs this loop more than its own two lines).
		if b := s.opts.TickBudget; b != 0 {
			if t.flags&flagTicked == 0 || t.steps >= b {
				if t = s.budgetStep(t); t == nil {
					return
				}
				continue
			}
			t.steps++
		}
		op := t.frame.Step(t)
		// Reloading t from stepping spares keeping a second copy of it across the step.
		t = stepping
		s.stats.Steps++
		// Fast paths: a yield or a hand-off between soft tasklets that nothing observes.
		if op.id == t.id && s.plain {
			switch op.c {
			case opSchedule:
				if q := &s.ring; q.n > 1 {
					// The yield, written out (a call cost 1 ns of the 6 a turn costs):
					// t moves from the ring's front to its end. yieldPlain is the same
					// for the main and hard tasklets; keep the two alike.
					t.pc = op.pc()
					if t.tempval != nil { // a bomb lives in tempval too
						t.tempval, t.flags = nil, t.flags&^flagBomb
					}
					buf, tail, h := q.buf, q.tail, t.pos+1
					m := len(buf) - 1
					if m < 0 {
						break // never (q.n > 1); it spares the bounds checks below
					}
					next := buf[int(h)&m]
					for next == nil { // another tasklet is runnable, so this ends before t
						h++
						next = buf[int(h)&m]
					}
					// t was the first live entry: nothing but tombstones before it. Its
					// slot is tail's when the buffer is full: nil, then t. The pointer
					// stores side by side share one write-barrier check.
					buf[int(t.pos)&m], buf[int(tail)&m], s.current = nil, t, next
					t.pos, q.tail, q.head = tail, tail+1, h
					if q.n >= touchMin && h%lookBatch == 0 {
						s.lookAhead()
					}
					t = next
					continue
				}
			case opSend:
				ch := s.fastChan(op.w >> 32) // noChannel where there is none: it fails the tests below
				r := &s.ring
				rb := r.buf
				if ch.fast >= 0 || int(r.tail-r.head) >= len(rb) { // fast: special ones fail
					break
				}
				q := &ch.queue
				qb := q.buf
				if len(qb) == 0 {
					break
				}
				ch.fast++
				t.pc = op.pc()
				q.n--
				qm := len(qb) - 1
				h := q.head
				p := qb[int(h)&qm]
				for p == nil {
					h++
					p = qb[int(h)&qm]
				}
				// p leaves the queue and takes t's place at the ring's front; t goes to
				// the end. The pointer stores come last, side by side: the compiler
				// gives them one write-barrier check instead of one each.
				q.head = h + 1
				tpos, tail := t.pos, r.tail
				p.flags &^= flagBomb | flagIter // deliver(p, v, false), inlined
				p.state, p.dir, p.pos = StateRunnable, 0, tpos
				t.pos, r.tail = tail, tail+1
				rm := len(rb) - 1
				qb[int(h)&qm] = nil
				p.tempval = op.v
				t.tempval = nil
				rb[int(tpos)&rm] = p
				rb[int(tail)&rm] = t
				s.current = p
				r.n++
				if p.x.deadline != 0 {
					s.cancelDeadline(p) // last: only p is live across the call
				}
				t = p
				continue
			case opRecv:
				id := op.w >> 32
				ch := s.fastChan(id)
				r := &s.ring
				rb := r.buf
				if ch.fast > 0 || r.n <= 1 || len(rb) == 0 {
					break
				}
				q := &ch.queue
				qb := q.buf
				if int(q.tail-q.head) >= len(qb) {
					break
				}
				t.pc = op.pc()
				r.n--
				rm := len(rb) - 1
				tpos := t.pos
				h := tpos + 1
				next := rb[int(h)&rm]
				for next == nil { // another tasklet is runnable, so this ends
					h++
					next = rb[int(h)&rm]
				}
				// t leaves the ring's front (nothing but tombstones before it) for the
				// channel's queue. Pointer stores side by side, as in the send above.
				r.head = h
				tail := q.tail
				t.pos, q.tail = tail, tail+1
				t.state, t.dir, t.aux = StateBlocked, -1, uint32(id)
				rb[int(tpos)&rm] = nil
				qb[int(tail)&(len(qb)-1)] = t
				s.current = next
				q.n++
				ch.fast--
				t = next
				continue
			}
		}
		if !s.carryOut(t, op) {
			t = s.current
		}
	}
}

// fastChan returns the channel of id for runSoft's fast paths: lastChan if id is its, or
// noChannel (special: it fails their tests) where there is none.
func (s *Scheduler) fastChan(id uint64) *Channel {
	if id == s.lastChanID {
		return s.lastChan
	}
	if id >= uint64(len(s.chans)) {
		return noChannel
	}
	ch := s.chans[id]
	s.lastChanID, s.lastChan = id, ch
	return ch
}

// forgetLastChan points lastChan at noChannel (id 0), which no fast path takes.
func (s *Scheduler) forgetLastChan() { s.lastChanID, s.lastChan = 0, noChannel }

// yieldPlain moves t, the current tasklet and the ring's first live entry, to the ring's end
// and makes the next live entry current: runSoft's yield, for the main and hard tasklets.
// Another tasklet must be runnable.
func (s *Scheduler) yieldPlain(t *Tasklet) {
	q := &s.ring
	buf, tail, h := q.buf, q.tail, t.pos+1
	m := len(buf) - 1
	if m < 0 {
		return // never (t is in the ring); it spares the bounds checks below
	}
	next := buf[int(h)&m]
	for next == nil {
		h++
		next = buf[int(h)&m]
	}
	// t's slot is tail's when the buffer is full: nil, then t.
	buf[int(t.pos)&m], buf[int(tail)&m], s.current = nil, t, next
	t.pos, q.tail, q.head = tail, tail+1, h
	s.stats.Switches++
	if q.n >= touchMin && h%lookBatch == 0 {
		s.lookAhead()
	}
}

// firstOrCatch steps t, whose flags runSoft's fast paths leave to the general path: it
// runs t's first step or a plain one, or hands its pending error to its frame's Catch (or
// raises it). A tasklet killed or thrown to before its first step ends: ok is false.
func (s *Scheduler) firstOrCatch(t *Tasklet) (op Op, ok bool) {
	switch f := t.flags; {
	case f&flagBomb == 0:
		t.flags &^= flagFresh
		return t.frame.Step(t), true
	case f&flagFresh != 0:
		s.finish(t, t.takeBomb())
		return Op{}, false
	}
	if c, ok := t.frame.(Catcher); ok {
		return c.Catch(t, t.takeBomb()), true
	}
	return Op{c: opRaise}, true
}

// carryOut does what op says for t, the current soft tasklet whose step returned it, and
// reports whether t is still current and steps again.
func (s *Scheduler) carryOut(t *Tasklet, op Op) bool {
	s.carried++
	if !s.plain {
		s.updatePlain() // SetBlockTrap may have cleared it for the step that just ran
	}
	switch op.c {
	case opStep:
	case opReturn:
		if !s.popFrame(t) {
			s.finish(t, nil)
			return false
		}
		return true // a return always runs the caller's next step: no budget check
	case opExit:
		s.finish(t, nil)
		return false
	case opRaise:
		if !s.popFrame(t) {
			s.finish(t, t.takeBomb())
			return false
		}
		return true
	default:
		if op.c < opAwait {
			t.setBomb(fmt.Errorf("tasklet %d, frame %T at pc %d: %w", t.id, t.frame, t.pc, ErrZeroOp))
			return true
		}
		if err := s.performStep(t, op); err != nil {
			t.setBomb(err)
		} else if s.current != t {
			return false
		}
	}
	if s.timed != nil || t.flags&flagPendingIRQ != 0 {
		return !s.limit(t)
	}
	return true
}

// performStep performs the Await that t's step returned with Then (the general path).
func (s *Scheduler) performStep(t *Tasklet, op Op) error {
	a := op.await(t)
	if op.id == 0 {
		return fmt.Errorf("tasklet %d, frame %T at pc %d: Then on the zero Await: %w", t.id, t.frame, t.pc, ErrZeroOp)
	}
	if op.id != t.id {
		return fmt.Errorf("sim: %s.Then for tasklet %d returned by the step of tasklet %d: %w", awaitNames[a.kind], op.id, t.id, ErrNotCurrent)
	}
	if a.kind == awCall {
		child, _ := a.v.(Frame)
		if child == nil {
			return fmt.Errorf("sim: tasklet %d: Call with a nil frame", t.id)
		}
		x := t.ext()
		x.callers = append(x.callers, frameRec{t.frame, op.pc()})
		t.frame, t.pc = child, 0
		return nil
	}
	t.pc = op.pc()
	return s.perform(a)
}

// popFrame pops t's top frame, keeping it as the child; false when it was the last one.
func (s *Scheduler) popFrame(t *Tasklet) bool {
	if len(t.x.callers) == 0 {
		return false
	}
	x := t.x
	n := len(x.callers) - 1
	x.child = t.frame
	t.frame, t.pc = x.callers[n].f, x.callers[n].pc
	x.callers[n] = frameRec{}
	x.callers = x.callers[:n]
	return true
}

// limit applies Run timeouts after a step; true if t was pre-empted.
func (s *Scheduler) limit(t *Tasklet) bool {
	s.turnSteps++
	if w := s.timed; w != nil {
		o := w.x.watch.opts
		due := s.turnSteps >= o.Timeout || t.flags&flagPendingIRQ != 0
		if due && o.Soft {
			s.softIRQ = true
		} else if due && t.flags&flagAtomic != 0 {
			t.flags |= flagPendingIRQ
		} else if due {
			t.flags &^= flagPendingIRQ
			s.ring.remove(t)
			s.pause(t)
			s.popWatchdogsTo(w)
			w.tempval, w.flags = t, w.flags&^flagBomb
			w.state = StateRunnable
			s.ring.pushFront(w)
			s.setCurrent(t, w)
			return true
		}
	} else {
		t.flags &^= flagPendingIRQ
	}
	return false
}

// spend counts a step of t against tick budget b. It is false, counting nothing, when
// budgetStep must act first: t is not counted in this tick yet, or has used its budget up.
func (t *Tasklet) spend(b uint32) bool {
	if t.flags&flagTicked == 0 || t.steps >= b {
		return false
	}
	t.steps++
	return true
}

// budgetStep is the tick-budget check for t, the current soft tasklet before a step (or
// hard one before it is resumed), when spend said no: it counts t in (its steps start at
// 0 in each tick), or pre-empts it, so that t sleeps until the next tick and the next
// tasklet is current. It returns the soft tasklet to consider next, or nil for main or a
// hard one.
func (s *Scheduler) budgetStep(t *Tasklet) *Tasklet {
	if t.flags&flagTicked == 0 {
		t.flags |= flagTicked
		t.steps = 0
		s.ticked = append(s.ticked, t)
		return t
	}
	s.stats.Preempted++
	s.ring.remove(t)
	s.timers.addSleep(s, t, s.now+1)
	s.next(t)
	if t = s.current; t.kind != Soft {
		return nil
	}
	return t
}

// recoverStep turns r, a panic in t's step or a callback, into t's death.
func (s *Scheduler) recoverStep(t *Tasklet, r any) {
	if s.current != t || !t.Alive() {
		panic(r) // not ours to handle: the scheduler's own state is in doubt
	}
	s.finish(t, &PanicError{Tasklet: t.id, Value: r})
}

// Tick advances the clock by one tick, wakes the tasklets due at it (in the order they went
// to sleep) and runs the ring until it is empty, with the main tasklet as watchdog. It
// returns the first unhandled tasklet error (the rest of the tick then runs at the next
// call). Step counts of the tick budget start again at every tick.
func (s *Scheduler) Tick() error {
	if s.current != s.main || s.inLoop {
		return fmt.Errorf("sim: Tick called by tasklet %d: %w", s.current.id, ErrInLoop)
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
