package sim

// The runnable ring and its moves.
//
// The ring (Scheduler.ring) is a queue (queue.go) of the runnable tasklets in Stackless
// order. Every move keeps these invariants, which CheckInvariants checks:
//   - the current tasklet, when runnable, is the ring's first live entry: only tombstones
//     (nil slots) lie between head and it;
//   - a tasklet is in one queue at most, and records its absolute position there in pos;
//   - n counts the live entries.
//
// The fast paths (runSoft, and the loop's yield for main and hard tasklets) move tasklets
// with the few moves below instead of queue's general methods. Each is small enough to be
// inlined into the loop (BenchmarkTurn, BenchmarkHandoff; their instruction counts are in
// the README), indexes with a mask behind a length test (no bounds checks) and makes its
// pointer stores side by side, so that they share one write-barrier check.

// brokenMove is the panic of a move whose queue is empty against its precondition. The
// test for it (an empty buffer) lets the compiler drop the bounds checks of the masked
// indexes after it; a panic, unlike a return, adds no path for the values to merge on.
const brokenMove = "sim: ring move on an empty queue"

// yield moves t, the current tasklet, from the ring's front to its end and makes next,
// the first live entry after t at position h (liveAfter), current: Stackless's
// schedule(). Precondition: another tasklet is runnable (ring.n > 1). The ring keeps its
// length and never grows: in a full buffer t's old slot is tail's, written nil, then t.
// It reports whether the look-ahead is due (lookahead.go): the caller calls lookAhead.
func (s *Scheduler) yield(t, next *Tasklet, h uint32) (lookAhead bool) {
	q := &s.ring
	m := len(q.buf) - 1
	if m < 0 {
		panic(brokenMove) // never (t is in the ring); it spares the bounds checks below
	}
	tail := q.tail
	q.buf[int(t.pos)&m], q.buf[int(tail)&m], s.current = nil, t, next
	t.pos, q.head, q.tail = tail, h, tail+1
	return q.n >= touchMin && h%lookBatch == 0
}

// yieldPlain is yield with its look-ahead and switch count, for the main and hard
// tasklets' loop (waitMain). Preconditions as yield's; t's value slot is cleared.
func (s *Scheduler) yieldPlain(t *Tasklet) {
	t.clearValue()
	next, h := s.ring.liveAfter(t.pos)
	if s.yield(t, next, h) {
		s.lookAhead()
	}
	s.stats.Switches++
}

// handOff makes p, a receiver just taken from a channel queue (liveAfter, popAt), current in t's
// place at the ring's front, and moves t, the sender, to the ring's end with its value
// slot cleared; p's value slot receives v. Preconditions: t is current; the ring's buffer
// has room for one more entry (hasRoom), so it does not grow here.
func (s *Scheduler) handOff(t, p *Tasklet, v any) {
	r := &s.ring
	rb, tpos, tail := r.buf, t.pos, r.tail
	m := len(rb) - 1
	if m < 0 {
		panic(brokenMove) // never (t is in the ring); it spares the bounds checks below
	}
	p.tempval, t.tempval, rb[int(tpos)&m], rb[int(tail)&m], s.current = v, nil, p, t, p
	p.pos, t.pos, r.tail = tpos, tail, tail+1
	r.n++
}

// block moves t, the current tasklet, from the ring's front to the end of q (a channel's
// queue) and makes next, the ring's first live entry after t at position h (liveAfter),
// current. Preconditions: another tasklet is runnable (ring.n > 1); q has room for one
// more entry (hasRoom).
func (s *Scheduler) block(t *Tasklet, q *queue, next *Tasklet, h uint32) {
	r := &s.ring
	rm, qm := len(r.buf)-1, len(q.buf)-1
	if rm < 0 || qm < 0 {
		panic(brokenMove) // never (preconditions); it spares the bounds checks below
	}
	tail := q.tail
	r.buf[int(t.pos)&rm], q.buf[int(tail)&qm], s.current = nil, t, next
	t.pos, r.head, q.tail = tail, h, tail+1
	r.n--
	q.n++
}

// liveAfter returns the first live entry of q after position pos, and its position.
// Precondition: one lies between pos and tail.
func (q *queue) liveAfter(pos uint32) (*Tasklet, uint32) {
	buf := q.buf
	m := len(buf) - 1
	if m < 0 {
		panic(brokenMove) // never (precondition); it spares the bounds checks below
	}
	pos++
	next := buf[int(pos)&m]
	for next == nil {
		pos++
		next = buf[int(pos)&m]
	}
	return next, pos
}

// popAt removes q's first live entry, found at position h (liveAfter from head-1).
func (q *queue) popAt(h uint32) {
	buf := q.buf
	m := len(buf) - 1
	if m < 0 {
		panic(brokenMove) // never (q is not empty); it spares the bounds check below
	}
	q.head = h + 1
	q.n--
	buf[int(h)&m] = nil
}

// hasRoom reports whether q's buffer takes one more entry without growing.
func (q *queue) hasRoom() bool { return int(q.tail-q.head) < len(q.buf) }

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
