package persist_test

import (
	"testing"

	"github.com/stackworld/stackworld/persist/persistbench"
)

// BenchmarkSnapshot is P5: save and load of 1M mixed parked tasklets, beside gob. The 1M
// size runs only with -bench (it builds a 1M-tasklet world, ~2 s).
func BenchmarkSnapshot(b *testing.B) {
	persistbench.Run(b, 10_000, 1_000_000)
}
