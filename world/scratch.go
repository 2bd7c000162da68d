package world

// Scratch space that follows what is alive.
//
// A tick reuses many slices — the events, the entity items and the spatial grid built from
// them, the interest update's buffers, every watcher's set — which grow to the largest
// tick they served and are kept, so that a steady world allocates nothing per tick. So
// that one peak (a crowd's first tick: an enter event per watcher and visible entity, a
// mass spawn that died since) does not hold its memory for the rest of the world's life,
// every trimWindow ticks the end of the tick gives back the capacity of each such slice
// that exceeds trimSlack times what it needed over the last two windows plus trimMinCap
// elements, keeping twice the need. A world whose use swings within a factor of trimSlack
// never reallocates; one that swings further reallocates a slice at most once a window.
// The trimming depends on ticks and lengths only, and changes no contents: it cannot
// change what the world does (TestScratchFollowsWhatIsAlive).

const (
	trimWindow = 64  // ticks between trims
	trimSlack  = 4   // capacity kept beyond the need before a trim gives it back
	trimMinCap = 256 // elements a slice may always keep
)

// highWater is the most elements a reused slice held in the current window and the last.
type highWater struct{ cur, last int }

func (h *highWater) note(n int) { h.cur = max(h.cur, n) }

// roll returns the most held over the two windows and starts a new window.
func (h *highWater) roll() int {
	n := max(h.cur, h.last)
	h.last, h.cur = h.cur, 0
	return n
}

// scratchUse is what the world's reused slices held lately.
type scratchUse struct {
	events highWater // events of a tick (with those made between ticks)
	items  highWater // entities at a tick's end: the size of every per-entity buffer
}

// note records the tick that just ended.
func (u *scratchUse) note(w *World) {
	u.events.note(len(w.events))
	u.items.note(len(w.items))
}

// trimmed returns s, or, if its capacity is more than trimSlack×need + trimMinCap, a copy
// with capacity 2×need (at least len(s)). Cost: one allocation and copy of len(s) when it
// trims, nothing otherwise.
func trimmed[T any](s []T, need int) []T {
	if cap(s) <= trimSlack*need+trimMinCap {
		return s
	}
	t := make([]T, len(s), max(2*need, len(s)))
	copy(t, s)
	return t
}

// trimScratch gives back the capacity of the world's reused slices beyond what the last
// two windows needed (see the top of this file). endTick calls it every trimWindow ticks.
// Cost: one pass over the watchers, plus an allocation and copy per slice trimmed.
func (w *World) trimScratch() {
	ev, n := w.use.events.roll(), w.use.items.roll()
	w.events = trimmed(w.events, ev)
	w.items = trimmed(w.items, n)
	w.scratch = trimmed(w.scratch, n)
	w.grid.trim(n)
	w.interest.trim(n)
	for k := range w.watchers {
		w.watchers[k].trim()
	}
}

// trim gives back the capacity of the interest update's buffers beyond what n entities
// need (trimSlack×n + trimMinCap: each holds at most one element per entity, the movers
// two).
func (in *interestState) trim(n int) {
	in.prev = trimmed(in.prev, n)
	in.old = trimmed(in.old, n)
	in.movers = trimmed(in.movers, 2*n)
	in.unpaired = trimmed(in.unpaired, n)
	in.paired = trimmed(in.paired, n)
	in.changes = trimmed(in.changes, n)
	in.capScratch = trimmed(in.capScratch, n)
	in.grid.trim(n)
}

// trim gives back the capacity of wt's set and its scratch beyond what the set and its
// pending changes need now.
func (wt *watcher) trim() {
	n, p := len(wt.set), len(wt.pend)
	wt.set = trimmed(wt.set, n)
	wt.tmp = trimmed(wt.tmp[:0], n+p)
	wt.pend = trimmed(wt.pend, p)
	wt.ptmp = trimmed(wt.ptmp[:0], p)
}
