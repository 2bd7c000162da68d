package server

import (
	"fmt"
	"slices"
	"time"

	"github.com/stackworld/stackworld/world"
)

// Progress is what a progress line shows of a running world: its counters and the
// percentiles of its last ticks' wall times. `stackworld run` prints it as one line; the
// viewer's HUD shows its parts on lines of their own.
type Progress struct {
	Stats    world.Stats
	P50, P99 float64 // ms per tick, over the timings given to ProgressOf
}

// ProgressOf returns the progress of a world with stats st whose last ticks took ts (see
// World.Timings; none gives percentiles 0). It copies and sorts the wall times: O(n log n)
// in len(ts), one allocation. The figures depend on the wall clock: show them, never let
// them decide what a world does.
func ProgressOf(st world.Stats, ts []world.TickTiming) Progress {
	p := Progress{Stats: st}
	if len(ts) == 0 {
		return p
	}
	ds := make([]time.Duration, len(ts))
	for i, t := range ts {
		ds[i] = t.Wall
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		i := min(int(q*float64(len(ds))), len(ds)-1)
		return float64(ds[i]) / float64(time.Millisecond)
	}
	p.P50, p.P99 = at(0.50), at(0.99)
	return p
}

// Tasklets is the line's tasklet part: "tasklets run R blk B slp S", the main tasklet not
// counted as runnable.
func (p Progress) Tasklets() string {
	c := p.Stats.Tasklets
	return fmt.Sprintf("tasklets run %d blk %d slp %d", max(c.Runnable-1, 0), c.Blocked, c.Sleeping)
}

// Timing is the line's timing part: "ms/tick p50 A p99 B  dilation D  preempted P  failures F".
func (p Progress) Timing() string {
	st := p.Stats
	return fmt.Sprintf("ms/tick p50 %.2f p99 %.2f  dilation %.2f  preempted %d  failures %d", p.P50, p.P99, st.Dilation, st.Preempted, st.Failures)
}

// String is the whole line: "tick T  entities E  " + Tasklets + "  " + Timing.
func (p Progress) String() string {
	return fmt.Sprintf("tick %d  entities %d  %s  %s", p.Stats.Tick, p.Stats.Entities, p.Tasklets(), p.Timing())
}
