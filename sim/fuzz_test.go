package sim_test

import "testing"

// FuzzProgram fuzzes the seed of the random programs of property_test.go: each seed must
// keep the scheduler's invariants on every switch and step and give the same event log
// twice. A failure prints the seed first; TestRandomPrograms-style replay is one number.
func FuzzProgram(f *testing.F) {
	for _, seed := range []uint64{1, 2, 3, 42, 1 << 40} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { checkRandomProgram(t, seed) })
}
