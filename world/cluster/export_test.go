package cluster

import "time"

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
	mailLimits.PerZone = perZone
	return func() { mailLimits = old }
}

// WarnSchedule returns how long a wait at the barrier has lasted at each of its first n
// warnings.
func WarnSchedule(n int) []time.Duration {
	out := []time.Duration{barrierWarnFirst}
	for len(out) < n {
		out = append(out, nextWarn(out[len(out)-1]))
	}
	return out
}

// SetAuditRound sets the shortest time between two rounds of the directory audit and
// returns the function that puts the default back.
func SetAuditRound(d time.Duration) (restore func()) {
	old := auditRound
	auditRound = d
	return func() { auditRound = old }
}

// SetMigrationLimit sets the most payloads the migration stream holds for one zone (for
// zones opened from now on) and returns the function that puts the default back.
func SetMigrationLimit(perZone int64) (restore func()) {
	old := migrationLimits
	migrationLimits.PerZone = perZone
	return func() { migrationLimits = old }
}

// SaveMarks returns how many saves whose copy is taken the zone still waits to hear
// are written.
func SaveMarks(z *Zone) int { return len(z.store.marks) }
