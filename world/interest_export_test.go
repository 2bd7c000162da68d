package world

// SetBruteInterest makes w recompute every area of interest in full at every tick (the
// reference the edge update is tested and benchmarked against).
func SetBruteInterest(w *World, on bool) { w.interest.brute = on }

// InterestUpdates returns how many sets w updated at their edge, recomputed in full and
// recomputed with the cap, since it was made.
func InterestUpdates(w *World) (edge, full, capped uint64) {
	u := w.interest.updates
	return u[updEdge], u[updFull], u[updCapped]
}

// InterestVisited returns how many grid items the edge scans of w looked at.
func InterestVisited(w *World) uint64 { return w.interest.visited }
