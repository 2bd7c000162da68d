package world

import (
	"math"
	"slices"
)

// ---- interest management ----
//
// An entity with an interest radius (a watcher) has a set: the entities within its radius
// at the end of the last tick, sorted by id. At the end of every tick the world brings each
// set up to date and emits the differences as enter and leave events, watcher by watcher in
// id order, each watcher's changes in id order.
//
// The update costs what changes, not what is visible. A watcher whose set was computed at
// the last tick end, with the same radius, and which moved little is updated at the edge of
// its radius only (interest_edge.go): an entity can cross a watcher's circle only if the
// distance between them changed, and it changes by at most what both moved, so only the
// entities now within that margin of the circle are looked at, and whether one was inside
// before is known from the old positions. Entities that spawned, despawned or jumped far
// are checked against every watcher on their own. Everything else (a new watcher, a new
// radius, a watcher that jumped, a loaded world, a tick where too many entities jumped)
// recomputes the set from the grid and compares it with the old one, as a brute force
// would. Both give the same sets and the same events (TestInterestIncrementalProperty).
//
// With Config.InterestCap > 0 a set holds at most that many entities, the nearest first
// (ties: the smaller id), found by a search that widens from the last tick's reach
// (interest_cap.go); its cost follows the cap, not the radius.

// An AoIEvent tells an entity that another entered or left its area of interest.
type AoIEvent struct {
	Other EntityID
	Enter bool // false: left
}

// watcher is an entity with an interest radius and the set it saw at the last update.
type watcher struct {
	id   EntityID
	set  []EntityID // sorted; with pend toggled, the set
	pend []EntityID // sorted: ids whose membership changed since set was brought up to date
	tmp  []EntityID // scratch for set
	ptmp []EntityID // scratch for pend
	// exact: set is exactly the entities within r of at, at the positions the entities had
	// at the last update (interestState.prev). Only an exact set is updated at its edge.
	exact bool
	r     int32
	at    Vec
	reach int64 // capped sets: the distance of the farthest member at the last update
	how   uint8 // how the set is updated in this update (updEdge, updFull, updCapped)
}

// SetInterest gives entity id an area of interest of radius r (0 removes it). At the end of
// every tick the world computes the entities within r of it and emits EventEnter and
// EventLeave events for the changes, in id order; if notify is a mailbox (not zero), each
// change is also posted there as an AoIEvent. The set is available from Visible. A new
// radius takes effect at the end of the tick; the first update of a new watcher costs the
// size of its set, later ones what crossed its edge (see MaxInterestPairs).
func (w *World) SetInterest(id EntityID, r int32, notify Mailbox[AoIEvent]) {
	i, ok := w.index(id)
	if !ok {
		return
	}
	w.touch()
	e := &w.ents[i]
	had := e.Interest > 0
	e.Interest = max(r, 0)
	e.Notify = notify.ID
	switch {
	case r > 0 && !had:
		k, _ := slices.BinarySearchFunc(w.watchers, id, func(x watcher, id EntityID) int { return cmpID(x.id, id) })
		w.watchers = slices.Insert(w.watchers, k, watcher{id: id})
	case r <= 0 && had:
		w.removeWatcher(id)
		e.Notify = 0
	}
}

func cmpID(a, b EntityID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (w *World) removeWatcher(id EntityID) {
	k, ok := slices.BinarySearchFunc(w.watchers, id, func(x watcher, id EntityID) int { return cmpID(x.id, id) })
	if ok {
		w.watchers = trimmed(slices.Delete(w.watchers, k, k+1), len(w.watchers)-1)
	}
}

// Visible returns the entities in entity id's area of interest at the end of the last tick,
// sorted by id (nil if id has no interest radius). The slice is the world's: read only, and
// valid until the next tick ends (copy it to keep it). It costs a binary search of the
// watchers, plus, on the first call after a tick that changed the set, a merge of the
// changes into it (O(set)). Like every World method, it is not safe for concurrent use.
func (w *World) Visible(id EntityID) []EntityID {
	k, ok := slices.BinarySearchFunc(w.watchers, id, func(x watcher, id EntityID) int { return cmpID(x.id, id) })
	if !ok {
		return nil
	}
	wt := &w.watchers[k]
	w.interest.copied += uint64(wt.materialize())
	return wt.set
}

// appendVisible appends wt's set to dst, without bringing wt up to date.
func (wt *watcher) appendVisible(dst []EntityID) []EntityID {
	return applyToggles(dst, wt.set, wt.pend)
}

// updateInterest brings every watcher's set up to date and, if emit, emits the changes. It
// runs at the end of endTick, when w.items holds the entities' grid items in the world's
// order. Sets that are recomputed are computed first and their changes counted, so that the
// events of a tick where many watchers start (millions of enter events) are stored at once.
func (w *World) updateInterest(emit bool) {
	in := &w.interest
	if len(w.watchers) == 0 {
		in.valid = false // nothing to compare with next time: every new watcher starts afresh
		return
	}
	capN := int(w.cfg.InterestCap)
	edge := emit && capN == 0 && !in.brute && in.valid && in.track(w.items, w.ringItemsPerUnit())
	in.build(w.cfg, w.items, edge)
	events := 0
	for k := range w.watchers {
		wt := &w.watchers[k]
		e := w.watcherEntity(wt)
		switch {
		case capN > 0:
			wt.materialize()
			wt.how = updCapped
			wt.tmp = w.cappedSet(wt.tmp[:0], wt, e, capN)
		case edge && in.canEdge(wt, e):
			wt.how = updEdge
			continue
		default:
			wt.how = updFull
			wt.materialize()
			wt.tmp = in.grid.appendNear(wt.tmp[:0], e.Pos, e.Interest, e.ID)
			slices.Sort(wt.tmp)
		}
		if emit {
			events += countDiff(wt.set, wt.tmp)
		}
	}
	w.events = slices.Grow(w.events, events)
	for k := range w.watchers {
		wt := &w.watchers[k]
		e := w.watcherEntity(wt)
		if wt.how == updEdge {
			w.updateEdge(wt, e, emit)
		} else {
			if emit {
				w.diffInterest(e, wt.set, wt.tmp)
			}
			wt.set, wt.tmp = wt.tmp, wt.set
		}
		in.updates[wt.how]++
		wt.exact = capN == 0
		wt.r, wt.at = e.Interest, e.Pos
	}
	in.remember(w.items)
}

// ringItemsPerUnit estimates how many more entities an edge scan looks at per unit of
// margin: the ring around a circle of the watchers' mean radius r is 4πr units² wider, at
// the world's mean density.
func (w *World) ringItemsPerUnit() float64 {
	var sum float64
	for k := range w.watchers {
		sum += float64(w.watcherEntity(&w.watchers[k]).Interest)
	}
	r := sum / float64(len(w.watchers))
	return 4 * math.Pi * r * float64(len(w.ents)) / (float64(w.cfg.Width) * float64(w.cfg.Height))
}

// How a watcher's set is updated.
const (
	updEdge   = iota // at its edge (interest_edge.go)
	updFull          // recomputed
	updCapped        // recomputed with the cap (interest_cap.go)
)

func (w *World) watcherEntity(wt *watcher) *Entity {
	i, _ := w.index(wt.id) // a watcher is a live entity: Despawn removes it
	return &w.ents[i]
}

// countDiff returns the size of the symmetric difference of old and cur (both sorted).
func countDiff(old, cur []EntityID) int {
	i, j, same := 0, 0, 0
	for i < len(old) && j < len(cur) {
		switch {
		case old[i] < cur[j]:
			i++
		case cur[j] < old[i]:
			j++
		default:
			i, j, same = i+1, j+1, same+1
		}
	}
	return len(old) + len(cur) - 2*same
}

// diffInterest emits leave events for old−cur and enter events for cur−old (both sorted).
func (w *World) diffInterest(e *Entity, old, cur []EntityID) {
	i, j := 0, 0
	for i < len(old) || j < len(cur) {
		switch {
		case j == len(cur) || (i < len(old) && old[i] < cur[j]):
			w.interestEvent(e, old[i], false)
			i++
		case i == len(old) || cur[j] < old[i]:
			w.interestEvent(e, cur[j], true)
			j++
		default:
			i++
			j++
		}
	}
}

// interestEvent emits that other entered (or left) e's area of interest and posts it to e's
// notify mailbox, if any.
func (w *World) interestEvent(e *Entity, other EntityID, enter bool) {
	typ := EventLeave
	if enter {
		typ = EventEnter
	}
	w.emit(Event{Type: typ, Entity: e.ID, Other: other})
	if e.Notify != 0 {
		Mailbox[AoIEvent]{ID: e.Notify}.Post(w, AoIEvent{Other: other, Enter: enter})
	}
}
