package main

import (
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/world/server/serverbench"
)

// benchSavePause measures how long an autosave holds the tick loop on the default scenario
// scaled to about 100k entities (×1 with -quick): the copy package server takes (the writer
// goroutine encodes it beside the ticks; frames are copied by it or by the next tick before
// a step, whichever comes first) beside the synchronous save it replaced.
func benchSavePause(c *benchConfig) (benchRow, error) {
	scale := 10
	if c.quick {
		scale = 1
	}
	fmt.Fprintf(c.stderr, "bench: P5 save pause, default scenario ×%d ...", scale)
	w, err := serverbench.ScaledWorld(scale)
	if err != nil {
		return benchRow{}, err
	}
	defer w.Close()
	type pauses struct{ p50, p99, cpu, onTick float64 }
	run := func(capture bool) (pauses, error) {
		res := testing.Benchmark(func(b *testing.B) { serverbench.SavePause(b, w, capture) })
		if res.N == 0 {
			return pauses{}, fmt.Errorf("save pause: the benchmark failed its own check")
		}
		x := res.Extra
		return pauses{x["p50-ms"], x["p99-ms"], x["cpu-ms/pause"], x["tick-copied-%"]}, nil
	}
	capt, err := run(true)
	if err != nil {
		return benchRow{}, err
	}
	sync, err := run(false)
	if err != nil {
		return benchRow{}, err
	}
	fmt.Fprintf(c.stderr, " p50 %.3g ms, p99 %.3g ms (sync save p50 %.3g ms)\n", capt.p50, capt.p99, sync.p50)
	return benchRow{"P5", fmt.Sprintf("autosave pause of the tick loop, %s entities", count(w.Len())), "≤5 ms at 100k",
		fmt.Sprintf("p50 %.1f ms, p99 %.1f ms (CPU %.1f ms; the next tick copied %.2g%% of the frames)", capt.p50, capt.p99, capt.cpu, capt.onTick),
		fmt.Sprintf("synchronous save p50 %.1f ms, p99 %.1f ms (CPU %.1f ms)", sync.p50, sync.p99, sync.cpu),
		speedup(sync.p50, capt.p50), met(capt.p99 <= 5)}, nil
}
