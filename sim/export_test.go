package sim

// SetNextIDForTest makes s issue tasklet ids from id on, so that tests run past the id
// space's boundaries (2^32, MaxID) without spawning billions of tasklets.
func SetNextIDForTest(s *Scheduler, id ID) { s.nextID = id }
