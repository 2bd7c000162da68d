package simtest_test

import (
	"errors"
	"flag"
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/sim/detcheck"
	"github.com/stackworld/stackworld/world/simtest"
)

var (
	seeds = flag.Int("simtest.seeds", 24, "how many seeds TestSeeds runs (from -simtest.first)")
	first = flag.Uint64("simtest.first", 1, "the first seed TestSeeds runs")
	ticks = flag.Int("simtest.ticks", 200, "ticks per seed")
)

func TestDeterministicSource(t *testing.T) { detcheck.AssertDeterministic(t, ".") }

// TestSeeds runs a bounded set of seeds (CI: a few seconds); run more with
//
//	go test ./world/simtest -run Seeds -simtest.seeds 1000 -simtest.first 5000 -simtest.ticks 500
//
// or `go run ./cmd/stackworld simtest --seed 5000 --seeds 1000 --ticks 500`. A failing seed
// prints the command that repeats it; add it to regressions once fixed.
func TestSeeds(t *testing.T) {
	n := *seeds
	if testing.Short() {
		n = min(n, 6)
	}
	for seed := *first; seed < *first+uint64(n); seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { run(t, seed, *ticks) })
	}
}

// regressions are seeds that once failed, with the ticks it took.
var regressions = []struct {
	seed  uint64
	ticks int
}{}

func TestRegressions(t *testing.T) {
	for _, c := range regressions {
		t.Run(fmt.Sprint("seed=", c.seed), func(t *testing.T) { run(t, c.seed, c.ticks) })
	}
}

func run(t *testing.T, seed uint64, ticks int) {
	t.Helper()
	res, err := simtest.Run(simtest.Options{Seed: seed, Ticks: ticks})
	if err != nil {
		var f *simtest.Failure
		if errors.As(err, &f) {
			t.Fatalf("%v\nreproduce: %s", err, f.Repro())
		}
		t.Fatal(err)
	}
	t.Log(res)
}
