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
