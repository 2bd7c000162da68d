package main

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/actors/actorstest"
	"github.com/stackworld/stackworld/cmd/viewer/model"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/debugapi"
)

// testRunner runs the tests inside Ebitengine's game loop (its own tests' pattern), so that
// images can be drawn and read back. Run under a display: xvfb-run -a go test ./cmd/viewer/...
type testRunner struct {
	m    *testing.M
	code int
}

func (r *testRunner) Update() error {
	r.code = r.m.Run()
	return ebiten.Termination
}
func (*testRunner) Draw(*ebiten.Image)         {}
func (*testRunner) Layout(int, int) (int, int) { return 320, 240 }

func TestMain(m *testing.M) {
	r := &testRunner{m: m, code: 1}
	ebiten.SetWindowSize(320, 240)
	if err := ebiten.RunGame(r); err != nil {
		panic(err)
	}
	os.Exit(r.code)
}

func rgba(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

// TestMarkerPixels: an entity is drawn in its kind's colour at its position, outlined in
// its tasklet state's colour.
func TestMarkerPixels(t *testing.T) {
	img := ebiten.NewImage(240, 200)
	defer img.Deallocate()
	b := batch{atlas: newAtlas()}
	f := &model.Frame{Width: 100, Height: 100, CellSize: 32, Markers: []model.Marker{
		{ID: 1, Pos: world.Vec{X: 50, Y: 50}, Kind: 3, Outline: model.OutlineBlocked},
		{ID: 2, Pos: world.Vec{X: 20, Y: 70}, Kind: 1, Outline: model.OutlineSleeping},
	}}
	cam := model.Camera{Zoom: 2} // markers are 8 pixels: (96..103, 96..103) for entity 1
	drawMap(img, &b, f, cam, nil)
	require.Equal(t, 1, b.calls, "one DrawTriangles call for the whole map")
	require.Equal(t, model.KindColor(3), rgba(img.At(100, 100)), "entity 1's fill at its position")
	require.Equal(t, model.KindColor(3), rgba(img.At(97, 101)))
	blocked := model.OutlineColor(model.OutlineBlocked)
	for _, p := range [][2]int{{96, 100}, {103, 100}, {100, 96}, {100, 103}} {
		require.Equal(t, blocked, rgba(img.At(p[0], p[1])), "the blocked outline at %v", p)
	}
	require.Equal(t, model.KindColor(1), rgba(img.At(40, 140)), "entity 2's fill")
	require.Equal(t, model.OutlineColor(model.OutlineSleeping), rgba(img.At(36, 140)))
	require.Equal(t, mapColor, rgba(img.At(150, 150)), "the map around them")
	require.Equal(t, gridColor, rgba(img.At(64, 150)), "a grid line every cell (32 units = 64 px)")
	require.Equal(t, backgroundColor, rgba(img.At(220, 150)), "off the map")
}

// TestManyMarkersBatch: 30,000 markers take three DrawTriangles calls (the uint16 index
// limit), and the last one is drawn.
func TestManyMarkersBatch(t *testing.T) {
	img := ebiten.NewImage(300, 200)
	defer img.Deallocate()
	b := batch{atlas: newAtlas()}
	f := &model.Frame{Width: 300, Height: 200, CellSize: 1000}
	for i := range 30_000 {
		f.Markers = append(f.Markers, model.Marker{ID: world.EntityID(i + 1), Pos: world.Vec{X: int32(i % 300), Y: int32(i / 300)}, Kind: 0})
	}
	f.Markers = append(f.Markers, model.Marker{ID: 30_001, Pos: world.Vec{X: 250, Y: 150}, Kind: 5, Outline: model.OutlineFailed})
	drawMap(img, &b, f, model.Camera{Zoom: 1}, nil)
	require.Equal(t, 3, b.calls)
	require.Equal(t, model.KindColor(5), rgba(img.At(250, 150)))
}

// newTestGame is a game over the small scenario, paused, with no window of its own.
func newTestGame(t *testing.T) *game {
	t.Helper()
	o, err := parseOptions([]string{"--scenario", "../../assets/scenarios/small.json", "--paused", "--width", "1024", "--height", "768"}, &bytes.Buffer{})
	require.NoError(t, err)
	g, err := newGame(context.Background(), o, &bytes.Buffer{})
	require.NoError(t, err)
	t.Cleanup(g.close)
	require.NoError(t, g.loop.StepWait(1))
	g.batch.atlas = newAtlas()
	return g
}

// TestHUDAndInspectorPixels: the HUD is drawn top left; selecting an entity opens the
// inspector on the right and rings the entity.
func TestHUDAndInspectorPixels(t *testing.T) {
	g := newTestGame(t)
	screen := ebiten.NewImage(1024, 768)
	defer screen.Deallocate()
	g.Layout(1024, 768)
	g.capture()
	g.cam, g.camSet = model.FitCamera(g.frame.Width, g.frame.Height, 1024, 768), true
	g.drawScene(screen)
	require.True(t, hasText(screen, 4, 4, 300, 16), "the HUD's first line")
	require.False(t, hasText(screen, 1024-panelWidth+4, 300, 300, 16), "no panel yet")

	m := g.frame.Markers[10]
	x, y := g.cam.ToScreen(m.Pos)
	g.click(int(x), int(y))
	require.Equal(t, panelInspector, g.panel)
	require.NotZero(t, g.input.selected)
	g.capture()
	require.Equal(t, g.input.selected, g.hl.Selected)
	require.NotEmpty(t, g.inspect)
	screen.Clear()
	g.drawScene(screen)
	require.True(t, hasText(screen, 1024-panelWidth+4, 4, 300, 16), "the inspector's first line")
	sel, _ := g.frame.Find(g.input.selected)
	sx, sy := g.cam.ToScreen(sel.Pos)
	h := int(g.cam.MarkerPixels()/2) + 2
	require.Equal(t, selectColor, rgba(screen.At(int(sx)-h, int(sy))), "the selection ring")
}

// hasText reports whether the rectangle holds white text pixels.
func hasText(img *ebiten.Image, x, y, w, h int) bool {
	for j := y; j < y+h; j++ {
		for i := x; i < x+w; i++ {
			if c := rgba(img.At(i, j)); c.R > 0xe0 && c.G > 0xe0 && c.B > 0xe0 {
				return true
			}
		}
	}
	return false
}

// TestAttach: the viewer watches a server's debug endpoint; when the server goes away the
// HUD says disconnected, and when it comes back on the same address the viewer reconnects.
func TestAttach(t *testing.T) {
	srv := actorstest.PausedServer(t, actorstest.Small(t))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	hs := &http.Server{Handler: debugapi.NewHandler(srv, debugapi.Options{})}
	go hs.Serve(ln)

	o, err := parseOptions([]string{"--attach", addr}, &bytes.Buffer{})
	require.NoError(t, err)
	g, err := newGame(context.Background(), o, &bytes.Buffer{})
	require.NoError(t, err)
	defer g.close()
	waitFor(t, g, func() bool { return g.hud.Online && len(g.frame.Markers) == 288 })
	require.Equal(t, "attached to "+addr+": connected", model.HUDLines(&g.frame, g.hud)[3])
	require.Nil(t, g.control(), "no control without --debug-control")
	g.panel, g.listAll, g.listState = panelList, false, model.OutlineRunnable // tick 0: all are runnable
	waitFor(t, g, func() bool { return len(g.list) > 0 })
	require.Greater(t, g.listCount, 200, "the server's tasklet list")
	for _, r := range g.list {
		require.Equal(t, model.OutlineRunnable, r.Outline)
	}

	require.NoError(t, hs.Close())
	waitFor(t, g, func() bool { return !g.hud.Online })
	require.Equal(t, "attached to "+addr+": DISCONNECTED (reconnecting)", model.HUDLines(&g.frame, g.hud)[3])
	require.Len(t, g.frame.Markers, 288, "the last frame stays on screen")

	ln, err = net.Listen("tcp", addr)
	require.NoError(t, err)
	hs = &http.Server{Handler: debugapi.NewHandler(srv, debugapi.Options{Control: true})}
	go hs.Serve(ln)
	defer hs.Close()
	waitFor(t, g, func() bool { return g.hud.Online })
	waitFor(t, g, func() bool { return g.control() != nil })
}

// TestAttachControlAndHighlights: attached to a server with --debug-control, the viewer
// changes its rate, and the selected entity's area of interest and the entities in it are
// highlighted as in a world run here.
func TestAttachControlAndHighlights(t *testing.T) {
	srv := actorstest.PausedServer(t, actorstest.Small(t))
	srv.Step(3)
	var watcher world.EntityID
	var radius int32
	var visible []world.EntityID
	for now := uint64(0); now < 3; { // a tick boundary at a time
		require.NoError(t, srv.Do(context.Background(), func(w *world.World) {
			now = w.Now()
			watcher, radius, visible = actorstest.Busiest(w)
		}))
	}
	require.NotEmpty(t, visible)
	hs := httptest.NewServer(debugapi.NewHandler(srv, debugapi.Options{Control: true}))
	defer hs.Close()

	o, err := parseOptions([]string{"--attach", hs.URL, "--width", "1024", "--height", "768"}, &bytes.Buffer{})
	require.NoError(t, err)
	g, err := newGame(context.Background(), o, &bytes.Buffer{})
	require.NoError(t, err)
	defer g.close()
	waitFor(t, g, func() bool { return g.control() != nil && g.frame.Tick == 3 })

	g.input.selected, g.panel = watcher, panelInspector
	waitFor(t, g, func() bool { return len(g.hl.Neighbours) > 0 })
	require.Equal(t, model.Highlight{Selected: watcher, Interest: radius, Neighbours: visible}, g.hl)
	require.True(t, strings.HasPrefix(g.inspect[0], fmt.Sprintf("entity %d ", watcher)), g.inspect[0])
	g.batch.atlas = newAtlas()
	requireNeighbourRings(t, g)

	ctl := g.control()
	ctl.SetRate(nextRate(ctl.Status().Rate, false)) // from "max" (0) down to 240
	waitFor(t, g, func() bool { return g.hud.Status.Rate == 240 })
	ctl.SetRate(nextRate(g.control().Status().Rate, false))
	waitFor(t, g, func() bool { return g.hud.Status.Rate == 120 })
	require.Equal(t, 120.0, srv.Stats().Rate)
	require.Empty(t, g.hud.Message)

	g.input.selected = 0
	waitFor(t, g, func() bool { return g.hl.Selected == 0 })
	require.Empty(t, g.hl.Neighbours, "no selection, no highlights")
}

// requireNeighbourRings draws g's scene zoomed in on the selected entity and checks the
// ring of every neighbour that no other marker covers.
func requireNeighbourRings(t *testing.T, g *game) {
	t.Helper()
	screen := ebiten.NewImage(1024, 768)
	defer screen.Deallocate()
	g.Layout(1024, 768)
	sel, ok := g.frame.Find(g.hl.Selected)
	require.True(t, ok)
	g.cam = model.Camera{Zoom: 4}
	g.cam.X, g.cam.Y = float64(sel.Pos.X)-(1024-panelWidth)/2/g.cam.Zoom, float64(sel.Pos.Y)-768/2/g.cam.Zoom
	g.camSet = true
	g.drawScene(screen)
	half := g.cam.MarkerPixels() / 2
	covered := func(x, y int) bool {
		for _, m := range g.frame.Markers {
			mx, my := g.cam.ToScreen(m.Pos)
			if float64(x) >= mx-half-3 && float64(x) <= mx+half+3 && float64(y) >= my-half-3 && float64(y) <= my+half+3 &&
				(m.ID == g.hl.Selected || float64(x) >= mx-half && float64(x) <= mx+half && float64(y) >= my-half && float64(y) <= my+half) {
				return true
			}
		}
		return false
	}
	checked := 0
	for _, id := range g.hl.Neighbours {
		m, ok := g.frame.Find(id)
		require.True(t, ok)
		x, y := g.cam.ToScreen(m.Pos)
		px, py := int(x-half-2), int(y)
		if px < 0 || py < 0 || px >= 1024-panelWidth || py >= 768 || py < 200 || covered(px, py) {
			continue // off the map's part of the screen, under the HUD, or under another marker
		}
		require.Equal(t, neighbourColor, rgba(screen.At(px, py)), "neighbour %d's ring", id)
		checked++
	}
	require.Positive(t, checked, "at least one neighbour's ring is in view")
}

// waitFor captures a frame after each poll of the attached server until cond holds, for
// at most 20 s.
func waitFor(t *testing.T, g *game, cond func() bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		g.capture()
		if cond() {
			return
		}
		select {
		case <-g.remote.polled:
		case <-deadline:
			t.Fatalf("timed out; HUD message %q", g.hud.Message)
		}
	}
}

// TestSaveLoadRewindKeys: S saves (named in the HUD), ← rewinds one tick (verified), L
// loads the save back.
func TestSaveLoadRewindKeys(t *testing.T) {
	g := newTestGame(t) // paused at tick 1
	g.o.saveDir = t.TempDir()
	require.NoError(t, g.loop.StepWait(4))
	g.capture()
	require.Equal(t, uint64(5), g.frame.Tick)
	g.save()
	require.Equal(t, g.saveName(5), g.hud.Saved)
	require.Empty(t, g.hud.Message)

	g.rewindBy(1)
	g.capture()
	require.Equal(t, uint64(4), g.frame.Tick)
	require.Equal(t, "rewound to tick 4 (from snapshot 0, 4 ticks re-run): verified", g.hud.Rewind)
	g.rewindBy(10)
	require.Equal(t, "rewind: tick -6 is before the first recorded tick 0", g.hud.Rewind)

	g.load()
	g.capture()
	require.Empty(t, g.hud.Message)
	require.Equal(t, g.saveName(5), g.hud.Loaded)
	require.Equal(t, uint64(5), g.frame.Tick)
	require.Equal(t, uint64(5), g.first, "a load starts a new timeline")
}

// TestDiffMode: --diff A B shows B with the differing entities ringed and the changes listed.
func TestDiffMode(t *testing.T) {
	dir := t.TempDir()
	w := actorstest.Small(t)
	a, b := dir+"/a.cbor", dir+"/b.cbor"
	_, err := w.SaveFile(world.DefaultCodec(), a)
	require.NoError(t, err)
	require.NoError(t, w.Tick())
	_, err = w.SaveFile(world.DefaultCodec(), b)
	require.NoError(t, err)

	var out bytes.Buffer
	o, err := parseOptions([]string{"--diff", a, b, "--width", "1024"}, &bytes.Buffer{})
	require.NoError(t, err)
	g, err := newGame(context.Background(), o, &out)
	require.NoError(t, err)
	defer g.close()
	require.Contains(t, out.String(), "diff tick 0 -> tick 1: ")
	g.capture()
	require.Equal(t, uint64(1), g.frame.Tick)
	require.NotEmpty(t, g.hl.Differ)
	require.Equal(t, panelDiff, g.panel)
	require.Equal(t, "A = "+a+", B = "+b+" (shown)", g.inspect[0])
}

// TestMapColoursOpaque: the map is drawn with ebiten.BlendCopy (flushOpaque), which is
// right only while every colour it draws is opaque.
func TestMapColoursOpaque(t *testing.T) {
	cs := []color.RGBA{backgroundColor, mapColor, gridColor, selectColor, neighbourColor, diffColor}
	for k := range model.NumKindColors {
		cs = append(cs, model.KindColor(world.Kind(k)))
	}
	for o := range model.NumOutlines {
		cs = append(cs, model.OutlineColor(o))
	}
	for i, c := range cs {
		require.Equal(t, uint8(0xff), c.A, "colour %d: %v", i, c)
	}
}

// TestFPSRatios: --fps pairs each viewer slice with the empty slice before it and reports
// the median of the pairs' ratios.
func TestFPSRatios(t *testing.T) {
	r := newFPSRun(1)
	for i, rate := range []float64{40, 20, 10, 10, 40, 36, 40, 30, 10, 9} { // empty, viewer, ...
		r.slice = i + 1
		r.endSlice(int(rate), 1)
	}
	require.Equal(t, []float64{0.5, 1, 0.9, 0.75, 0.9}, r.ratios)
	require.Equal(t, [2]int{140, 105}, r.frames)
	require.Equal(t, 0.9, median(slices.Clone(r.ratios)))
	require.Equal(t, 0.875, median([]float64{1, 0.75, 0.9, 0.85}))
	require.Equal(t, "middle half 0.75-0.90", quartiles(r.ratios))
	require.Equal(t, "too few pairs for quartiles", quartiles([]float64{1}))
	require.Zero(t, median(nil))
}
