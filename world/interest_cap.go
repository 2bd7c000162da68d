package world

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Limits of interest management.
const (
	// MaxInterestCap is the largest Config.InterestCap.
	MaxInterestCap = 1 << 16
	// MaxInterestPairs is the most (watcher, visible entity) pairs a scenario may expect to
	// hold (InterestPairs). A watcher's first update emits an enter event per pair, and the
	// sets keep two ids per pair: about 50 bytes per pair at once when every watcher starts
	// (800 MB at the limit), and a first tick whose time grows with the pairs
	// (BenchmarkInterestCrowd's first-ms). Later ticks cost what crosses the edges. Beyond
	// it, lower the radii or the number of watchers, or set Config.InterestCap.
	MaxInterestPairs = 1 << 24
)

// SetInterestCap changes Config.InterestCap to capN (0: no cap) from the end of the current
// tick on (or of the next one, called between ticks): every set is recomputed with the new
// cap then and the differences are emitted as events. It changes what the world does, on
// purpose: an operator lowering the cost of a crowded world loaded from a save. The cap is
// saved with the world. Call it from the main program or a step; constant time.
func (w *World) SetInterestCap(capN int32) error {
	if capN < 0 || capN > MaxInterestCap {
		return fmt.Errorf("world: interest cap %d out of range [0, %d]", capN, MaxInterestCap)
	}
	if capN != w.cfg.InterestCap {
		w.cfg.InterestCap = capN
		for k := range w.watchers {
			w.watchers[k].exact = false // computed under another cap: recompute
		}
	}
	return nil
}

// InterestPairs estimates the (watcher, visible entity) pairs of watchers entities with
// interest radius r among entities spread evenly over a width×height map, each set capped
// at capN (0: no cap): watchers × min(capN, entities × min(πr², area) / area). It ignores
// the map's edges (an overestimate near them) and crowding (an underestimate).
func InterestPairs(watchers, entities int, r, width, height, capN int32) float64 {
	if watchers <= 0 || entities <= 1 || r <= 0 || width <= 0 || height <= 0 {
		return 0
	}
	area := float64(width) * float64(height)
	seen := float64(entities-1) * math.Min(math.Pi*float64(r)*float64(r), area) / area
	if capN > 0 {
		seen = math.Min(seen, float64(capN))
	}
	return float64(watchers) * seen
}

// CheckInterestPairs returns an error if pairs (a sum of InterestPairs) is more than
// MaxInterestPairs.
func CheckInterestPairs(pairs float64) error {
	if pairs > MaxInterestPairs {
		return fmt.Errorf("world: areas of interest would hold about %.3g (watcher, entity) pairs, more than the limit of %d (world.MaxInterestPairs); lower the radii or the number of watchers, or set an interest cap", pairs, MaxInterestPairs)
	}
	return nil
}

// cappedSet appends to dst the capN entities nearest to e within its radius (ties: the
// smaller id), sorted by id. The search starts at the radius that held wt's set last time and
// doubles until it holds capN entities or reaches the radius, so it costs about the cap,
// whatever the radius.
func (w *World) cappedSet(dst []EntityID, wt *watcher, e *Entity, capN int) []EntityID {
	in := &w.interest
	g := &in.grid
	r := int64(e.Interest)
	s := min(max(wt.reach+int64(g.cell), int64(g.cell)), r)
	var cand []capItem
	for {
		cand = g.appendNearDist(in.capScratch[:0], e.Pos, s, e.ID)
		in.capScratch = cand
		if len(cand) >= capN || s >= r {
			break
		}
		s = min(2*s, r)
	}
	if len(cand) > capN {
		slices.SortFunc(cand, func(a, b capItem) int {
			return cmp.Or(cmp.Compare(a.d2, b.d2), cmpID(a.id, b.id))
		})
		cand = cand[:capN]
	}
	var far int64
	for _, c := range cand {
		dst = append(dst, c.id)
		far = max(far, c.d2)
	}
	slices.Sort(dst)
	wt.reach = ISqrt(far) + 1
	return dst
}

type capItem struct {
	id EntityID
	d2 int64
}

// appendNearDist appends the items within r of p, skipping skip, with their squared
// distances.
func (g *interestGrid) appendNearDist(dst []capItem, p Vec, r int64, skip EntityID) []capItem {
	if r < 0 || len(g.items) == 0 {
		return dst
	}
	r2 := r * r
	y0, y1 := g.rowSpan(int64(p.Y)-r, int64(p.Y)+r)
	for cy := y0; cy <= y1; cy++ {
		for _, it := range g.discRun(p, r2, cy) {
			if d := it.Pos.Dist2(p); it.ID != skip && d <= r2 {
				dst = append(dst, capItem{id: it.ID, d2: d})
			}
		}
	}
	return dst
}
