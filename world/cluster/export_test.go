package cluster

// SkipAcks makes the zone send none of its next n payload acks, as if they were lost.
func SkipAcks(z *Zone, n int) { z.skipAcks = n }

// GapDeliveries returns the most times a letter waiting for a gap has been delivered.
func GapDeliveries(z *Zone) uint64 {
	var n uint64
	for _, d := range z.gaps { // determinism: a maximum
		n = max(n, d)
	}
	return n
}

// SetMailLimit sets the most letters the mail stream holds for one zone (for zones opened
// from now on) and returns the function that puts the default back.
func SetMailLimit(perZone int64) (restore func()) {
	old := mailLimits
	mailLimits.perSubject = perZone
	return func() { mailLimits = old }
}
