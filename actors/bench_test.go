package actors_test

import (
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/actors/actorbench"
)

// BenchmarkP6 is the world's speed target: 100k wandering NPCs, one neighbour query each per
// tick, at most 20 ms per tick on one core; 10k and 1M for the trend, each beside the plain
// loop baseline (benchstat -col /impl).
func BenchmarkP6(b *testing.B) {
	if err := actorbench.Same(1000, 5); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("impl=world/N=%d", n), func(b *testing.B) { actorbench.P6(b, n) })
		b.Run(fmt.Sprintf("impl=loop/N=%d", n), func(b *testing.B) { actorbench.P6Baseline(b, n) })
	}
}

func TestP6SameAsBaseline(t *testing.T) {
	if err := actorbench.Same(2000, 20); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkSnapshot measures saving and loading a P6 world through persist.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("op=save/N=%d", n), func(b *testing.B) { actorbench.Save(b, n) })
		b.Run(fmt.Sprintf("op=load/N=%d", n), func(b *testing.B) { actorbench.Load(b, n) })
	}
}
