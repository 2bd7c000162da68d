package sim

import (
	"iter"
	"runtime/debug"
)

// HardFunc is the body of a hard tasklet. It blocks with the package's blocking calls
// (Receive, Send, h.Schedule().Wait(), ...), each given h. Returning nil or ErrTaskletExit
// ends the tasklet silently; another error goes to the error handler or the watchdog, as a
// panic does (as a *PanicError).
type HardFunc func(h *Tasklet) error

// HardValueFunc is the body of a hard tasklet that returns a value (SpawnHardValue). When
// it returns a nil error (or ErrTaskletExit), the value stays in the ended tasklet's
// tempval, where the end handler (SetEndHandler) and whoever holds the tasklet read it
// with TempVal. Errors end the tasklet as a HardFunc's do, and its tempval is then nil.
type HardValueFunc func(h *Tasklet) (any, error)

// coroutine runs a hard tasklet with strict hand-off: exactly one of the loop (in the main
// tasklet's wait, waitMain) and the tasklet runs at a time, and the order comes from the
// ring, never from the Go scheduler.
//
// A coroutine switch is followed by returns that are all mispredicted, one per frame
// between the switch and the code that resumes (BenchmarkHardSwitch measures them). So the
// tasklet's Wait is inlined into its code, and
// while the tasklet runs after a Schedule that switched (armed), its wait function is the
// coroutine's yield itself: Wait hands the Await to the loop, which performs it (waitMain
// does a plain yield itself, performYielded anything else). If that Await does not switch
// away, the loop resumes the tasklet at once and disarms it: the next Await goes through
// waitHardSlow, which performs it in place and yields only if another tasklet became
// current. Being armed changes how fast, never what happens.
type coroutine struct {
	next    func() (Await, bool) // resumes the tasklet; an Await with t set: the tasklet's own, to perform
	stop    func()
	yield   func(Await) bool // the coroutine's yield: false once the scheduler closed
	slow    func(Await) bool // the wait function while not armed: waitHardSlow
	armed   bool
	started bool // its function has begun to run (Started)
}

type unwind struct{}

// SpawnHard creates a hard tasklet running fn and appends it to the ring.
func (s *Scheduler) SpawnHard(fn HardFunc) *Tasklet {
	t := s.newHard(fn, nil)
	s.makeRunnable(t)
	return t
}

// SpawnHardValue is SpawnHard for a function that returns a value: the value is the ended
// tasklet's TempVal (see HardValueFunc). Stackless discards a tasklet's return value
// (spec §1.5); a SpawnHard tasklet's tempval is nil when it ends, as there.
func (s *Scheduler) SpawnHardValue(fn HardValueFunc) *Tasklet {
	t := s.newHard(nil, fn)
	s.makeRunnable(t)
	return t
}

// NewHard creates a hard tasklet running fn, alive but paused (Insert it to start).
func (s *Scheduler) NewHard(fn HardFunc) *Tasklet {
	t := s.newHard(fn, nil)
	s.pause(t)
	return t
}

// newHard makes a hard tasklet running fn or, if fn is nil, vfn.
func (s *Scheduler) newHard(fn HardFunc, vfn HardValueFunc) *Tasklet {
	t := s.alloc()
	t.kind = Hard
	c := &coroutine{slow: waitHardSlow}
	x := t.ext()
	x.hard, x.wait = c, c.slow
	s.hardLive++
	s.alive++
	c.next, c.stop = iter.Pull(func(yield func(Await) bool) {
		c.yield = yield
		if err := x.werr; err != nil { // killed before it started: its code never runs
			x.werr = nil
			s.finish(t, err)
			return
		}
		c.started = true
		v, err, unwound := runHard(t, fn, vfn)
		if unwound {
			return // the scheduler was closed: leave its state alone
		}
		s.finishValue(t, v, err)
	})
	return t
}

// runHard runs fn (or vfn) for t and turns a panic into a *PanicError; unwound reports the
// unwinding of a closed scheduler.
func runHard(t *Tasklet, fn HardFunc, vfn HardValueFunc) (v any, err error, unwound bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(unwind); ok {
				unwound = true
				return
			}
			err = &PanicError{Tasklet: t.ID(), Value: r, Stack: debug.Stack()}
		}
	}()
	if fn != nil {
		return nil, fn(t), false
	}
	v, err = vfn(t)
	return v, err, false
}

// waitHardSlow is the wait function of a hard tasklet that is not armed: it performs a in
// place and, if another tasklet became current, yields to the loop until the tasklet is
// resumed (the loop then leaves in werr the error raised at its resumption). An Await
// that leaves the tasklet current (a Schedule with nothing else runnable, a send that a
// waiting receiver takes without a switch) counts as a step of the tick budget, as the
// loop's resumption does, so a hard tasklet that loops on such Awaits is pre-empted too.
// False: the scheduler was closed while the tasklet waited.
func waitHardSlow(a Await) bool {
	t := a.t
	x, s := t.x, t.x.s
	if s.closed || s.current != t || a.kind() == awCall {
		x.werr = a.waitErr()
		return true
	}
	if err := s.perform(a); err != nil {
		x.werr = err
		return true
	}
	if s.current == t {
		if t.flags&flagBomb != 0 || !s.preemptHard(t) {
			x.werr = t.takeBomb()
			return true
		}
	}
	return x.hard.yield(Await{kg: a.kg}) // no tasklet: performed already; the kind says whether to arm
}

// preemptHard counts a step of t, the current hard tasklet going on without a switch,
// against the tick budget, and reports whether the budget pre-empted it (another tasklet
// is current then). It is budgetStep's rule for a tasklet that the loop did not resume.
func (s *Scheduler) preemptHard(t *Tasklet) bool {
	b := s.budget
	for b != 0 && s.current == t && !t.spend(b) {
		s.budgetStep(t) // counts t in (then spend counts the step), or pre-empts it
	}
	return s.current != t
}

// performYielded performs op, which the armed hard tasklet c (current) handed to the loop,
// unless it is a plain yield: waitMain does that one itself.
func (s *Scheduler) performYielded(c *Tasklet, op Await) {
	var err error
	if op.kind() == awCall {
		err = op.waitErr()
	} else {
		err = s.perform(op)
	}
	if err != nil {
		c.setBomb(err) // raised when the loop resumes c, at once
	}
	if s.current == c {
		c.x.hard.armed = false // it did not switch away: the next Await goes the slow way
	}
}
