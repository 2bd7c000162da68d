package main

import (
	"fmt"
	"math"
	"os"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"github.com/stackworld/stackworld/cmd/viewer/model"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// dragPx is how far the cursor must move with the button down before a click becomes a
// drag (a pan).
const dragPx = 4

// inputState is the mouse's state between frames and the selection.
type inputState struct {
	down         bool
	dragging     bool
	downX, downY int
	lastX, lastY int
	selected     world.EntityID
	chars        []rune
}

func simID(v uint64) sim.ID { return sim.ID(v) }

func stderrWriter() *os.File { return os.Stderr }

// handleInput turns this frame's keys and mouse into actions.
func (g *game) handleInput() {
	if g.panel == panelList && g.typeSearch() {
		return
	}
	g.keys()
	g.mouse()
}

// typeSearch edits the tasklet list's search text; it reports whether the keys were used.
func (g *game) typeSearch() bool {
	g.input.chars = ebiten.AppendInputChars(g.input.chars[:0])
	used := false
	for _, r := range g.input.chars {
		if r >= ' ' && r < 0x7f && r != '/' && len(g.listSearch) < 40 {
			g.listSearch += string(r)
			used = true
		}
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyBackspace) && g.listSearch != "" {
		g.listSearch = g.listSearch[:len(g.listSearch)-1]
		used = true
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyTab) {
		g.cycleListFilter()
		used = true
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyEscape) {
		g.panel = panelNone
		used = true
	}
	return used
}

// cycleListFilter goes all -> runnable -> blocked -> ... -> failed -> all.
func (g *game) cycleListFilter() {
	switch {
	case g.listAll:
		g.listAll, g.listState = false, model.OutlineRunnable
	case g.listState+1 >= model.NumOutlines:
		g.listAll = true
	default:
		g.listState++
	}
}

func (g *game) keys() {
	just := inpututil.IsKeyJustPressed
	ctl := g.control()
	switch {
	case just(ebiten.KeySpace):
		if ctl != nil {
			if ctl.Status().Paused {
				ctl.Resume()
			} else {
				ctl.Pause()
			}
		}
	case just(ebiten.KeyN), just(ebiten.KeyArrowRight):
		if ctl != nil {
			ctl.Step(1)
		}
	case just(ebiten.KeyEqual), just(ebiten.KeyKPAdd):
		if ctl != nil {
			ctl.SetRate(nextRate(ctl.Status().Rate, true))
		}
	case just(ebiten.KeyMinus), just(ebiten.KeyKPSubtract):
		if ctl != nil {
			ctl.SetRate(nextRate(ctl.Status().Rate, false))
		}
	case just(ebiten.KeyArrowLeft):
		g.rewindBy(1)
	case just(ebiten.KeyS):
		g.save()
	case just(ebiten.KeyL):
		g.load()
	case just(ebiten.KeySlash):
		g.panel = panelList
	case just(ebiten.KeyF):
		g.panel = panelFailures
	case just(ebiten.KeyEscape):
		if g.panel != panelNone && g.panel != panelInspector {
			g.panel = panelNone
		} else {
			g.input.selected, g.selTask, g.failSel = 0, 0, -1
		}
	}
}

// control returns what pauses and steps the world: the local loop, or the remote server
// when it allows control; nil if nothing may.
func (g *game) control() model.Controller {
	switch {
	case g.loop != nil:
		return g.loop
	case g.remote != nil && g.remote.allowed():
		return g.remote
	}
	return nil
}

// rates are the steps of + and -, in ticks per second (0: as fast as possible).
var rates = []float64{1, 2, 5, 10, 20, 30, 60, 120, 240, 0}

// nextRate returns the rate after r in rates (up) or before it (down).
func nextRate(r float64, up bool) float64 {
	i := len(rates) - 1
	for j, v := range rates {
		if v != 0 && r != 0 && v >= r {
			i = j
			break
		}
	}
	if up {
		return rates[min(i+1, len(rates)-1)]
	}
	return rates[max(i-1, 0)]
}

// mouse pans on a drag, zooms on the wheel and selects on a click.
func (g *game) mouse() {
	x, y := ebiten.CursorPosition()
	if _, wy := ebiten.Wheel(); wy != 0 {
		g.cam = g.cam.ZoomAt(float64(x), float64(y), math.Pow(1.15, wy))
	}
	in := &g.input
	switch {
	case g.scrubbing(x, y):
		return
	case inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft):
		in.down, in.dragging, in.downX, in.downY, in.lastX, in.lastY = true, false, x, y, x, y
	case in.down && ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft):
		if !in.dragging && (abs(x-in.downX) > dragPx || abs(y-in.downY) > dragPx) {
			in.dragging = true
		}
		if in.dragging {
			g.cam = g.cam.Pan(float64(x-in.lastX), float64(y-in.lastY))
		}
		in.lastX, in.lastY = x, y
	case in.down:
		in.down = false
		if !in.dragging {
			g.click(x, y)
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// click selects the panel row or the entity under (x, y).
func (g *game) click(x, y int) {
	if g.panel != panelNone && g.panel != panelInspector && x >= g.sw-panelWidth {
		row := (y-4)/lineH - 1 // the first line is the panel's heading
		switch g.panel {
		case panelList:
			if row >= 0 && row < len(g.list) {
				g.selTask, g.failSel, g.input.selected = uint64(g.list[row].ID), -1, g.list[row].Entity
				g.panel = panelInspector
			}
		case panelFailures:
			if row >= 0 && row < len(g.frame.Failures) {
				g.failSel = len(g.frame.Failures) - 1 - row
				g.selTask = 0
				g.input.selected = g.frame.Failures[g.failSel].Entity
				g.panel = panelInspector
			}
		}
		return
	}
	if g.panel == panelInspector && x >= g.sw-panelWidth && len(g.inspect) > 0 {
		return
	}
	g.input.selected = g.frame.Pick(g.cam, float64(x), float64(y))
	g.selTask, g.failSel = 0, -1
	if g.input.selected != 0 {
		g.panel = panelInspector
	}
}

// drawSidePanel draws the panel on the right.
func (g *game) drawSidePanel(screen *ebiten.Image) {
	var lines []string
	switch g.panel {
	case panelInspector:
		lines = g.inspect
	case panelList:
		filter := "all"
		if !g.listAll {
			filter = g.listState.String()
		}
		lines = append(lines, fmt.Sprintf("tasklets: %s (Tab)  search: %s_  %d match", filter, g.listSearch, g.listCount))
		for _, r := range g.list {
			lines = append(lines, r.Text)
		}
	case panelFailures:
		lines = append(lines, fmt.Sprintf("failures: %d (newest first; click one)", len(g.failLines)))
		lines = append(lines, g.failLines...)
	case panelDiff:
		lines = g.inspect
	}
	maxLines := max((g.sh-8)/lineH, 1)
	if len(lines) > maxLines {
		lines = append(lines[:maxLines-1:maxLines-1], fmt.Sprintf("... %d more lines", len(lines)-maxLines+1))
	}
	x := max(g.sw-panelWidth, 0)
	drawPanel(screen, &g.batch, lines, x, 0, g.sw-x)
}

// save writes the world to a new file in --save-dir (S).
func (g *game) save() {
	if g.loop == nil {
		g.hud.Message = "save: only a world running here can be saved"
		return
	}
	g.loop.View(func(w *world.World) {
		name := g.saveName(w.Now())
		if _, err := w.SaveFile(world.DefaultCodec(), name); err != nil {
			g.hud.Message = "save: " + err.Error()
			return
		}
		g.hud.Saved, g.hud.Message = name, ""
	})
}

// load replaces the world with the last saved snapshot, or the --load file (L).
func (g *game) load() {
	name := g.hud.Saved
	if name == "" {
		name = g.o.load
	}
	if g.loop == nil || name == "" {
		g.hud.Message = "load: nothing saved yet (press S first)"
		return
	}
	w, err := world.LoadFile(world.DefaultCodec(), name, g.worldConfig())
	if err != nil {
		g.hud.Message = "load: " + err.Error()
		return
	}
	if err := g.loop.Load(w); err != nil {
		g.hud.Message = "load: " + err.Error()
		return
	}
	g.hud.Loaded, g.hud.Rewind = name, ""
}

// rewindBy moves the world back n ticks through the timeline (←).
func (g *game) rewindBy(n uint64) {
	if g.loop == nil {
		return
	}
	var now uint64
	g.loop.View(func(w *world.World) { now = w.Now() })
	if now < n || now-n < g.first {
		g.hud.Rewind = fmt.Sprintf("rewind: tick %d is before the first recorded tick %d", int64(now)-int64(n), g.first)
		return
	}
	g.rewindTo(now - n)
}

// rewindTo moves the world to a recorded tick and reports the verdict in the HUD.
func (g *game) rewindTo(tick uint64) {
	if g.loop == nil {
		return
	}
	v, err := g.loop.Rewind(tick)
	if err != nil {
		g.hud.Rewind = "rewind: " + err.Error()
		return
	}
	var div *model.Divergence
	g.loop.With(func(_ *world.World, tl *model.Timeline) { div = tl.Diverged })
	g.hud.Rewind = model.RewindText(v, div)
}

// inputActive reports whether the keyboard, the mouse or the wheel did anything this
// frame: anything that may change what the screen shows.
func inputActive() bool {
	if len(inpututil.AppendJustPressedKeys(nil)) > 0 || len(inpututil.AppendJustReleasedKeys(nil)) > 0 {
		return true
	}
	if _, wy := ebiten.Wheel(); wy != 0 {
		return true
	}
	for _, b := range []ebiten.MouseButton{ebiten.MouseButtonLeft, ebiten.MouseButtonRight} {
		if ebiten.IsMouseButtonPressed(b) || inpututil.IsMouseButtonJustReleased(b) {
			return true
		}
	}
	return false
}
