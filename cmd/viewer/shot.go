package main

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
)

// screenshot writes screen to --screenshot as a PNG and reports it.
func (g *game) screenshot(screen *ebiten.Image) string {
	b := screen.Bounds()
	img := image.NewRGBA(b)
	screen.ReadPixels(img.Pix)
	f, err := os.Create(g.o.screenshot)
	if err == nil {
		err = png.Encode(f, img)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(g.stdout, "screenshot:", err)
		return err.Error()
	}
	fmt.Fprintf(g.stdout, "wrote %s (%dx%d, tick %d)\n", g.o.screenshot, b.Dx(), b.Dy(), g.frame.Tick)
	return ""
}

// countFPS updates the HUD's frames per second once a second.
func (g *game) countFPS() {
	now := time.Now()
	if g.fpsAt.IsZero() {
		g.fpsAt = now
	}
	g.fpsN++
	if d := now.Sub(g.fpsAt); d >= time.Second {
		g.hud.FPS = float64(g.fpsN) / d.Seconds()
		g.fpsAt, g.fpsN = now, 0
		g.dirty = true // the HUD shows the new figure
	}
}

// fpsRun measures --fps: after a warm-up, frames per second of an empty frame and of the
// viewer's frame, in the same process, alternating every fpsSlice so that a machine whose
// load changes treats both alike; it prints both rates and their ratio.
type fpsRun struct {
	seconds float64    // of each kind of frame
	t0      time.Time  // the current slice's start
	n       int        // frames in the current slice
	slice   int        // 0: warm-up; odd: empty frames; even: the viewer's
	frames  [2]int     // empty, viewer
	took    [2]float64 // seconds
}

// fpsSlice is how long each run of one kind of frame lasts.
const fpsSlice = 0.5

func newFPSRun(seconds float64) *fpsRun { return &fpsRun{seconds: seconds} }

// empty reports whether this frame must be empty (the warm-up and the empty slices).
func (r *fpsRun) empty() bool { return r.slice%2 == 1 || r.slice == 0 }

func (r *fpsRun) frame(g *game) {
	now := time.Now()
	if r.t0.IsZero() {
		r.t0 = now
	}
	r.n++
	d := now.Sub(r.t0).Seconds()
	limit := fpsSlice
	if r.slice == 0 {
		limit = 1
	}
	if d < limit {
		return
	}
	if r.slice > 0 {
		k := 1 - r.slice%2 // odd slices: empty (0)
		r.frames[k] += r.n
		r.took[k] += d
	}
	r.slice++
	r.t0, r.n = now, 0
	if r.took[0] >= r.seconds && r.took[1] >= r.seconds {
		empty, viewer := float64(r.frames[0])/r.took[0], float64(r.frames[1])/r.took[1]
		fmt.Fprintf(g.stdout, "fps: empty %dx%d frame %.1f, viewer %.1f (%d entities, world at %g ticks/s), ratio %.2f\n",
			g.sw, g.sh, empty, viewer, len(g.frame.Markers), g.hud.Status.Rate, viewer/empty)
		g.cancel()
	}
}
