// Package clean uses only deterministic constructs.
package clean

import (
	"maps"
	"math/rand/v2"
	"slices"
	"time"
)

// World holds seeded state.
type World struct {
	rng   *rand.Rand
	names map[string]int
	order []string
}

// NewWorld seeds the world's generator.
func NewWorld(seed uint64) *World {
	return &World{rng: rand.New(rand.NewPCG(seed, seed)), names: map[string]int{}}
}

// Step uses only ordered iteration and the seeded generator.
func (w *World) Step(iter func(yield func(int) bool)) (int, time.Duration) {
	sum := w.rng.IntN(10)
	for _, k := range slices.Sorted(maps.Keys(w.names)) {
		sum += w.names[k]
	}
	for i, s := range w.order {
		sum += i + len(s)
	}
	for i := range 3 {
		sum += i
	}
	for v := range iter {
		sum += v
	}
	for _, r := range "abc" {
		sum += int(r)
	}
	d := 3 * time.Second
	return sum, d + time.Unix(0, 0).Sub(time.Unix(1, 0))
}
