package world

// SetNextEntity makes w issue id next: tests start the counter near its limit.
func SetNextEntity(w *World, id EntityID) { w.nextID = id }

// IndexSlots returns the number of slots of w's entity index and of its mailbox table.
func IndexSlots(w *World) (entities, mailboxes int) { return len(w.idx.slots), len(w.mail) }

// ChecksumOfEntityForTest returns the checksum of a new world of seed 1 holding e alone.
func ChecksumOfEntityForTest(e Entity) uint64 {
	w, err := New(Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	defer w.Close()
	w.ents = append(w.ents, e)
	return w.checksum()
}

// ScratchCaps returns the capacities of w's reused slices, by name (the watchers' sets
// summed), for tests of their trimming.
func ScratchCaps(w *World) map[string]int {
	in := &w.interest
	c := map[string]int{
		"events": cap(w.events), "items": cap(w.items), "scratch": cap(w.scratch),
		"ents": cap(w.ents), "tasks": cap(w.tasks), "watchers": cap(w.watchers),
		"grid.items": cap(w.grid.items), "grid.cellOf": cap(w.grid.cellOf),
		"in.prev": cap(in.prev), "in.old": cap(in.old), "in.movers": cap(in.movers),
		"in.unpaired": cap(in.unpaired), "in.paired": cap(in.paired), "in.changes": cap(in.changes),
		"in.capScratch": cap(in.capScratch), "in.grid.items": cap(in.grid.items), "in.grid.cellOf": cap(in.grid.cellOf),
	}
	for k := range w.watchers {
		wt := &w.watchers[k]
		c["sets"] += cap(wt.set) + cap(wt.tmp) + cap(wt.pend) + cap(wt.ptmp)
	}
	return c
}
