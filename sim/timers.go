package sim

import (
	"container/heap"
	"slices"
)

// timers park tasklets until a tick: one bucket per tick, in the order tasklets went to
// sleep, and a min-heap of the ticks that have buckets. Cancelled entries are left as nil.
type timers struct {
	buckets  map[uint64][]*Tasklet
	ticks    tickHeap
	spare    [][]*Tasklet
	sleepers int // entries of sleeping tasklets (the rest are receive deadlines)
}

type tickHeap []uint64

func (h tickHeap) Len() int           { return len(h) }
func (h tickHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h tickHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *tickHeap) Push(x any)        { *h = append(*h, x.(uint64)) }
func (h *tickHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (tm *timers) add(t *Tasklet, tick uint64) int {
	if tm.buckets == nil {
		tm.buckets = make(map[uint64][]*Tasklet)
	}
	b, ok := tm.buckets[tick]
	if !ok {
		if n := len(tm.spare); n > 0 {
			b, tm.spare = tm.spare[n-1], tm.spare[:n-1]
		}
		heap.Push(&tm.ticks, tick)
	}
	tm.buckets[tick] = append(b, t)
	return len(b)
}

// addSleep parks t (already out of the ring) until tick.
func (tm *timers) addSleep(s *Scheduler, t *Tasklet, tick uint64) {
	t.pos = uint32(tm.add(t, tick))
	t.aux = uint32(tick)
	t.state = StateSleeping
	tm.sleepers++
}

// wakeTick recovers the full wake tick of a sleeping tasklet from its low 32 bits.
func (s *Scheduler) wakeTick(t *Tasklet) uint64 {
	return s.now + uint64(t.aux-uint32(s.now))
}

func (tm *timers) cancelSleep(s *Scheduler, t *Tasklet) {
	tm.buckets[s.wakeTick(t)][t.pos] = nil
	t.state = StatePaused
	tm.sleepers--
}

func (s *Scheduler) addDeadline(t *Tasklet, tick uint64) {
	x := t.ext()
	x.deadline = tick
	x.timerPos = s.timers.add(t, tick)
}

func (s *Scheduler) cancelDeadline(t *Tasklet) {
	if t.x == nil || t.x.deadline == 0 {
		return
	}
	s.timers.buckets[t.x.deadline][t.x.timerPos] = nil
	t.x.deadline = 0
}

// wake makes every tasklet due at or before tick runnable, in tick then sleep order. A
// receive that timed out leaves its channel with ok == false.
func (tm *timers) wake(s *Scheduler, tick uint64) {
	for len(tm.ticks) > 0 && tm.ticks[0] <= tick {
		at := heap.Pop(&tm.ticks).(uint64)
		b := tm.buckets[at]
		delete(tm.buckets, at)
		for i, t := range b {
			if t == nil {
				continue
			}
			b[i] = nil
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
		tm.spare = append(tm.spare, b[:0])
	}
}

// each calls f for every parked tasklet in wake order.
func (tm *timers) each(f func(t *Tasklet, tick uint64) bool) {
	ticks := slices.Clone(tm.ticks)
	slices.Sort(ticks)
	for _, at := range ticks {
		for _, t := range tm.buckets[at] {
			if t != nil && !f(t, at) {
				return
			}
		}
	}
}
