package sim

import "slices"

// timers park tasklets until a tick: one bucket per tick, in the order tasklets went to
// sleep, and a min-heap of the ticks that have buckets. Cancelled entries are left as nil.
type timers struct {
	buckets  map[uint64]*bucket
	ticks    tickHeap
	spare    []*bucket
	last     *bucket // the bucket add used last, and its tick
	lastTick uint64
	sleepers int // entries of sleeping tasklets (the rest are receive deadlines)
}

// tickHeap is a min-heap of ticks (hand-written: container/heap would box every tick).
type tickHeap []uint64

func (h *tickHeap) push(v uint64) {
	*h = append(*h, v)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p] <= a[i] {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *tickHeap) pop() uint64 {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && a[l] < a[m] {
			m = l
		}
		if l+1 < n && a[l+1] < a[m] {
			m = l + 1
		}
		if m == i {
			break
		}
		a[m], a[i] = a[i], a[m]
		i = m
	}
	*h = a
	return top
}

// bucket is the tasklets due at one tick, in the order they were parked.
type bucket struct{ ts []*Tasklet }

// bucketSlots returns the bucket's slots (nil for a missing bucket).
func (b *bucket) bucketSlots() []*Tasklet {
	if b == nil {
		return nil
	}
	return b.ts
}

func (tm *timers) add(t *Tasklet, tick uint64) int {
	b := tm.last
	if b == nil || tm.lastTick != tick {
		if tm.buckets == nil {
			tm.buckets = make(map[uint64]*bucket)
		}
		var ok bool
		if b, ok = tm.buckets[tick]; !ok {
			if n := len(tm.spare); n > 0 {
				b, tm.spare = tm.spare[n-1], tm.spare[:n-1]
			} else {
				b = &bucket{}
			}
			tm.buckets[tick] = b
			tm.ticks.push(tick)
		}
		tm.last, tm.lastTick = b, tick // most parks in a row go to the same tick
	}
	b.ts = append(b.ts, t)
	return len(b.ts) - 1
}

// addSleep parks t (already out of the ring) until tick.
func (tm *timers) addSleep(s *Scheduler, t *Tasklet, tick uint64) {
	t.pos = uint32(tm.add(t, tick))
	t.waitRef = uint32(tick)
	t.state = StateSleeping
	tm.sleepers++
}

// wakeTick recovers the full wake tick of a sleeping tasklet from its low 32 bits.
func (s *Scheduler) wakeTick(t *Tasklet) uint64 {
	return s.now + uint64(t.waitRef-uint32(s.now))
}

func (tm *timers) cancelSleep(s *Scheduler, t *Tasklet) {
	tm.buckets[s.wakeTick(t)].ts[t.pos] = nil
	t.state = StatePaused
	tm.sleepers--
}

func (s *Scheduler) addDeadline(t *Tasklet, tick uint64) {
	x := t.ext()
	x.deadline = tick
	x.timerPos = s.timers.add(t, tick)
}

func (s *Scheduler) cancelDeadline(t *Tasklet) {
	if t.x.deadline == 0 {
		return
	}
	s.timers.buckets[t.x.deadline].ts[t.x.timerPos] = nil
	t.x.deadline = 0
}

// wake makes every tasklet due at or before tick runnable, in tick then sleep order. A
// receive that timed out leaves its channel with ok == false.
func (tm *timers) wake(s *Scheduler, tick uint64) {
	for len(tm.ticks) > 0 && tm.ticks[0] <= tick {
		at := tm.ticks.pop()
		b := tm.buckets[at]
		delete(tm.buckets, at)
		if tm.last == b {
			tm.last = nil
		}
		for i, t := range b.ts {
			if t == nil {
				continue
			}
			b.ts[i] = nil
			if t.state == StateBlocked {
				t.x.deadline = 0
				s.unblock(t)
				t.tempval = nil
				t.flags |= flagNotOK
			} else {
				tm.sleepers--
			}
			s.makeRunnable(t)
		}
		b.ts = b.ts[:0]
		tm.spare = append(tm.spare, b)
	}
}

// each calls f for every parked tasklet in wake order.
func (tm *timers) each(f func(t *Tasklet, tick uint64) bool) {
	ticks := slices.Clone(tm.ticks)
	slices.Sort(ticks)
	for _, at := range ticks {
		for _, t := range tm.buckets[at].ts {
			if t != nil && !f(t, at) {
				return
			}
		}
	}
}
