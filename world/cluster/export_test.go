package cluster

// SkipAcks makes the zone send none of its next n payload acks, as if they were lost.
func SkipAcks(z *Zone, n int) { z.skipAcks = n }
