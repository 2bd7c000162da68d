package main

import (
	"fmt"
	"image/color"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/ebitenutil"

	"github.com/stackworld/stackworld/cmd/viewer/model"
	"github.com/stackworld/stackworld/world"
)

// Colours of the map's furniture.
var (
	backgroundColor = color.RGBA{0x10, 0x14, 0x18, 0xff}
	mapColor        = color.RGBA{0x18, 0x20, 0x28, 0xff}
	gridColor       = color.RGBA{0x28, 0x32, 0x3c, 0xff}
	selectColor     = color.RGBA{0xff, 0xff, 0xff, 0xff}
	neighbourColor  = color.RGBA{0x00, 0xe0, 0xff, 0xff}
	diffColor       = color.RGBA{0xff, 0x80, 0x00, 0xff}
	panelColor      = color.RGBA{0x00, 0x00, 0x00, 0xc0}
	graphColor      = color.RGBA{0x60, 0xc0, 0xff, 0xff}
)

// Text metrics of ebitenutil's debug font.
const (
	charW = 6
	lineH = 16
)

// minGridPx is the closest grid lines are drawn: coarser multiples of the cell size are
// drawn when cells get smaller on screen.
const minGridPx = 12

// drawMap draws the map, grid, entity markers and highlights of frame f under camera c
// into the batch, then flushes it onto dst.
func drawMap(dst *ebiten.Image, b *batch, f *model.Frame, c model.Camera, hl *model.Highlight) {
	sw, sh := dst.Bounds().Dx(), dst.Bounds().Dy()
	// The map's rectangle and the margins around it, copied (flushOpaque) in the batch:
	// every pixel is written once, which matters to a software renderer.
	x0, y0 := c.ToScreen(world.Vec{})
	x1, y1 := c.ToScreen(world.Vec{X: f.Width, Y: f.Height})
	fw, fh := float32(sw), float32(sh)
	l, t, r, bt := float32(max(x0, 0)), float32(max(y0, 0)), float32(min(x1, float64(sw))), float32(min(y1, float64(sh)))
	if r <= l || bt <= t {
		l, t, r, bt = 0, 0, 0, 0 // the map is off screen: all margin
	}
	b.rect(l, t, r, bt, mapColor)
	b.rect(0, 0, fw, t, backgroundColor)
	b.rect(0, bt, fw, fh, backgroundColor)
	b.rect(0, t, l, bt, backgroundColor)
	b.rect(r, t, fw, bt, backgroundColor)
	drawGrid(b, f, c, sw, sh)
	if hl != nil {
		drawHighlightsBelow(b, f, c, hl)
	}
	px := float32(c.MarkerPixels())
	half := px / 2
	mw, mh := float32(sw)+half, float32(sh)+half
	for i := range f.Markers {
		m := &f.Markers[i]
		x, y := c.ToScreen(m.Pos)
		fx, fy := float32(x), float32(y)
		if fx < -half || fy < -half || fx > mw || fy > mh {
			continue
		}
		b.marker(fx, fy, px, m.Kind, m.Outline)
	}
	b.flushOpaque(dst) // every colour of the map is opaque
}

// drawGrid adds the grid lines: every cell, or every 2^k cells when cells are small.
func drawGrid(b *batch, f *model.Frame, c model.Camera, sw, sh int) {
	step := float64(max(f.CellSize, 1))
	for step*c.Zoom < minGridPx {
		step *= 2
	}
	x0, y0 := c.ToScreen(world.Vec{})
	x1, y1 := c.ToScreen(world.Vec{X: f.Width, Y: f.Height})
	top, bottom := float32(max(y0, 0)), float32(min(y1, float64(sh)))
	left, right := float32(max(x0, 0)), float32(min(x1, float64(sw)))
	for wx := 0.0; wx <= float64(f.Width); wx += step {
		x := (wx - c.X) * c.Zoom
		if x >= 0 && x <= float64(sw) {
			b.rect(float32(x), top, float32(x)+1, bottom, gridColor)
		}
	}
	for wy := 0.0; wy <= float64(f.Height); wy += step {
		y := (wy - c.Y) * c.Zoom
		if y >= 0 && y <= float64(sh) {
			b.rect(left, float32(y), right, float32(y)+1, gridColor)
		}
	}
}

// drawHighlightsBelow adds, under the markers, the selected entity's area of interest (a
// circle), a frame around its neighbours and itself, and frames around differing entities.
func drawHighlightsBelow(b *batch, f *model.Frame, c model.Camera, hl *model.Highlight) {
	px := float32(c.MarkerPixels())
	ring := func(id world.EntityID, col color.RGBA) {
		if m, ok := f.Find(id); ok {
			x, y := c.ToScreen(m.Pos)
			h := px/2 + 3
			b.rect(float32(x)-h, float32(y)-h, float32(x)+h, float32(y)+h, col)
		}
	}
	for _, id := range hl.Differ {
		ring(id, diffColor)
	}
	for _, id := range hl.Neighbours {
		ring(id, neighbourColor)
	}
	if hl.Selected == 0 {
		return
	}
	ring(hl.Selected, selectColor)
	if m, ok := f.Find(hl.Selected); ok && hl.Interest > 0 {
		x, y := c.ToScreen(m.Pos)
		r := float64(hl.Interest) * c.Zoom
		const segs = 64
		for i := range segs {
			a0, a1 := 2*math.Pi*float64(i)/segs, 2*math.Pi*float64(i+1)/segs
			b.line(float32(x+r*math.Cos(a0)), float32(y+r*math.Sin(a0)), float32(x+r*math.Cos(a1)), float32(y+r*math.Sin(a1)), 2, neighbourColor)
		}
	}
}

// drawPanel draws lines of text on a dark panel at (x, y), at most width pixels wide, and
// returns the panel's height.
func drawPanel(dst *ebiten.Image, b *batch, lines []string, x, y, width int) int {
	if len(lines) == 0 {
		return 0
	}
	h := len(lines)*lineH + 8
	b.rect(float32(x), float32(y), float32(x+width), float32(y+h), panelColor)
	b.flush(dst)
	maxChars := max((width-8)/charW, 1)
	for i, l := range lines {
		if len(l) > maxChars {
			l = l[:max(maxChars-3, 0)] + "..."
		}
		ebitenutil.DebugPrintAt(dst, l, x+4, y+4+i*lineH)
	}
	return h
}

// drawGraph draws the ms-per-tick graph: one bar per tick, newest on the right.
func drawGraph(dst *ebiten.Image, b *batch, f *model.Frame, x, y, w, h int) {
	bars, top := model.GraphBars(f.Timings, h-lineH, 50)
	b.rect(float32(x), float32(y), float32(x+w), float32(y+h), panelColor)
	bw := float32(w) / float32(model.GraphTicks)
	base := float32(y + h)
	for i, bh := range bars {
		bx := float32(x) + float32(model.GraphTicks-len(bars)+i)*bw
		b.rect(bx, base-float32(bh), bx+max(bw, 1), base, graphColor)
	}
	b.flush(dst)
	ebitenutil.DebugPrintAt(dst, fmt.Sprintf("ms/tick (top %.1f)", top), x+4, y)
}
