package model

import (
	"fmt"
	"strings"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// HUD is what the heads-up display shows beside a Frame's figures.
type HUD struct {
	Status   Status
	FPS      float64
	Attached string // the debug server watched, "" when the world runs here
	Online   bool   // attached: the last poll succeeded
	Waiting  string // attached: why the server's next tick has not run (a lock-step zone at its barrier), or ""
	Saved    string // the last snapshot saved (S), or ""
	Loaded   string // the last snapshot loaded (L), or ""
	Rewind   string // the last rewind's outcome, or ""
	Message  string // the last error or notice, or ""
}

// GraphTicks is how many ticks the ms-per-tick graph shows.
const GraphTicks = 256

// HUDLines returns the HUD's text lines for frame f.
func HUDLines(f *Frame, h HUD) []string {
	st := f.Stats
	run := "running"
	if h.Status.Paused {
		run = "PAUSED"
	}
	rate := "max"
	if h.Status.Rate > 0 {
		rate = fmt.Sprintf("%g", h.Status.Rate)
	}
	p := server.ProgressOf(st, f.Timings) // the parts of `stackworld run`'s progress line
	c := st.Tasklets
	lines := []string{
		fmt.Sprintf("tick %d  %s  rate %s/s  entities %d  fps %.1f", st.Tick, run, rate, st.Entities, h.FPS),
		fmt.Sprintf("%s paused %d", p.Tasklets(), c.Paused+max(c.Watching-1, 0)),
		p.Timing(),
	}
	if h.Attached != "" {
		state := "connected"
		switch {
		case !h.Online:
			state = "DISCONNECTED (reconnecting)"
		case h.Waiting != "":
			state += ", the next tick waits: " + h.Waiting
		}
		lines = append(lines, fmt.Sprintf("attached to %s: %s", h.Attached, state))
	}
	var files []string
	if h.Saved != "" {
		files = append(files, "saved "+h.Saved)
	}
	if h.Loaded != "" {
		files = append(files, "loaded "+h.Loaded)
	}
	if len(files) > 0 {
		lines = append(lines, strings.Join(files, "  "))
	}
	if h.Rewind != "" {
		lines = append(lines, h.Rewind)
	}
	if h.Message != "" {
		lines = append(lines, h.Message)
	}
	return lines
}

// GraphBars returns the heights, in pixels of a graph heightPx high, of the last GraphTicks
// ticks' wall times (oldest first), scaled so the tallest reaches the top, with at least
// scaleMs (the tick budget, say) as the top; and the top's value in ms.
func GraphBars(ts []world.TickTiming, heightPx int, scaleMs float64) (bars []int, topMs float64) {
	if len(ts) > GraphTicks {
		ts = ts[len(ts)-GraphTicks:]
	}
	topMs = scaleMs
	for _, t := range ts {
		topMs = max(topMs, float64(t.Wall)/float64(time.Millisecond))
	}
	if topMs <= 0 {
		topMs = 1
	}
	bars = make([]int, len(ts))
	for i, t := range ts {
		ms := float64(t.Wall) / float64(time.Millisecond)
		bars[i] = int(ms / topMs * float64(heightPx))
	}
	return bars, topMs
}

// RewindText is the HUD line for a rewind's verdict: "verified" or a loud divergence.
func RewindText(v Verdict, div *Divergence) string {
	if v.Verified {
		kind := ""
		if !v.Deep {
			kind = " (cheap checksum: --deep-every)"
		}
		return fmt.Sprintf("rewound to tick %d (from snapshot %d, %d ticks re-run): verified%s", v.Tick, v.From, v.Ran, kind)
	}
	at := v.Tick
	if div != nil {
		at = div.Tick
	}
	return fmt.Sprintf("!!! DIVERGED at tick %d: rewound to tick %d, checksum %016x differs from the recorded one !!!", at, v.Tick, v.Sum)
}

// ScrubTick returns the tick a timeline scrubber w pixels wide, starting at x0 and spanning
// the ticks first..last, shows at pixel x (clamped to the ends).
func ScrubTick(x, x0, w float64, first, last uint64) uint64 {
	if last <= first || w <= 0 {
		return first
	}
	f := min(max((x-x0)/w, 0), 1)
	return first + uint64(f*float64(last-first)+0.5)
}

// ScrubX returns the pixel at which the scrubber shows tick (the inverse of ScrubTick).
func ScrubX(tick, first, last uint64, x0, w float64) float64 {
	if last <= first {
		return x0
	}
	tick = min(max(tick, first), last)
	return x0 + float64(tick-first)/float64(last-first)*w
}
