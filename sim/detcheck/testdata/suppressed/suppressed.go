// Package suppressed explains each of its non-deterministic lines.
package suppressed

import (
	"math/rand/v2"
	"time"
)

// Stats uses constructs whose order or value cannot reach the world.
func Stats(m map[string]int, work func()) (int, time.Duration) {
	start := time.Now() // determinism: measures wall time for a log line only
	n := 0
	// determinism: summing is commutative, so the order cannot matter
	for _, v := range m {
		n += v
	}
	/* determinism: jitter for a retry backoff, never saved */
	n += rand.IntN(2)
	go work() /* determinism: work only writes to its own log */
	// determinism:
	for k := range m { // want "map-range"
		n += len(k)
	}
	// determinism: a comment two lines above does not count

	for k := range m { // want "map-range"
		n += len(k)
	}
	return n, time.Since(start) // want "wall-clock"
}
