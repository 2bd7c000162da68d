package main

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/stackworld/stackworld/cmd/viewer/model"
	"github.com/stackworld/stackworld/world"
)

// BenchmarkDrawMap draws the map of N entities onto a 1024x768 image and reads a pixel back
// (which waits for the renderer), beside an empty frame (a fill and the same read) in the
// same run: the ratio of their frame rates is what --fps measures with a live world. Run it
// under a display: xvfb-run -a go test ./cmd/viewer -run '^$' -bench DrawMap.
func BenchmarkDrawMap(b *testing.B) {
	img := ebiten.NewImage(1024, 768)
	defer img.Deallocate()
	bt := batch{atlas: newAtlas()}
	b.Run("impl=empty", func(b *testing.B) {
		for b.Loop() {
			img.Fill(mapColor)
			_ = img.At(512, 384)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	})
	for _, n := range []int{1_000, 10_000, 100_000} {
		f := benchFrame(n)
		cam := model.FitCamera(f.Width, f.Height, 1024, 768)
		b.Run(fmt.Sprintf("impl=map/N=%d", n), func(b *testing.B) {
			for b.Loop() {
				drawMap(img, &bt, f, cam, nil)
				_ = img.At(512, 384)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}

// benchFrame is a frame of n entities spread over a map as dense as the default scenario's.
func benchFrame(n int) *model.Frame {
	side := max(int32(float64(4096)*sqrt(float64(n)/10_600)), 256)
	r := rand.New(rand.NewPCG(1, 2))
	f := &model.Frame{Width: side, Height: side, CellSize: 32}
	for i := range n {
		f.Markers = append(f.Markers, model.Marker{
			ID: world.EntityID(i + 1), Pos: world.Vec{X: r.Int32N(side), Y: r.Int32N(side)},
			Kind: world.Kind(r.IntN(6)), Outline: model.Outline(r.IntN(int(model.NumOutlines))),
		})
	}
	return f
}

func sqrt(v float64) float64 { return float64(sqrt32(float32(v))) }
