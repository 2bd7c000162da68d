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
	}
}

// fpsRun measures --fps: a warm-up, then frames per second of an empty frame, then of the
// viewer's frame, in the same process; it prints both and their ratio.
type fpsRun struct {
	phase   int // 0 warm-up, 1 empty, 2 world
	seconds float64
	t0      time.Time
	n       int
	empty1  float64
}

func newFPSRun(seconds float64) *fpsRun { return &fpsRun{seconds: seconds} }

// empty reports whether this frame must be empty (warm-up and the empty phase).
func (r *fpsRun) empty() bool { return r.phase < 2 }

func (r *fpsRun) frame(g *game) {
	now := time.Now()
	if r.t0.IsZero() {
		r.t0 = now
	}
	r.n++
	d := now.Sub(r.t0).Seconds()
	limit := r.seconds
	if r.phase == 0 {
		limit = 1
	}
	if d < limit {
		return
	}
	fps := float64(r.n) / d
	switch r.phase {
	case 1:
		r.empty1 = fps
	case 2:
		fmt.Fprintf(g.stdout, "fps: empty %dx%d frame %.1f, viewer %.1f (%d entities), ratio %.2f\n",
			g.sw, g.sh, r.empty1, fps, len(g.frame.Markers), fps/r.empty1)
		g.cancel()
	}
	r.phase++
	r.t0, r.n = now, 0
}
