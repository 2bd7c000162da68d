package sim

// Each calls f for every alive tasklet, main included, in a deterministic order that does
// not depend on addresses: the ring from the current tasklet, the watchdogs (outermost
// first), each channel's queue (channels by id, queue order), the sleepers (by wake tick,
// then in the order they went to sleep), the paused tasklets (in the order they paused).
// It stops when f returns false. f must not change the scheduler.
func (s *Scheduler) Each(f func(*Tasklet) bool) {
	ok := true
	visit := func(t *Tasklet) bool { ok = f(t); return ok }
	if s.ring.each(visit); !ok {
		return
	}
	for _, w := range s.watchdogs {
		if !visit(w) {
			return
		}
	}
	for _, ch := range s.chans {
		if ch == noChannel {
			continue
		}
		if ch.queue.each(visit); !ok {
			return
		}
	}
	s.timers.each(func(t *Tasklet, _ uint64) bool {
		if t.state == StateSleeping {
			return visit(t)
		}
		return true // a receive with a timeout: listed with its channel
	})
	if !ok {
		return
	}
	s.paused.each(visit)
}

// Channels calls f for each channel in id order until f returns false. O(n) in the
// table's slots, O(n log n) and one allocation once slots have been reused (slot order is
// then not id order).
func (s *Scheduler) Channels(f func(*Channel) bool) {
	for _, ch := range s.channelsByID() {
		if !f(ch) {
			return
		}
	}
}

// Counts is how many alive tasklets are in each state.
type Counts struct {
	Runnable, Blocked, Sleeping, Paused, Watching int
}

// Total returns the number of alive tasklets.
func (c Counts) Total() int { return c.Runnable + c.Blocked + c.Sleeping + c.Paused + c.Watching }

// Counts counts alive tasklets by state, in constant time: the blocked ones are the alive
// ones the ring, the paused queue, the timers and the watchdogs do not hold.
func (s *Scheduler) Counts() Counts {
	c := Counts{Runnable: s.ring.len(), Paused: s.paused.len(), Watching: len(s.watchdogs), Sleeping: s.timers.sleepers}
	c.Blocked = s.alive - c.Runnable - c.Paused - c.Watching - c.Sleeping
	return c
}

// WakeTick returns the tick a sleeping tasklet wakes at (0 if it is not sleeping), or the
// tick a receive with a timeout gives up at.
func (t *Tasklet) WakeTick() uint64 {
	switch {
	case t.state == StateSleeping:
		return t.x.s.wakeTick(t)
	case t.state == StateBlocked:
		return t.x.deadline
	}
	return 0
}
