package main

import (
	"fmt"
	"image/color"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/ebitenutil"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"github.com/stackworld/stackworld/cmd/viewer/model"
)

// The timeline scrubber along the bottom: the recorded ticks, the kept snapshots and the
// current tick; a click or a drag on it rewinds there (when the button is released).
const (
	scrubH      = 14
	scrubMargin = 8
)

var (
	scrubColor  = color.RGBA{0x30, 0x38, 0x48, 0xff}
	snapColor   = color.RGBA{0x80, 0x90, 0xa0, 0xff}
	cursorColor = color.RGBA{0xff, 0xff, 0xff, 0xff}
	targetColor = color.RGBA{0xff, 0xa0, 0x00, 0xff}
)

// scrubState is what the scrubber shows and the drag in progress.
type scrubState struct {
	dragging bool
	target   uint64
}

// scrubRect returns the scrubber's bar: left, top, width.
func (g *game) scrubRect() (x0, y0, w float64) {
	return scrubMargin + 40, float64(g.sh - scrubMargin - scrubH), float64(g.sw - 2*scrubMargin - 40 - panelWidth)
}

// scrubbing handles the mouse on the scrubber; it reports whether the scrubber took it.
func (g *game) scrubbing(x, y int) bool {
	x0, y0, w := g.scrubRect()
	fx, fy := float64(x), float64(y)
	s := &g.scrub
	switch {
	case inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft):
		if fx < x0-4 || fx > x0+w+4 || fy < y0-4 || fy > y0+scrubH+4 {
			return false
		}
		s.dragging = true
		s.target = model.ScrubTick(fx, x0, w, g.first, g.last)
		return true
	case s.dragging && ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft):
		s.target = model.ScrubTick(fx, x0, w, g.first, g.last)
		return true
	case s.dragging:
		s.dragging = false
		g.rewindTo(s.target)
		return true
	}
	return false
}

func (g *game) drawScrubber(screen *ebiten.Image) {
	x0, y0, w := g.scrubRect()
	if w < 20 {
		return
	}
	s := &g.scrub
	b := &g.batch
	b.rect(float32(x0), float32(y0), float32(x0+w), float32(y0+scrubH), scrubColor)
	for _, t := range g.snaps {
		x := float32(model.ScrubX(t, g.first, g.last, x0, w))
		b.rect(x, float32(y0+scrubH/2), x+1, float32(y0+scrubH), snapColor)
	}
	x := float32(model.ScrubX(g.frame.Tick, g.first, g.last, x0, w))
	b.rect(x-1, float32(y0-2), x+2, float32(y0+scrubH+2), cursorColor)
	if s.dragging {
		x := float32(model.ScrubX(s.target, g.first, g.last, x0, w))
		b.rect(x-1, float32(y0-2), x+2, float32(y0+scrubH+2), targetColor)
	}
	b.flush(screen)
	label := fmt.Sprintf("%d", g.first)
	if s.dragging {
		label = fmt.Sprintf("->%d", s.target)
	}
	ebitenutil.DebugPrintAt(screen, label, scrubMargin, int(y0)-2)
	ebitenutil.DebugPrintAt(screen, fmt.Sprintf("%d", g.last), int(x0+w)+4, int(y0)-2)
}
