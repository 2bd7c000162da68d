package sim

import (
	"fmt"
	"slices"
)

// CheckInvariants checks that the scheduler's queues agree with each other and with the
// tasklets' states, and returns an error naming the first broken rule and the tasklets or
// channels involved ("sim: invariant: ..."), or nil. It is a debugging aid for users and
// tests: random programs call it after every turn (from a ScheduleCallback, from a Step,
// between Run calls) so that a bug shows where it happens rather than ticks later.
//
// The rules:
//   - the runnable ring holds exactly RunCount live entries, each StateRunnable; the
//     current tasklet, if runnable, is the ring's front;
//   - every channel's balance is its queued senders minus its queued receivers, and all its
//     queued tasklets wait in the same direction, in StateBlocked, on that channel;
//   - every watchdog is StateWatching; the timed watchdog is one of them and has a timeout;
//   - sleeping tasklets wake at a tick after Now(), in the bucket and slot they record,
//     and the timers count them right; receives with a timeout are listed at their
//     deadline, also after Now();
//   - paused queue members are StatePaused;
//   - no two alive tasklets share an id, and every id is below the next one to issue;
//   - no tasklet appears in two places (ring, channel queues, timers, paused queue,
//     watchdogs), every queued tasklet belongs to this scheduler and records its slot, alive
//     soft tasklets have a frame, hard ones a coroutine, and the main tasklet is somewhere;
//   - the count of alive hard tasklets matches what the queues hold.
//
// CheckInvariants does not change the scheduler. It walks every queue, so it costs time
// proportional to the tasklets and queue capacities, and it allocates: call it in tests
// and debugging sessions, not every tick of a production world.
//
// Determinism: the walk order is fixed (ring from front to back, watchdogs outermost
// first, channels by id, timers by tick then sleep order, paused queue), so the same state
// always gives the same error. A map keyed by *Tasklet records where each tasklet was seen;
// it is only looked up, never iterated, so addresses cannot change the result.
func (s *Scheduler) CheckInvariants() error {
	c := invCheck{s: s, seen: make(map[*Tasklet]string), ids: make(map[ID]*Tasklet)}
	return c.run()
}

type invCheck struct {
	s    *Scheduler
	seen map[*Tasklet]string // where each tasklet was found; determinism: lookups only
	ids  map[ID]*Tasklet     // the alive tasklet with each id; determinism: lookups only
	hard int                 // alive hard tasklets found
	live int                 // tasklets found in a queue: every alive one, once
}

func invErr(format string, a ...any) error {
	return fmt.Errorf("sim: invariant: "+format, a...)
}

func (c *invCheck) run() error {
	s := c.s
	if s.main == nil || s.main.kind != Main {
		return invErr("the scheduler has no main tasklet")
	}
	if s.current == nil {
		return invErr("no current tasklet")
	}
	for _, step := range []func() error{c.ring, c.watchdogs, c.channels, c.timers, c.paused, c.ticked} {
		if err := step(); err != nil {
			return err
		}
	}
	// werr may hold what the last misused Wait of a soft tasklet returned.
	if x := &s.simple; x.s != s || x.own || x.callers != nil || x.child != nil || x.hard != nil || x.deadline != 0 || x.timerPos != 0 || x.watch != nil {
		return invErr("the shared extra of simple tasklets was written to: %+v", *x)
	}
	// plain may be false when it could be true for the rest of a step that set its own
	// block trap (SetBlockTrap); never the other way round.
	if plain := s.plainNow(); s.plain && !plain {
		return invErr("plain is true, but switch trap, timed watchdog and callbacks say false")
	}
	if _, ok := c.seen[s.main]; !ok {
		return invErr("the main tasklet (%s) is in no queue", s.main)
	}
	if c.live != s.alive {
		return invErr("%d tasklets are counted alive but the queues hold %d", s.alive, c.live)
	}
	if c.hard != s.hardLive {
		return invErr("%d hard tasklets are alive but the queues hold %d", s.hardLive, c.hard)
	}
	return nil
}

// place records that t was found at where and checks what every queued tasklet must obey.
func (c *invCheck) place(t *Tasklet, where string) error {
	if t.x == nil || t.x.s != c.s {
		return invErr("%s holds tasklet %d of another scheduler", where, t.ID())
	}
	if prev, ok := c.seen[t]; ok {
		return invErr("tasklet %d is in two places: %s and %s", t.ID(), prev, where)
	}
	c.seen[t] = where
	c.live++
	if other, dup := c.ids[t.ID()]; dup {
		return invErr("tasklets %s and %s share id %d", other, t, t.ID())
	}
	if t.ID() == 0 || t.ID() >= c.s.nextID {
		return invErr("%s holds tasklet %d, outside the ids issued [1, %d)", where, t.ID(), c.s.nextID)
	}
	c.ids[t.ID()] = t
	if t.kind != Soft && t.flags&flagFresh == 0 {
		return invErr("%s holds %s tasklet %d without flagFresh: runSoft would step it", where, t.kind, t.ID())
	}
	switch t.kind {
	case Soft:
		if t.frame == nil {
			return invErr("%s holds soft tasklet %d (%s) without a frame", where, t.ID(), t.state)
		}
	case Hard:
		if t.x.hard == nil {
			return invErr("%s holds hard tasklet %d (%s) without a coroutine", where, t.ID(), t.state)
		}
		c.hard++
	case Main:
		if t != c.s.main {
			return invErr("%s holds tasklet %d of kind main that is not the main tasklet %d", where, t.ID(), c.s.main.ID())
		}
	default:
		return invErr("%s holds tasklet %d of invalid kind %d", where, t.ID(), t.kind)
	}
	if t.state != StateBlocked && t.x.deadline != 0 {
		return invErr("tasklet %d (%s) in %s has a receive deadline at tick %d", t.ID(), t.state, where, t.x.deadline)
	}
	return nil
}

// walkQueue checks q's bookkeeping without changing it (front and back skip tombstones by
// moving head and tail, so they are not used) and calls f for each live entry in order.
func (c *invCheck) walkQueue(q *queue, name string, f func(t *Tasklet) error) error {
	size := uint32(len(q.buf))
	if size&(size-1) != 0 {
		return invErr("%s: capacity %d is not a power of two", name, size)
	}
	if span := q.tail - q.head; span > size {
		return invErr("%s: %d slots in use exceed the capacity %d", name, span, size)
	}
	live := 0
	if size > 0 {
		m := size - 1
		for p := q.head; p != q.tail; p++ {
			t := q.buf[p&m]
			if t == nil {
				continue
			}
			if t.pos != p {
				return invErr("%s: tasklet %d sits at position %d but records %d", name, t.ID(), p, t.pos)
			}
			live++
			if err := f(t); err != nil {
				return err
			}
		}
		for p := q.tail; p != q.head+size; p++ {
			if t := q.buf[p&m]; t != nil {
				return invErr("%s: tasklet %d left in a slot outside the queue", name, t.ID())
			}
		}
	}
	if live != q.n {
		return invErr("%s: counts %d tasklets but holds %d", name, q.n, live)
	}
	return nil
}

func (c *invCheck) ring() error {
	s := c.s
	var front *Tasklet
	err := c.walkQueue(&s.ring, "the runnable ring", func(t *Tasklet) error {
		if front == nil {
			front = t
		}
		if t.state != StateRunnable {
			return invErr("the runnable ring holds tasklet %d in state %s", t.ID(), t.state)
		}
		return c.place(t, "the runnable ring")
	})
	if err != nil {
		return err
	}
	if cur := s.current; cur.state == StateRunnable && cur != front {
		id := ID(0)
		if front != nil {
			id = front.ID()
		}
		return invErr("the current tasklet %d is runnable but the ring's front is tasklet %d", cur.ID(), id)
	}
	return nil
}

func (c *invCheck) watchdogs() error {
	s := c.s
	timed := false
	for i, w := range s.watchdogs {
		where := fmt.Sprintf("watchdog %d of %d", i+1, len(s.watchdogs))
		if w.state != StateWatching {
			return invErr("%s is tasklet %d in state %s", where, w.ID(), w.state)
		}
		if w.x.watch == nil {
			return invErr("%s, tasklet %d, has no watchdog options", where, w.ID())
		}
		if err := c.place(w, where); err != nil {
			return err
		}
		timed = timed || w == s.timed
	}
	if s.timed != nil {
		if !timed {
			return invErr("the timed watchdog, tasklet %d (%s), is not on the watchdog stack", s.timed.ID(), s.timed.state)
		}
		if s.timed.x.watch.opts.Timeout <= 0 {
			return invErr("the timed watchdog, tasklet %d, has no timeout", s.timed.ID())
		}
	} else if s.softIRQ {
		return invErr("a soft timeout is pending without a timed watchdog")
	}
	return nil
}

func (c *invCheck) channels() error {
	s := c.s
	if s.lastChanID >= uint64(len(s.chans)) || s.lastChan != s.chans[s.lastChanID] {
		return invErr("the last hand-off's channel, id %d, is not the table's entry for it", s.lastChanID)
	}
	for i, ch := range s.chans {
		if ch == noChannel {
			continue
		}
		if ch == nil {
			return invErr("channel table entry %d is nil, not noChannel", i)
		}
		if ch.id != ChanID(i) || ch.s != s {
			return invErr("channel %d is listed as channel %d", ch.id, i)
		}
		if ch.special != (ch.preference != -1 || ch.scheduleAll || ch.closing) {
			return invErr("channel %d: special is %v with preference %d, schedule-all %v, closing %v", ch.id, ch.special, ch.preference, ch.scheduleAll, ch.closing)
		}
		if b := ch.balance(); b <= -specialBias/2 || b >= specialBias/2 {
			return invErr("channel %d: biased balance %d with special %v: balance %d is out of range", ch.id, ch.biased, ch.special, b)
		}
		where := fmt.Sprintf("channel %d", ch.id)
		var senders, receivers int32
		var first *Tasklet
		err := c.walkQueue(&ch.queue, where, func(t *Tasklet) error {
			if t.state != StateBlocked || t.waitRef != uint32(ch.id) {
				return invErr("%s queues tasklet %d in state %s (waitRef %d)", where, t.ID(), t.state, t.waitRef)
			}
			switch t.dir {
			case 1:
				senders++
			case -1:
				receivers++
			default:
				return invErr("%s queues tasklet %d with direction %d", where, t.ID(), t.dir)
			}
			if first == nil {
				first = t
			} else if t.dir != first.dir {
				return invErr("%s queues tasklet %d (direction %+d) behind tasklet %d (direction %+d)", where, t.ID(), t.dir, first.ID(), first.dir)
			}
			if t.x.deadline != 0 {
				if err := c.deadline(t, where); err != nil {
					return err
				}
			}
			return c.place(t, where)
		})
		if err != nil {
			return err
		}
		if ch.balance() != senders-receivers {
			return invErr("%s: balance %d but %d senders and %d receivers are queued", where, ch.balance(), senders, receivers)
		}
	}
	return nil
}

// deadline checks that a receive with a timeout is listed in the timers where it says.
func (c *invCheck) deadline(t *Tasklet, where string) error {
	s, d := c.s, t.x.deadline
	if d <= s.now {
		return invErr("tasklet %d on %s has a receive deadline at tick %d, not after now (%d)", t.ID(), where, d, s.now)
	}
	b := s.timers.buckets[d].bucketSlots()
	if t.x.timerPos < 0 || t.x.timerPos >= len(b) || b[t.x.timerPos] != t {
		return invErr("tasklet %d on %s: its receive deadline (tick %d, slot %d) is not in the timers", t.ID(), where, d, t.x.timerPos)
	}
	return nil
}

func (c *invCheck) timers() error {
	s, tm := c.s, &c.s.timers
	if len(tm.ticks) != len(tm.buckets) {
		return invErr("timers: %d ticks in the heap but %d buckets", len(tm.ticks), len(tm.buckets))
	}
	for i := 1; i < len(tm.ticks); i++ {
		if tm.ticks[i] < tm.ticks[(i-1)/2] {
			return invErr("timers: heap order broken at index %d (tick %d below its parent %d)", i, tm.ticks[i], tm.ticks[(i-1)/2])
		}
	}
	ticks := slices.Clone(tm.ticks)
	slices.Sort(ticks)
	sleepers := 0
	for i, at := range ticks {
		if i > 0 && ticks[i-1] == at {
			return invErr("timers: tick %d is in the heap twice", at)
		}
		if at <= s.now {
			return invErr("timers: a bucket for tick %d is not after now (%d)", at, s.now)
		}
		bk, ok := tm.buckets[at]
		if !ok {
			return invErr("timers: tick %d is in the heap without a bucket", at)
		}
		where := fmt.Sprintf("the timers (tick %d)", at)
		for j, t := range bk.ts {
			switch {
			case t == nil:
			case t.state == StateSleeping:
				if wt := s.wakeTick(t); wt != at || t.pos != uint32(j) {
					return invErr("sleeping tasklet %d sits in %s slot %d but records tick %d slot %d", t.ID(), where, j, wt, t.pos)
				}
				if err := c.place(t, where); err != nil {
					return err
				}
				sleepers++
			case t.state == StateBlocked && t.x.deadline == at && t.x.timerPos == j:
				if _, ok := c.seen[t]; !ok { // channels were walked first
					return invErr("tasklet %d has a receive deadline in %s but is in no channel queue", t.ID(), where)
				}
			default:
				return invErr("%s slot %d holds tasklet %d in state %s", where, j, t.ID(), t.state)
			}
		}
	}
	if sleepers != tm.sleepers {
		return invErr("timers: %d tasklets sleep but the timers count %d", sleepers, tm.sleepers)
	}
	return nil
}

func (c *invCheck) paused() error {
	return c.walkQueue(&c.s.paused, "the paused queue", func(t *Tasklet) error {
		if t.state != StatePaused {
			return invErr("the paused queue holds tasklet %d in state %s", t.ID(), t.state)
		}
		return c.place(t, "the paused queue")
	})
}

// ticked checks the list of tasklets whose steps count against the tick budget.
func (c *invCheck) ticked() error {
	dup := make(map[*Tasklet]bool, len(c.s.ticked)) // determinism: lookups only
	for _, t := range c.s.ticked {
		if t.flags&flagTicked == 0 || dup[t] {
			return invErr("tasklet %d is listed for the tick budget without its flag or twice", t.ID())
		}
		dup[t] = true
	}
	return nil
}
