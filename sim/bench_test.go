package sim_test

// Benchmarks with their baselines in the same run (STYLE §8); the bodies live in
// sim/simbench so that "stackworld bench" runs the same code. Targets: simbench's doc.
//
//	go test -run '^$' -bench . -cpu 1 -benchtime 0.5s -count 3 ./sim   # about 70 s
//
// The machine is shared: compare medians of interleaved runs, not single figures.

import (
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/sim/simbench"
)

// turnSizes are the ring sizes of BenchmarkTurn; -short stops at 10k.
func turnSizes() []int {
	if testing.Short() {
		return []int{1_000, 10_000}
	}
	return []int{1_000, 10_000, 100_000, 1_000_000}
}

// BenchmarkTurn (P1): one turn of a soft tasklet that yields forever, with the ring in
// spawn order and shuffled, against iter.Pull coroutines resumed round-robin.
func BenchmarkTurn(b *testing.B) {
	for _, n := range turnSizes() {
		b.Run(fmt.Sprintf("impl=soft/order=spawn/N=%d", n), func(b *testing.B) { simbench.Turn(b, n, false) })
		b.Run(fmt.Sprintf("impl=soft/order=shuffled/N=%d", n), func(b *testing.B) { simbench.Turn(b, n, true) })
		b.Run(fmt.Sprintf("impl=pull/order=spawn/N=%d", n), func(b *testing.B) { simbench.PullTurn(b, n) })
	}
}

// BenchmarkHandoff (P2): send→receive between two soft tasklets (a pointer; an int, which
// is boxed) against two goroutines over an unbuffered channel.
func BenchmarkHandoff(b *testing.B) {
	b.Run("impl=soft/value=ptr", simbench.Handoff)
	b.Run("impl=soft/value=int", simbench.HandoffInt)
	b.Run("impl=goroutine/value=int", simbench.GoroutineHandoff)
}

// BenchmarkHardSwitch (P3): the switch from one hard tasklet to the next (each runs
// h.Schedule().Wait()), and the main tasklet's round trip through one hard tasklet, against
// a raw iter.Pull next() and a model of the least a ring scheduler adds to that round trip.
func BenchmarkHardSwitch(b *testing.B) {
	b.Run("impl=hard", simbench.HardSwitch)
	b.Run("impl=main+hard", simbench.MainHardSwitch)
	b.Run("impl=pull", simbench.PullSwitch)
	b.Run("impl=pull+ring", simbench.PullRingSwitch)
}
