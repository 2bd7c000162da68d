package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/stackworld/stackworld/cmd/viewer/model"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/debugapi"
)

// panel says what the right-hand panel shows.
type panel uint8

const (
	panelNone      panel = iota
	panelInspector       // the selected entity or tasklet
	panelList            // the searchable tasklet list
	panelFailures        // the failures list
	panelDiff            // the changes between two snapshots
)

// game is the viewer as an ebiten.Game: one source of frames (a local loop, a debug client
// or a diff), the camera, the selection and the panels.
type game struct {
	o      *options
	ctx    context.Context
	cancel context.CancelFunc
	stdout io.Writer
	start  time.Time

	loop   *model.Loop // local mode
	tl     *model.Timeline
	remote *remoteSource // attach mode
	diff   *diffSource   // diff mode

	view // what the screen shows now (read and written on Ebitengine's goroutine only)
	// The local loop publishes views from its own goroutine after every tick (and on
	// request while paused) into back; Draw swaps it in, never waiting for a tick.
	pubMu sync.Mutex
	back  view
	fresh bool // back holds a view newer than the screen's
	want  want // what the panels should show, for the loop's goroutine

	cam     model.Camera
	camSet  bool
	sw, sh  int
	batch   batch
	hud     model.HUD
	panel   panel
	selTask uint64 // a tasklet selected from the list (0: the entity's)
	failSel int    // the failure shown in the inspector (-1: none)

	listAll    bool
	listState  model.Outline
	listSearch string

	scrub scrubState

	input      inputState
	dirty      bool         // the screen must be drawn again: a new view, input, a resize
	lastStatus model.Status // the status drawn last
	fpsAt      time.Time
	fpsN       int
	fpsRun     *fpsRun
	shotAt     int // --screenshot: frames drawn before the shot
}

func newGame(ctx context.Context, o *options, stdout io.Writer) (*game, error) {
	g := &game{o: o, stdout: stdout, start: time.Now(), sw: o.width, sh: o.height, failSel: -1, listAll: true}
	g.ctx, g.cancel = context.WithCancel(ctx)
	var err error
	switch {
	case o.attach != "":
		g.remote, err = newRemoteSource(g.ctx, o.attach)
	case o.diff != nil:
		g.diff, err = newDiffSource(o.diff[0], o.diff[1], g.worldConfig(), stdout)
		g.panel = panelDiff
	default:
		err = g.startLocal()
	}
	if err != nil {
		g.cancel()
		return nil, err
	}
	if o.fps {
		g.fpsRun = newFPSRun(o.fpsSeconds)
	}
	return g, nil
}

// clock is the viewer's wall clock for tick timings (never read by world logic).
func (g *game) clock() time.Duration { return time.Since(g.start) }

func (g *game) worldConfig() world.Config {
	level := slog.LevelError
	if g.o.logFailures {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if g.o.logFailures {
		log = slog.New(slog.NewTextHandler(stderrWriter(), &slog.HandlerOptions{Level: level}))
	}
	return world.Config{WallBudget: 50 * time.Millisecond, Clock: g.clock, Logger: log}
}

// startLocal builds the world, the timeline and the loop, runs the --ticks of a screenshot
// and starts the loop's goroutine.
func (g *game) startLocal() error {
	cfg := g.worldConfig()
	w, source, err := buildWorld(g.o, cfg)
	if err != nil {
		return err
	}
	g.tl = &model.Timeline{Config: cfg, Every: g.o.snapEvery, MaxBytes: g.o.snapMB << 20, DeepEvery: g.o.deepEvery}
	paused := g.o.paused || g.o.screenshot != ""
	g.loop, err = model.NewLoop(w, g.tl, nil, g.o.rate, paused)
	if err != nil {
		w.Close()
		return err
	}
	g.loop.SetObserver(g.publish)
	g.hud.Loaded = source
	return g.loop.StepWait(g.o.ticks)
}

func (g *game) close() {
	g.cancel()
	if g.loop != nil {
		g.loop.Close()
	}
	if g.diff != nil {
		g.diff.close()
	}
	if g.remote != nil {
		<-g.remote.done
	}
}

// runWindow opens the window (or an invisible one for --screenshot and --fps) and runs
// the game until it is closed.
func (g *game) runWindow() error {
	ebiten.SetWindowSize(g.o.width, g.o.height)
	ebiten.SetWindowTitle("Stackworld viewer")
	ebiten.SetWindowResizingMode(ebiten.WindowResizingModeEnabled)
	ebiten.SetRunnableOnUnfocused(true)
	if g.fpsRun != nil {
		ebiten.SetVsyncEnabled(false)
	}
	ebiten.SetScreenClearedEveryFrame(false) // Draw skips frames that would show the same

	err := ebiten.RunGame(g)
	if err == errDone {
		return nil
	}
	return err
}

// errDone ends RunGame after a screenshot or a measurement.
var errDone = fmt.Errorf("viewer: done")

// Layout makes the screen as large as the window.
func (g *game) Layout(w, h int) (int, int) {
	if w != g.sw || h != g.sh {
		g.dirty = true
	}
	g.sw, g.sh = w, h
	return w, h
}

// Update reads the input and acts on it.
func (g *game) Update() error {
	if g.loop != nil {
		if err := g.loop.Err(); err != nil {
			g.hud.Message = err.Error()
		}
	}
	if g.ctx.Err() != nil {
		return errDone
	}
	if inputActive() {
		g.dirty = true
	}
	g.handleInput()
	return nil
}

// Draw captures a frame from the source and draws it.
func (g *game) Draw(screen *ebiten.Image) {
	if g.batch.atlas == nil {
		g.batch.atlas = newAtlas()
	}
	if g.fpsRun != nil && g.fpsRun.empty() {
		g.fpsRun.frame(g)
		screen.Fill(backgroundColor)
		g.dirty = true // the next viewer frame must draw everything again
		return
	}
	g.capture()
	if !g.camSet && g.frame.Width > 0 {
		g.startView()
		g.capture() // the selection's panels
		g.dirty = true
	}
	g.countFPS()
	if !g.dirty && !g.o.redrawAlways {
		// Nothing changed since the last frame (no tick, no input): the screen, which
		// Ebitengine keeps between frames, already shows it (its skipdraw example).
		if g.fpsRun != nil {
			g.fpsRun.frame(g)
		}
		return
	}
	g.dirty = false
	g.drawScene(screen)
	if g.fpsRun != nil {
		g.fpsRun.frame(g)
	}
	if g.o.screenshot != "" && g.frame.Width > 0 { // attached: once the first frame came
		g.shotAt++
		if g.shotAt >= 2 { // the first frame may race the window's first layout
			g.hud.Message = g.screenshot(screen)
			g.cancel()
		}
	}
}

// startView sets the first camera: the whole map, or --zoom around the map's centre or the
// --select entity, which it selects.
func (g *game) startView() {
	g.cam, g.camSet = model.FitCamera(g.frame.Width, g.frame.Height, g.sw, g.sh), true
	cx, cy := float64(g.frame.Width)/2, float64(g.frame.Height)/2
	viewW := float64(g.sw)
	if id := world.EntityID(g.o.selectID); id != 0 {
		if m, ok := g.frame.Find(id); ok {
			g.input.selected, g.panel = id, panelInspector
			cx, cy = float64(m.Pos.X), float64(m.Pos.Y)
			viewW -= panelWidth
		}
	}
	if g.o.zoom > 0 {
		g.cam.Zoom = g.o.zoom
		g.cam.X, g.cam.Y = cx-viewW/2/g.o.zoom, cy-float64(g.sh)/2/g.o.zoom
	}
}

// view is what one drawn frame shows: the frame and the panels' contents.
type view struct {
	frame     model.Frame
	hl        model.Highlight
	inspect   []string // the inspector's lines
	list      []debugapi.TaskletRow
	listCount int
	failLines []string
	first     uint64 // the timeline's recorded ticks and kept snapshots
	last      uint64
	snaps     []uint64
}

// want is what the panels are asked to show: the selection and the list's filter.
type want struct {
	selected   world.EntityID
	selTask    uint64
	failSel    int
	panel      panel
	listAll    bool
	listState  model.Outline
	listSearch string
}

func (g *game) wantNow() want {
	return want{selected: g.input.selected, selTask: g.selTask, failSel: g.failSel, panel: g.panel,
		listAll: g.listAll, listState: g.listState, listSearch: g.listSearch}
}

// capture brings the screen's view up to date with the source.
func (g *game) capture() {
	switch {
	case g.loop != nil:
		st := g.loop.Status()
		g.hud.Status = st
		g.pubMu.Lock()
		g.want = g.wantNow()
		g.pubMu.Unlock()
		if st != g.lastStatus {
			g.lastStatus, g.dirty = st, true
		}
		if (st.Paused && g.dirty) || g.frame.Width == 0 {
			g.loop.With(g.publish) // idle between ticks: prompt
		}
		g.pubMu.Lock()
		if g.fresh {
			g.view, g.back = g.back, g.view
			g.fresh, g.dirty = false, true
		}
		g.pubMu.Unlock()
	case g.remote != nil:
		g.remote.fill(g)
	case g.diff != nil:
		g.diff.fill(g)
	}
}

// publish fills the back view from the live world; it runs on the loop's goroutine
// between ticks (Loop.SetObserver, Loop.With).
func (g *game) publish(w *world.World, tl *model.Timeline) {
	g.pubMu.Lock()
	defer g.pubMu.Unlock()
	v := &g.back
	v.frame.Capture(w)
	v.refreshPanels(w, g.want)
	if tl != nil {
		v.first, v.last = tl.First(), tl.Last()
		v.snaps, _ = tl.Snapshots()
	}
	g.fresh = true
}

// refreshPanels recomputes what the panels and highlights show from the live world.
func (v *view) refreshPanels(w *world.World, wt want) {
	v.hl.Selected = 0
	v.inspect = v.inspect[:0]
	switch {
	case wt.failSel >= 0 && wt.failSel < len(v.frame.Failures):
		f := v.frame.Failures[wt.failSel]
		v.inspect = debugapi.FailureDetail(f)
		if f.Entity != 0 && w.Alive(f.Entity) {
			v.hl.Select(w, f.Entity)
		}
	case wt.selTask != 0:
		if t := w.Tasklet(simID(wt.selTask)); t != nil {
			v.inspect = debugapi.TaskletLines(w, t)
			for _, e := range w.Entities() {
				if uint64(e.Tasklet) == wt.selTask {
					v.hl.Select(w, e.ID)
					break
				}
			}
		} else {
			v.inspect = []string{fmt.Sprintf("tasklet %d: gone", wt.selTask)}
		}
	case wt.selected != 0:
		v.hl.Select(w, wt.selected)
		v.inspect = debugapi.InspectEntity(w, wt.selected)
	}
	switch wt.panel {
	case panelList:
		v.list, v.listCount = debugapi.ListTasklets(w, wt.listState, wt.listAll, wt.listSearch)
	case panelFailures:
		v.failLines = debugapi.FailureLines(v.frame.Failures)
	}
}

// drawScene draws the map, the HUD, the graph and the panel.
func (g *game) drawScene(screen *ebiten.Image) {
	drawMap(screen, &g.batch, &g.frame, g.cam, &g.hl)
	lines := model.HUDLines(&g.frame, g.hud)
	h := drawPanel(screen, &g.batch, lines, 0, 0, min(g.sw, hudWidth))
	drawGraph(screen, &g.batch, &g.frame, 0, h, min(g.sw, hudWidth), graphHeight)
	g.drawSidePanel(screen)
	if g.loop != nil {
		g.drawScrubber(screen)
	}
}

// Layout constants of the HUD and the side panel, in pixels.
const (
	hudWidth    = 560
	graphHeight = 64
	panelWidth  = 440
)

// saveName returns the file the S key saves to.
func (g *game) saveName(tick uint64) string {
	return filepath.Join(g.o.saveDir, fmt.Sprintf("viewer-tick%d.cbor", tick))
}
