package world

import (
	"slices"
)

// Limits of the edge update (see interest.go).
const (
	// interestJump is the farthest an entity may move in one tick (units) and
	// still be handled by the edge scans; farther movers are checked against every watcher.
	interestJump = 16
	// interestGridCells bounds the cells of the interest grid: its cell size is the
	// smallest power of two from interestCellMin up that keeps the grid within this.
	interestGridCells = 1 << 18
	interestCellMin   = 8
)

// interestState is what the world keeps between updates of the areas of interest, and
// their scratch space. None of it is saved: a loaded world recomputes every set once.
type interestState struct {
	brute bool // tests: always recompute (the reference the edge update is checked against)
	// updates counts the sets updated at their edge, recomputed and capped, and visited the
	// grid items looked at by edge scans (for tests and benchmarks)
	updates [3]uint64
	visited uint64
	copied  uint64 // ids written by merges of pending changes into sets

	valid bool       // prev holds the grid items of the last update
	prev  []GridItem // the entities at the last update, in the world's order then

	grid       interestGrid
	old        []Vec      // per item of this update (world order): its position at the last update
	movers     []mover    // entities that spawned, despawned or jumped since the last update
	unpaired   []GridItem // scratch: prev items not at the same index in this update
	paired     []bool
	moveMax    int64 // the farthest any entity not among the movers moved, rounded up
	changes    []interestChange
	capScratch []capItem
}

// A mover is an entity checked against every watcher: it spawned (!had), despawned (!has)
// or jumped more than interestJump.
type mover struct {
	id       EntityID
	old, cur Vec
	had, has bool
}

// noOld marks an interest grid item whose old position is not to be used (a mover).
var noOld = Vec{-1, -1}

// track pairs each of items with its position at the last update and finds the movers
// (perUnit: see splitMovers). It reports false if there are too many movers for the edge update to pay (then every set is
// recomputed). Cost: O(n) plus O(k log k) for the k entities that changed places in the
// world's order (a despawn moves the last entity into the hole).
func (in *interestState) track(items []GridItem, perUnit float64) bool {
	n := len(items)
	in.old = slices.Grow(in.old[:0], n)[:n]
	in.movers, in.unpaired = in.movers[:0], in.unpaired[:0]
	prev := in.prev
	for i := range prev {
		if i >= n || items[i].ID != prev[i].ID {
			in.unpaired = append(in.unpaired, prev[i])
		}
	}
	slices.SortFunc(in.unpaired, func(a, b GridItem) int { return cmpID(a.ID, b.ID) })
	in.paired = slices.Grow(in.paired[:0], len(in.unpaired))[:len(in.unpaired)]
	clear(in.paired)
	var hist [interestJump + 1]int
	for i := range items {
		it := &items[i]
		var o Vec
		switch {
		case i < len(prev) && prev[i].ID == it.ID:
			o = prev[i].Pos
		default:
			k, ok := slices.BinarySearchFunc(in.unpaired, it.ID, func(x GridItem, id EntityID) int { return cmpID(x.ID, id) })
			if !ok {
				in.movers = append(in.movers, mover{id: it.ID, cur: it.Pos, has: true})
				in.old[i] = noOld
				continue
			}
			in.paired[k] = true
			o = in.unpaired[k].Pos
		}
		d := moved(it.Pos, o)
		if d > interestJump {
			in.movers = append(in.movers, mover{id: it.ID, old: o, cur: it.Pos, had: true, has: true})
			in.old[i] = noOld
			continue
		}
		in.old[i] = o
		hist[d]++
	}
	for k, it := range in.unpaired {
		if !in.paired[k] {
			in.movers = append(in.movers, mover{id: it.ID, old: it.Pos, had: true})
		}
	}
	in.moveMax = in.splitMovers(items, &hist, perUnit)
	return len(in.movers) <= n/8+64
}

// splitMovers chooses the margin of the edge scans: every entity that moved more becomes a
// mover (checked against every watcher: one test each), every one that moved less widens
// every watcher's ring (about perUnit more items per watcher per unit of margin). hist
// counts the entities by how far they moved. It returns the margin.
func (in *interestState) splitMovers(items []GridItem, hist *[interestJump + 1]int, perUnit float64) int64 {
	best, bestCost, above := int64(interestJump), float64(-1), 0
	for j := interestJump; j >= 0; j-- {
		if cost := float64(above) + perUnit*float64(j); bestCost < 0 || cost <= bestCost {
			best, bestCost = int64(j), cost
		}
		above += hist[j]
	}
	if best == interestJump {
		return best
	}
	for i := range items {
		it := &items[i]
		if o := in.old[i]; o != noOld && moved(it.Pos, o) > best {
			in.movers = append(in.movers, mover{id: it.ID, old: o, cur: it.Pos, had: true, has: true})
			in.old[i] = noOld
		}
	}
	return best
}

// remember keeps items (the world's order) as the positions of the next update's past.
func (in *interestState) remember(items []GridItem) {
	in.prev = append(in.prev[:0], items...)
	in.valid = true
}

// build fills the interest grid with items and, if edge, their old positions (in.old).
func (in *interestState) build(cfg Config, items []GridItem, edge bool) {
	g := &in.grid
	if g.cols == 0 {
		g.init(cfg.Width, cfg.Height)
	}
	var old []Vec
	if edge {
		old = in.old
	}
	g.build(items, old)
}

// canEdge reports whether wt's set can be updated at its edge: it is exact, its radius is
// the same, and the margin (what the watcher moved plus the farthest any other entity moved)
// is small against the radius.
func (in *interestState) canEdge(wt *watcher, e *Entity) bool {
	if !wt.exact || wt.r != e.Interest {
		return false
	}
	m := moved(e.Pos, wt.at) + in.moveMax
	return 2*m <= int64(e.Interest)
}

// updateEdge updates wt's set from the entities that crossed its edge and emits the changes.
// The changes are kept as pending toggles of the set: Visible applies them when it is read,
// or this does when they are many (an eighth of the set), so a set that nobody reads costs
// what crosses its edge, and one that is read every tick one merge per tick.
func (w *World) updateEdge(wt *watcher, e *Entity, emit bool) {
	in := &w.interest
	r := int64(e.Interest)
	m := moved(e.Pos, wt.at) + in.moveMax
	ch, n := in.grid.appendEdgeChanges(in.changes[:0], e.ID, wt.at, e.Pos, r, m)
	in.visited += uint64(n)
	r2 := r * r
	for i := range in.movers {
		mv := &in.movers[i]
		if mv.id == e.ID {
			continue
		}
		was := mv.had && mv.old.Dist2(wt.at) <= r2
		is := mv.has && mv.cur.Dist2(e.Pos) <= r2
		if was != is {
			ch = append(ch, interestChange{id: mv.id, enter: is})
		}
	}
	in.changes = ch
	if len(ch) == 0 {
		return
	}
	slices.SortFunc(ch, func(a, b interestChange) int { return cmpID(a.id, b.id) })
	if emit {
		for _, c := range ch {
			w.interestEvent(e, c.id, c.enter)
		}
	}
	wt.ptmp = togglePending(wt.ptmp[:0], wt.pend, ch)
	wt.pend, wt.ptmp = wt.ptmp, wt.pend
	if len(wt.pend) > len(wt.set)/8+32 {
		in.copied += uint64(wt.materialize())
	}
}

type interestChange struct {
	id    EntityID
	enter bool
}

// togglePending appends to dst the symmetric difference of pend (sorted ids) and the ids of
// ch (sorted): an id that toggles twice is back where it was.
func togglePending(dst, pend []EntityID, ch []interestChange) []EntityID {
	i, j := 0, 0
	for i < len(pend) || j < len(ch) {
		switch {
		case j == len(ch) || (i < len(pend) && pend[i] < ch[j].id):
			dst = append(dst, pend[i])
			i++
		case i == len(pend) || ch[j].id < pend[i]:
			dst = append(dst, ch[j].id)
			j++
		default:
			i, j = i+1, j+1
		}
	}
	return dst
}

// materialize applies wt's pending toggles to its set and returns the size of the new set
// (the ids it wrote).
func (wt *watcher) materialize() int {
	if len(wt.pend) == 0 {
		return 0
	}
	wt.tmp = applyToggles(slices.Grow(wt.tmp[:0], len(wt.set)+len(wt.pend)), wt.set, wt.pend)
	wt.set, wt.tmp = wt.tmp, wt.set
	wt.pend = wt.pend[:0]
	return len(wt.set)
}

// applyToggles appends set (sorted) with the ids of pend (sorted) toggled to dst: an id in
// set leaves, one not in set enters. Cost: O(len(set)) copying, O(len(pend) log gap) search.
func applyToggles(dst, set, pend []EntityID) []EntityID {
	i := 0
	for _, id := range pend {
		k := i + gallop(set[i:], id)
		dst = append(dst, set[i:k]...)
		i = k
		if k < len(set) && set[k] == id {
			i++ // left
		} else {
			dst = append(dst, id) // entered
		}
	}
	return append(dst, set[i:]...)
}

// gallop returns the index of the first element of s (sorted) that is not less than id,
// in time logarithmic in that index: the changes of a set are spread through it.
func gallop(s []EntityID, id EntityID) int {
	hi := 1
	for hi < len(s) && s[hi-1] < id {
		hi *= 2
	}
	lo := hi / 2
	hi = min(hi, len(s))
	k, _ := slices.BinarySearch(s[lo:hi], id)
	return lo + k
}

// moved returns the distance from a to b rounded up.
func moved(a, b Vec) int64 {
	d2 := a.Dist2(b)
	d := ISqrt(d2)
	if d*d < d2 {
		d++
	}
	return d
}

// ---- the interest grid ----

// interestGrid is a uniform grid like Grid, with smaller cells (so that a thin ring around a
// circle covers few entities) and each entity's old position beside its current one. Its
// cells are scanned by runs: the cells of one row between two columns are contiguous.
type interestGrid struct {
	cells[interestItem]
}

type interestItem struct {
	ID  EntityID
	Pos Vec
	Old Vec // noOld: a mover, or no old positions in this update
}

// init sizes the grid for a width×height map: its cell size is the smallest power of two
// from interestCellMin up that keeps it within interestGridCells cells.
func (g *interestGrid) init(width, height int32) {
	c := int32(interestCellMin)
	for int64((width+c-1)/c)*int64((height+c-1)/c) > interestGridCells {
		c *= 2
	}
	g.cells.init(width, height, c)
}

// build fills the grid with items (see cells); old, if not nil, gives each item's old
// position.
func (g *interestGrid) build(items []GridItem, old []Vec) {
	next := g.count(items)
	for i := range items {
		c := g.cellOf[i]
		o := noOld
		if old != nil {
			o = old[i]
		}
		g.items[next[c]] = interestItem{ID: items[i].ID, Pos: items[i].Pos, Old: o}
		next[c]++
	}
	g.placed()
}

// rowRun returns the items of row cy from column x0 to x1 (inclusive; empty if x0 > x1).
func (g *interestGrid) rowRun(cy, x0, x1 int32) []interestItem {
	if x0 > x1 {
		return nil
	}
	row := cy * g.cols
	return g.items[g.start[row+x0]:g.start[row+x1+1]]
}

// colSpan returns the columns of the cells overlapping [lo, hi] (clamped into the grid).
func (g *interestGrid) colSpan(lo, hi int64) (int32, int32) {
	c := int64(g.cell)
	x0 := min(max(lo, 0)/c, int64(g.cols-1))
	x1 := min(max(hi, 0)/c, int64(g.cols-1))
	return int32(x0), int32(x1)
}

// rowSpan returns the rows of the cells overlapping [lo, hi] (clamped into the grid).
func (g *interestGrid) rowSpan(lo, hi int64) (int32, int32) {
	c := int64(g.cell)
	y0 := min(max(lo, 0)/c, int64(g.rows-1))
	y1 := min(max(hi, 0)/c, int64(g.rows-1))
	return int32(y0), int32(y1)
}

// appendNear appends the ids of the items within r of p, skipping skip, in grid order.
func (g *interestGrid) appendNear(dst []EntityID, p Vec, r int32, skip EntityID) []EntityID {
	if r < 0 || len(g.items) == 0 {
		return dst
	}
	r2 := int64(r) * int64(r)
	y0, y1 := g.rowSpan(int64(p.Y)-int64(r), int64(p.Y)+int64(r))
	for cy := y0; cy <= y1; cy++ {
		for _, it := range g.discRun(p, r2, cy) {
			if it.ID != skip && it.Pos.Dist2(p) <= r2 {
				dst = append(dst, it.ID)
			}
		}
	}
	return dst
}

// discRun returns the items of the cells of row cy that the disc of squared radius r2
// around p overlaps (row cy among the disc's rows).
func (g *interestGrid) discRun(p Vec, r2 int64, cy int32) []interestItem {
	dy := bandDist(int64(p.Y), int64(cy)*int64(g.cell), int64(g.cell))
	hx := ISqrt(r2 - dy*dy)
	x0, x1 := g.colSpan(int64(p.X)-hx, int64(p.X)+hx)
	return g.rowRun(cy, x0, x1)
}

// bandDist returns the distance from y to the band [lo, lo+size).
func bandDist(y, lo, size int64) int64 {
	switch {
	case y < lo:
		return lo - y
	case y >= lo+size:
		return y - (lo + size - 1)
	}
	return 0
}

// appendEdgeChanges appends the entities (not movers, not skip) whose membership in the
// circle of radius r changed between (old positions, centre a0) and (positions, centre a1),
// given that no distance changed by more than m, and the number of items it looked at. Only the items now in the ring
// (r−m, r+m] around a1 can have changed; the cells wholly inside r−m are not visited.
func (g *interestGrid) appendEdgeChanges(dst []interestChange, skip EntityID, a0, a1 Vec, r, m int64) (changes []interestChange, visited int) {
	outer, inner := r+m, r-m
	outer2, inner2, r2 := outer*outer, int64(-1), r*r
	if inner > 0 {
		inner2 = inner * inner
	}
	c := int64(g.cell)
	y0, y1 := g.rowSpan(int64(a1.Y)-outer, int64(a1.Y)+outer)
	for cy := y0; cy <= y1; cy++ {
		lo := int64(cy) * c
		dy := bandDist(int64(a1.Y), lo, c)
		if dy > outer {
			continue
		}
		hx := ISqrt(outer2 - dy*dy)
		x0, x1 := g.colSpan(int64(a1.X)-hx, int64(a1.X)+hx)
		// cells wholly inside the inner circle: their farthest row is within inner
		ix0, ix1 := x1+1, x1
		if far := max(abs64(lo-int64(a1.Y)), abs64(lo+c-1-int64(a1.Y))); inner > 0 && far <= inner {
			hi := ISqrt(inner2 - far*far)
			// cell cx is inside if [cx·c, cx·c+c−1] ⊆ [a1.X−hi, a1.X+hi]
			left, right := int64(a1.X)-hi, int64(a1.X)+hi
			first := (max(left, 0) + c - 1) / c
			last := (right+1)/c - 1
			if first, last = max(first, int64(x0)), min(last, int64(x1)); first <= last {
				ix0, ix1 = int32(first), int32(last)
			}
		}
		for _, run := range [2][]interestItem{g.rowRun(cy, x0, min(ix0-1, x1)), g.rowRun(cy, max(ix1+1, x0), x1)} {
			visited += len(run)
			for i := range run {
				it := &run[i]
				d := it.Pos.Dist2(a1)
				if d > outer2 || d <= inner2 || it.ID == skip || it.Old.X < 0 {
					continue
				}
				if is := d <= r2; is != (it.Old.Dist2(a0) <= r2) {
					dst = append(dst, interestChange{id: it.ID, enter: is})
				}
			}
		}
	}
	return dst, visited
}

func abs64(v int64) int64 { return max(v, -v) }
