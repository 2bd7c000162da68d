package main

import (
	"fmt"
	"runtime"

	"github.com/stackworld/stackworld/world/server/serverbench"
)

// The number of autosave pauses P5 takes of each kind: the p99 of fewer than 100 is the
// largest pause.
const (
	captureSamples, syncSamples           = 100, 20
	captureSamplesQuick, syncSamplesQuick = 20, 5
)

// benchSavePause measures how long an autosave holds the tick loop on the default scenario
// scaled to about 100k entities (×1 with -quick): the copy package server takes (the writer
// goroutine encodes it beside the ticks; frames are copied by it or by the next tick before
// a step, whichever comes first), its first (a server's first autosave) apart, beside the
// synchronous save it replaced. The row names the GOMAXPROCS it ran with.
func benchSavePause(c *benchConfig) (benchRow, error) {
	scale, nCapture, nSync := 10, captureSamples, syncSamples
	if c.quick {
		scale, nCapture, nSync = 1, captureSamplesQuick, syncSamplesQuick
	}
	fmt.Fprintf(c.stderr, "bench: P5 save pause, default scenario ×%d ...", scale)
	w, err := serverbench.ScaledWorld(scale)
	if err != nil {
		return benchRow{}, err
	}
	defer w.Close()
	run := func(capture bool, n int) (serverbench.PauseStats, error) {
		p, err := serverbench.NewPauser(w, capture)
		if err != nil {
			return serverbench.PauseStats{}, fmt.Errorf("save pause: %w", err)
		}
		for range n {
			if err := p.Pause(); err != nil {
				return serverbench.PauseStats{}, fmt.Errorf("save pause: %w", err)
			}
			if err := p.Next(); err != nil {
				return serverbench.PauseStats{}, fmt.Errorf("save pause: %w", err)
			}
		}
		return p.Pauses.Stats(), nil
	}
	capt, err := run(true, nCapture)
	if err != nil {
		return benchRow{}, err
	}
	sync, err := run(false, nSync)
	if err != nil {
		return benchRow{}, err
	}
	fmt.Fprintf(c.stderr, " p50 %.3g ms, mean %.3g ms, max %.3g ms, first %.3g ms (sync save p50 %.3g ms)\n",
		capt.P50, capt.Mean, capt.Max, capt.First, sync.P50)
	return benchRow{"P5", fmt.Sprintf("autosave pause of the tick loop, %s entities, GOMAXPROCS=%d", count(w.Len()), runtime.GOMAXPROCS(0)),
		"≤5 ms at 100k (p50 and mean), none over a 50 ms tick",
		fmt.Sprintf("p50 %.1f ms, mean %.1f ms, p99 %.1f ms of %d, first %.1f ms (CPU %.1f ms; the next tick copied %.2g%% of the frames)",
			capt.P50, capt.Mean, capt.P99, capt.N, capt.First, capt.CPU, capt.CopiedOnTickPct),
		fmt.Sprintf("synchronous save p50 %.1f ms, p99 %.1f ms of %d (CPU %.1f ms)", sync.P50, sync.P99, sync.N, sync.CPU),
		speedup(sync.P50, capt.P50), met(capt.P50 <= 5 && capt.Mean <= 5, max(capt.Max, capt.First) <= 50)}, nil
}
