package world

import (
	"math"
	"time"

	"github.com/stackworld/stackworld/sim"
)

// Tick runs one tick. Inputs are not one of its steps: they are delivered before it, by
// Mailbox.Post from the main program (world/server calls its input handler at the tick
// boundary), which queues each message and puts a waiting receiver in the ring at once, in
// posting order. Then Tick:
//
//  1. advances the clock and wakes the sleepers due now, in the order they went to sleep
//     (after the receivers the inputs woke);
//  2. runs the ring until it is empty (a tasklet over its step budget is pre-empted to the
//     next tick and counted; a failing tasklet is reported, see Failure);
//  3. adds velocities to positions, rebuilds the spatial index, updates areas of interest
//     (enter/leave events), and computes the checksum;
//  4. every 64 ticks, gives back the memory of buffers that a past peak grew (scratch.go).
//
// Tick returns an error only if the scheduler cannot tick (it is called from a Step).
func (w *World) Tick() error {
	var t0 time.Duration
	if w.cfg.Clock != nil {
		t0 = w.cfg.Clock()
	}
	n := copy(w.events, w.events[w.evMark:])
	w.events = w.events[:n]
	before := w.s.Stats()
	w.inTick = true
	err := w.s.Tick()
	w.inTick = false
	if err != nil {
		return err
	}
	w.endTick(true)
	w.evMark = len(w.events)
	w.use.note(w)
	if w.s.Now()%trimWindow == 0 { // determinism: ticks and lengths only, contents unchanged
		w.trimScratch()
	}
	after := w.s.Stats()
	tm := TickTiming{
		Tick:      w.s.Now(),
		Steps:     after.Steps - before.Steps,
		Switches:  after.Switches - before.Switches,
		Preempted: after.Preempted - before.Preempted,
	}
	if w.cfg.Clock != nil {
		tm.Wall = w.cfg.Clock() - t0
		w.dilate(tm.Wall)
	}
	tm.Dilation = w.dilation
	w.timings[w.nTimings%timingsKept] = tm
	w.nTimings++
	return nil
}

// endTick is step 3 of Tick (and of New and Load, without events).
func (w *World) endTick(emit bool) {
	if emit {
		w.integrate()
	}
	w.items = w.items[:0]
	for i := range w.ents {
		e := &w.ents[i]
		w.items = append(w.items, GridItem{ID: e.ID, Kind: e.Kind, Pos: e.Pos})
	}
	w.grid.Build(w.items)
	if w.died > 0 || w.orphanMail || !emit { // !emit: a new or loaded world, swept once
		w.orphanMail = w.dropOrphanMail()
	}
	w.died, w.dirty = 0, false
	w.updateInterest(emit)
	w.sum = w.checksum()
}

// ---- timings and time dilation ----

// TickTiming is what one tick cost. Wall and Dilation come from Config.Clock and are not
// part of the world's state (they differ between runs); the counters are.
type TickTiming struct {
	Tick      uint64
	Wall      time.Duration // 0 without a Clock
	Steps     uint64        // soft steps run in the tick
	Switches  uint64
	Preempted uint64  // tasklets pre-empted by the tick budget
	Dilation  float64 // the dilation factor after the tick
}

// Timings appends the timings of the last ticks (up to 256), oldest first, to dst.
func (w *World) Timings(dst []TickTiming) []TickTiming {
	n := min(w.nTimings, timingsKept)
	for i := w.nTimings - n; i < w.nTimings; i++ {
		dst = append(dst, w.timings[i%timingsKept])
	}
	return dst
}

// LastTiming returns the timing of the last tick.
func (w *World) LastTiming() TickTiming {
	if w.nTimings == 0 {
		return TickTiming{}
	}
	return w.timings[(w.nTimings-1)%timingsKept]
}

// dilate updates the dilation factor from a tick's wall time: an exponential moving average
// of tick times against Config.WallBudget, clamped to [MinDilation, 1].
func (w *World) dilate(wall time.Duration) {
	if w.cfg.WallBudget <= 0 {
		return
	}
	const alpha = 0.2
	if w.emaWall == 0 {
		w.emaWall = float64(wall)
	} else {
		w.emaWall += alpha * (float64(wall) - w.emaWall)
	}
	f := 1.0
	if w.emaWall > float64(w.cfg.WallBudget) {
		f = float64(w.cfg.WallBudget) / w.emaWall
	}
	w.dilation = math.Max(w.cfg.MinDilation, math.Min(1, f))
}

// Dilation returns the time-dilation factor in (0, 1]: 1 when ticks fit Config.WallBudget,
// less when the world is loaded and its clock should run slower. The world never drops
// ticks: every tick runs in full; under load it is paced further apart (see Interval). The
// factor never influences what the world does, only when the next tick starts.
func (w *World) Dilation() float64 { return w.dilation }

// Interval returns how far apart ticks should start for a nominal tick interval base, given
// the dilation: base / Dilation().
func (w *World) Interval(base time.Duration) time.Duration {
	return time.Duration(float64(base) / w.dilation)
}

// Stats is a summary of the world for progress lines and metrics.
type Stats struct {
	Tick      uint64
	Entities  int
	Tasklets  sim.Counts
	Preempted uint64 // since the world began
	Failures  uint64
	Dilation  float64
}

// Stats returns the world's summary, in constant time.
func (w *World) Stats() Stats {
	return Stats{
		Tick: w.s.Now(), Entities: len(w.ents), Tasklets: w.s.Counts(),
		Preempted: w.s.Stats().Preempted, Failures: w.failed, Dilation: w.dilation,
	}
}
