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
	run := func(capture bool) (wall, cpu, onTick float64, err error) {
		res := testing.Benchmark(func(b *testing.B) { serverbench.SavePause(b, w, capture) })
		if res.N == 0 {
			return 0, 0, 0, fmt.Errorf("save pause: the benchmark failed its own check")
		}
		return res.Extra["ms/pause"], res.Extra["cpu-ms/pause"], res.Extra["tick-copied-%"], nil
	}
	pause, pauseCPU, onTick, err := run(true)
	if err != nil {
		return benchRow{}, err
	}
	sync, syncCPU, _, err := run(false)
	if err != nil {
		return benchRow{}, err
	}
	fmt.Fprintf(c.stderr, " %.3g ms (sync save %.3g ms)\n", pause, sync)
	return benchRow{"P5", fmt.Sprintf("autosave pause of the tick loop, %s entities", count(w.Len())), "≤5 ms at 100k",
		fmt.Sprintf("%.1f ms (CPU %.1f ms; the next tick copied %.2g%% of the frames)", pause, pauseCPU, onTick), fmt.Sprintf("synchronous save %.1f ms (CPU %.1f ms)", sync, syncCPU),
		speedup(sync, pause), met(pause <= 5)}, nil
}
