package sim

import (
	"fmt"
	"runtime/debug"
)

// The loops that run tasklets.
//
// waitMain is the main tasklet's Wait: it performs main's Await, then runs the others until
// main is current again, stepping soft tasklets with runSoft and resuming hard ones itself.
// runSoft steps soft tasklets one after another without returning while the next one is
// soft. Both carry out the common moves (a yield, a hand-off) on fast paths made of the
// ring's moves (ring.go) and leave the rest to the general path: carryOut, perform.

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
			if b := s.budget; b != 0 && t.flags&flagBomb == 0 && !t.spend(b) {
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
		if b := s.budget; b != 0 {
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
		// Fast paths: a yield or a hand-off between soft tasklets that nothing observes,
		// made of the ring's moves (ring.go).
		if op.id == t.id && s.plain {
			switch op.code() {
			case opSchedule:
				if s.ring.n > 1 {
					t.pc = op.pc()
					t.clearValue()
					next, h := s.ring.liveAfter(t.pos)
					if s.yield(t, next, h) {
						s.lookAhead()
					}
					t = next
					continue
				}
			case opSend:
				ch := s.fastChan(op.chanID()) // noChannel where there is none: it fails the test
				q := &ch.queue
				// biased < 0: receivers wait (special channels fail); the queue's length test
				// spares the moves' bounds checks.
				if ch.biased >= 0 || !s.ring.hasRoom() || len(q.buf) == 0 {
					break
				}
				ch.biased++
				t.pc = op.pc()
				p, h := q.liveAfter(q.head - 1)
				p.flags &^= flagBomb | flagIter // deliver(p, v, false), inlined
				p.state, p.dir = StateRunnable, 0
				// popAt's and handOff's pointer stores come side by side: one
				// write-barrier check.
				q.popAt(h)
				s.handOff(t, p, op.v)
				if p.x.deadline != 0 {
					s.cancelDeadline(p) // last: only p is live across the call
				}
				t = p
				continue
			case opRecv:
				ch := s.fastChan(op.chanID())
				if ch.biased > 0 || s.ring.n <= 1 || !ch.queue.hasRoom() {
					break
				}
				t.pc = op.pc()
				t.state, t.dir, t.waitRef = StateBlocked, -1, uint32(op.w>>32)
				ch.biased--
				next, h := s.ring.liveAfter(t.pos)
				s.block(t, &ch.queue, next, h)
				t = next
				continue
			}
		}
		if !s.carryOut(t, op) {
			t = s.current
		}
	}
}

// firstOrCatch steps t, whose flags runSoft's fast paths leave to the general path: it
// runs t's first step or a plain one, or hands its pending error to its frame's Catch (or
// raises it). A tasklet killed or thrown to before its first step ends: ok is false.
func (s *Scheduler) firstOrCatch(t *Tasklet) (op Op, ok bool) {
	if s.freezer != nil { // a save's copy-on-first-step, before t's frames change (capture.go)
		s.thaw(t)
	}
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
	return Op{cg: uint32(opRaise)}, true
}

// carryOut does what op says for t, the current soft tasklet whose step returned it, and
// reports whether t is still current and steps again.
func (s *Scheduler) carryOut(t *Tasklet, op Op) bool {
	s.carried++
	if !s.plain {
		s.updatePlain() // SetBlockTrap may have cleared it for the step that just ran
	}
	switch op.code() {
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
		if op.code() < opAwait {
			t.setBomb(wrapf(ErrZeroOp, "frame %T at pc %d", t.frame, t.pc))
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
		return wrapf(ErrZeroOp, "frame %T at pc %d: Then on the zero Await", t.frame, t.pc)
	}
	if op.id != t.id {
		return wrapf(ErrNotCurrent, "%s.Then for another tasklet (id %d modulo 2^32) returned by the step of tasklet %d", awaitNames[a.kind()], op.id, t.ID())
	}
	if a.kind() == awCall {
		child, _ := a.v.(Frame)
		if child == nil {
			return fmt.Errorf("sim: tasklet %d: Call with a nil frame", t.ID())
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
func (t *Tasklet) spend(b uint16) bool {
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
	s.finish(t, &PanicError{Tasklet: t.ID(), Value: r, Stack: debug.Stack()})
}

// waitMain is the main tasklet's wait function: it performs a and runs the other tasklets
// until main is current again, leaving in werr the error raised at main's resumption.
func waitMain(a Await) bool {
	t, x := a.t, a.t.x
	s := x.s
	if a.kind() == awSchedule && s.current == t && s.plain && s.ring.n > 1 && !s.inLoop && !s.closed {
		s.yieldPlain(t)
	} else if err := s.performMain(a); err != nil {
		x.werr = err
		return true
	}
	// Run the others until main is current again. Hard tasklets are resumed here, not in a
	// function of their own: that would be one more frame between the switch and Wait.
	s.inLoop = true
	for c := s.current; c != t; c = s.current {
		if c.kind == Soft {
			s.runSoft(c)
			continue
		}
		// The tick budget counts each resumption of a hard tasklet as a step (see runSoft).
		if b := s.budget; b != 0 && c.flags&flagBomb == 0 && !c.spend(b) {
			s.budgetStep(c)
			continue
		}
		cx := c.x
		co := cx.hard
		cx.resumeErr(c)
		if co.armed {
			cx.wait = co.yield
		}
		op, _ := co.next()
		cx.wait = co.slow
		if op.t == nil { // waitHardSlow performed op.kind() and switched away: arm c after a Schedule
			co.armed = op.kind() == awSchedule
		} else if op.kind() == awSchedule && s.plain && s.ring.n > 1 { // c, armed, handed over its op
			s.yieldPlain(c)
		} else {
			s.performYielded(c, op)
		}
	}
	s.inLoop = false
	x.resumeErr(t)
	return true
}

// resumeErr leaves in werr what t's Wait returns as t resumes: its pending error, or nil.
func (x *extra) resumeErr(t *Tasklet) {
	if t.flags&flagBomb != 0 {
		x.werr = t.takeBomb()
	} else if x.werr != nil { // cheaper than storing nil: that takes a write barrier check
		x.werr = nil
	}
}

// performMain performs a for the main tasklet, or says why it cannot.
func (s *Scheduler) performMain(a Await) error {
	if s.closed || s.current != a.t || s.inLoop || a.kind() == awCall {
		return a.waitErr()
	}
	return s.perform(a)
}
