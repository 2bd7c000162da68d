package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/stackworld/stackworld/cmd/viewer/model"
	"github.com/stackworld/stackworld/world"
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

	frame   model.Frame
	cam     model.Camera
	camSet  bool
	sw, sh  int
	batch   batch
	hud     model.HUD
	hl      model.Highlight
	panel   panel
	inspect []string // the inspector's lines
	selTask uint64   // a tasklet selected from the list (0: the entity's)
	failSel int      // the failure shown in the inspector (-1: none)

	list       []model.TaskletRow
	listAll    bool
	listState  model.Outline
	listSearch string
	listCount  int
	failLines  []string

	scrub scrubState

	input  inputState
	frames int
	fpsAt  time.Time
	fpsN   int
	fpsRun *fpsRun
	shotAt int // --screenshot: frames drawn before the shot
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
	g.tl = &model.Timeline{Config: cfg, Every: g.o.snapEvery, MaxBytes: g.o.snapMB << 20}
	paused := g.o.paused || g.o.screenshot != ""
	g.loop, err = model.NewLoop(w, g.tl, nil, g.o.rate, paused)
	if err != nil {
		w.Close()
		return err
	}
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
		return
	}
	g.capture()
	if !g.camSet && g.frame.Width > 0 {
		g.cam, g.camSet = model.FitCamera(g.frame.Width, g.frame.Height, g.sw, g.sh), true
	}
	g.countFPS()
	g.drawScene(screen)
	if g.fpsRun != nil {
		g.fpsRun.frame(g)
	}
	if g.o.screenshot != "" {
		g.shotAt++
		if g.shotAt >= 2 { // the first frame may race the window's first layout
			g.hud.Message = g.screenshot(screen)
			g.cancel()
		}
	}
}

// capture fills g.frame (and the panels' data) from the source.
func (g *game) capture() {
	switch {
	case g.loop != nil:
		g.hud.Status = g.loop.Status()
		g.loop.With(func(w *world.World, tl *model.Timeline) {
			g.frame.Capture(w)
			g.refreshPanels(w)
			g.scrub.first, g.scrub.last = tl.First(), tl.Last()
			g.scrub.snaps, _ = tl.Snapshots()
		})
	case g.remote != nil:
		g.remote.fill(g)
	case g.diff != nil:
		g.diff.fill(g)
	}
}

// refreshPanels recomputes what the panels and highlights show from the live world.
func (g *game) refreshPanels(w *world.World) {
	g.hl.Selected = 0
	g.inspect = g.inspect[:0]
	switch {
	case g.failSel >= 0 && g.failSel < len(g.frame.Failures):
		f := g.frame.Failures[g.failSel]
		g.inspect = model.FailureDetail(f)
		if f.Entity != 0 && w.Alive(f.Entity) {
			g.hl.Select(w, f.Entity)
		}
	case g.selTask != 0:
		if t := w.Tasklet(simID(g.selTask)); t != nil {
			g.inspect = model.TaskletLines(w, t)
			for _, e := range w.Entities() {
				if uint64(e.Tasklet) == g.selTask {
					g.hl.Select(w, e.ID)
					break
				}
			}
		} else {
			g.inspect = []string{fmt.Sprintf("tasklet %d: gone", g.selTask)}
		}
	case g.input.selected != 0:
		g.hl.Select(w, g.input.selected)
		g.inspect = model.InspectEntity(w, g.input.selected)
	}
	switch g.panel {
	case panelList:
		g.list, g.listCount = model.ListTasklets(w, g.listState, g.listAll, g.listSearch)
	case panelFailures:
		g.failLines = model.FailureLines(g.frame.Failures)
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
