package main

import (
	"image"
	"image/color"
	"math"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/stackworld/stackworld/cmd/viewer/model"
	"github.com/stackworld/stackworld/world"
)

// The sprite atlas: one cell per (kind colour, outline), each an outline-coloured square
// with a kind-coloured inside, plus a white cell for lines and rectangles. A marker is one
// quad sampling its cell with the nearest filter, so the whole map is one vertex buffer
// drawn with as few DrawTriangles calls as the index limit allows (one up to ~10,900
// quads).
const (
	cellPx    = 16         // a sprite cell's side
	borderPx  = 2          // the outline's width inside a cell
	stridePx  = cellPx + 2 // cells sit 1 pixel apart, the gap in the outline's colour, so that a sample a hair outside a cell still gets its colour
	atlasCols = model.NumKindColors
	atlasRows = int(model.NumOutlines) + 1 // the last row holds the white cell
	// maxBatchQuads is the most quads one DrawTriangles call takes (uint16 indices).
	maxBatchQuads = ebiten.MaxIndicesCount / 6
)

// batch accumulates quads and draws them with DrawTriangles.
type batch struct {
	atlas *ebiten.Image
	verts []ebiten.Vertex
	idx   []uint16
	calls int // DrawTriangles calls of the last flush
}

func newAtlas() *ebiten.Image {
	img := image.NewRGBA(image.Rect(0, 0, atlasCols*stridePx, atlasRows*stridePx))
	for o := range model.NumOutlines {
		oc := model.OutlineColor(o)
		for k := range atlasCols {
			kc := model.KindColor(world.Kind(k))
			for y := -1; y <= cellPx; y++ {
				for x := -1; x <= cellPx; x++ {
					c := kc
					if x < borderPx || y < borderPx || x >= cellPx-borderPx || y >= cellPx-borderPx {
						c = oc
					}
					img.SetRGBA(k*stridePx+1+x, int(o)*stridePx+1+y, c)
				}
			}
		}
	}
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	for y := range stridePx {
		for x := range stridePx {
			img.SetRGBA(x, (atlasRows-1)*stridePx+y, white)
		}
	}
	return ebiten.NewImageFromImage(img)
}

// quad adds a rectangle (x0, y0)-(x1, y1) sampling the source rectangle at (sx, sy) of
// side sw×sh, tinted by c (premultiplied, 0..1).
func (b *batch) quad(x0, y0, x1, y1, sx, sy, sw, sh float32, r, g, bl, a float32) {
	n := uint16(len(b.verts) % (maxBatchQuads * 4))
	b.verts = append(b.verts,
		ebiten.Vertex{DstX: x0, DstY: y0, SrcX: sx, SrcY: sy, ColorR: r, ColorG: g, ColorB: bl, ColorA: a},
		ebiten.Vertex{DstX: x1, DstY: y0, SrcX: sx + sw, SrcY: sy, ColorR: r, ColorG: g, ColorB: bl, ColorA: a},
		ebiten.Vertex{DstX: x0, DstY: y1, SrcX: sx, SrcY: sy + sh, ColorR: r, ColorG: g, ColorB: bl, ColorA: a},
		ebiten.Vertex{DstX: x1, DstY: y1, SrcX: sx + sw, SrcY: sy + sh, ColorR: r, ColorG: g, ColorB: bl, ColorA: a},
	)
	b.idx = append(b.idx, n, n+1, n+2, n+1, n+3, n+2)
}

// marker adds an entity's sprite centred at (x, y), side px.
func (b *batch) marker(x, y, px float32, k world.Kind, o model.Outline) {
	// whole pixels: every marker of a size looks the same, wherever it lies
	px = float32(math.Round(float64(px)))
	x0 := float32(math.Floor(float64(x - px/2 + 0.5)))
	y0 := float32(math.Floor(float64(y - px/2 + 0.5)))
	sx := float32(int(k)%atlasCols*stridePx + 1)
	sy := float32(int(o)*stridePx + 1)
	b.quad(x0, y0, x0+px, y0+px, sx, sy, cellPx, cellPx, 1, 1, 1, 1)
}

// rect adds a filled rectangle of colour c.
func (b *batch) rect(x0, y0, x1, y1 float32, c color.RGBA) {
	const s = float32((atlasRows-1)*stridePx + stridePx/2)
	a := float32(c.A) / 255
	// premultiplied: the white cell times the colour, scaled by alpha
	b.quad(x0, y0, x1, y1, cellPx/2, s, 0, 0, float32(c.R)/255*a, float32(c.G)/255*a, float32(c.B)/255*a, a)
}

// line adds a line of width wpx from (x0, y0) to (x1, y1), axis-aligned or not.
func (b *batch) line(x0, y0, x1, y1, wpx float32, c color.RGBA) {
	dx, dy := x1-x0, y1-y0
	l := sqrt32(dx*dx + dy*dy)
	if l == 0 {
		return
	}
	nx, ny := -dy/l*wpx/2, dx/l*wpx/2
	const s = float32((atlasRows-1)*stridePx + stridePx/2)
	a := float32(c.A) / 255
	r, g, bl := float32(c.R)/255*a, float32(c.G)/255*a, float32(c.B)/255*a
	n := uint16(len(b.verts) % (maxBatchQuads * 4))
	b.verts = append(b.verts,
		ebiten.Vertex{DstX: x0 + nx, DstY: y0 + ny, SrcX: cellPx / 2, SrcY: s, ColorR: r, ColorG: g, ColorB: bl, ColorA: a},
		ebiten.Vertex{DstX: x1 + nx, DstY: y1 + ny, SrcX: cellPx / 2, SrcY: s, ColorR: r, ColorG: g, ColorB: bl, ColorA: a},
		ebiten.Vertex{DstX: x0 - nx, DstY: y0 - ny, SrcX: cellPx / 2, SrcY: s, ColorR: r, ColorG: g, ColorB: bl, ColorA: a},
		ebiten.Vertex{DstX: x1 - nx, DstY: y1 - ny, SrcX: cellPx / 2, SrcY: s, ColorR: r, ColorG: g, ColorB: bl, ColorA: a},
	)
	b.idx = append(b.idx, n, n+1, n+2, n+1, n+3, n+2)
}

// flush draws the quads added since the last flush over dst (they may be translucent), in
// as many DrawTriangles calls as the index limit needs, and empties the batch.
func (b *batch) flush(dst *ebiten.Image) { b.draw(dst, ebiten.BlendSourceOver) }

// flushOpaque is flush for quads that are all opaque: they replace what is under them
// (ebiten.BlendCopy), so a software renderer writes their pixels without reading dst's.
func (b *batch) flushOpaque(dst *ebiten.Image) { b.draw(dst, ebiten.BlendCopy) }

func (b *batch) draw(dst *ebiten.Image, blend ebiten.Blend) {
	b.calls = 0
	op := &ebiten.DrawTrianglesOptions{Blend: blend}
	for q := 0; q < len(b.verts)/4; q += maxBatchQuads {
		end := min(q+maxBatchQuads, len(b.verts)/4)
		dst.DrawTriangles(b.verts[q*4:end*4], b.idx[q*6:end*6], b.atlas, op)
		b.calls++
	}
	b.verts, b.idx = b.verts[:0], b.idx[:0]
}

func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }
