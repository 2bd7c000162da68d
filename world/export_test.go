package world

// SetNextEntity makes w issue id next: tests start the counter near its limit.
func SetNextEntity(w *World, id EntityID) { w.nextID = id }

// IndexSlots returns the number of slots of w's entity index and of its mailbox table.
func IndexSlots(w *World) (entities, mailboxes int) { return len(w.idx.slots), len(w.mail) }
