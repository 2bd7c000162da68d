package main

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"slices"
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
// load changes treats both alike. It prints both rates over the whole run and the median
// of the ratios of each viewer slice to the empty slice just before it: on a shared machine
// a burst of load spoils a pair or two, not the figure.
type fpsRun struct {
	seconds float64    // of each kind of frame
	t0      time.Time  // the current slice's start
	n       int        // frames in the current slice
	slice   int        // 0: warm-up; odd: empty frames; even: the viewer's
	frames  [2]int     // empty, viewer
	took    [2]float64 // seconds
	last    float64    // the rate of the last empty slice
	ratios  []float64  // of each viewer slice to the empty slice before it
}

// fpsSlice is how long each run of one kind of frame lasts.
const fpsSlice = 0.5

func newFPSRun(seconds float64) *fpsRun { return &fpsRun{seconds: seconds} }

// empty reports whether this frame must be empty (the warm-up and the empty slices).
func (r *fpsRun) empty() bool { return r.slice%2 == 1 || r.slice == 0 }

// frame counts a frame and, at the end of a slice, its rate; when both kinds have run
// their seconds it prints the figures and ends the game.
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
		r.endSlice(r.n, d)
	}
	r.slice++
	r.t0, r.n = now, 0
	if r.took[0] >= r.seconds && r.took[1] >= r.seconds {
		fmt.Fprintln(g.stdout, r.report(g))
		g.cancel()
	}
}

// endSlice adds a slice of n frames in d seconds.
func (r *fpsRun) endSlice(n int, d float64) {
	k := 1 - r.slice%2 // odd slices: empty (0)
	r.frames[k] += n
	r.took[k] += d
	rate := float64(n) / d
	if k == 0 {
		r.last = rate
	} else if r.last > 0 {
		r.ratios = append(r.ratios, rate/r.last)
	}
}

// report is the line --fps prints.
func (r *fpsRun) report(g *game) string {
	empty, viewer := float64(r.frames[0])/r.took[0], float64(r.frames[1])/r.took[1]
	return fmt.Sprintf("fps: empty %dx%d frame %.1f, viewer %.1f (%d entities, world at %g ticks/s), ratio %.2f (median of %d slice pairs; %s)",
		g.sw, g.sh, empty, viewer, len(g.frame.Markers), g.hud.Status.Rate, median(r.ratios), len(r.ratios), quartiles(r.ratios))
}

// median returns the median of vs (0 if empty); vs is sorted in place.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	slices.Sort(vs)
	m := len(vs) / 2
	if len(vs)%2 == 0 {
		return (vs[m-1] + vs[m]) / 2
	}
	return vs[m]
}

// quartiles says where the middle half of the ratios lie.
func quartiles(vs []float64) string {
	if len(vs) < 4 {
		return "too few pairs for quartiles"
	}
	slices.Sort(vs)
	return fmt.Sprintf("middle half %.2f-%.2f", vs[len(vs)/4], vs[len(vs)*3/4])
}
