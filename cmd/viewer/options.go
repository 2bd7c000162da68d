package main

import (
	"flag"
	"fmt"
	"io"
	"math"

	"github.com/stackworld/stackworld/cmd/viewer/model"
)

// options are the viewer's flags.
type options struct {
	scenario     string
	load         string
	seed         uint64
	npcs         int
	selectID     uint
	zoom         float64
	rate         float64
	paused       bool
	width        int
	height       int
	screenshot   string
	ticks        int
	fps          bool
	redrawAlways bool
	fpsSeconds   float64
	cpuProfile   string
	diff         []string
	attach       string
	snapEvery    uint64
	snapMB       int
	deepEvery    uint64
	saveDir      string
	logFailures  bool
}

const usage = `usage: viewer [flags]

Stackworld's visual debugger. Without flags it runs the embedded default scenario at 20
ticks per second. Keys: Space pause/resume, N step, + and - rate, ← back one tick, -> one
tick on, S save, L load, / tasklet list, F failures, Esc close; drag pans, the wheel zooms,
a click inspects an entity.

flags:
`

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("viewer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.scenario, "scenario", "", "build the world from the scenario `FILE` (JSON) instead of the default")
	fs.StringVar(&o.load, "load", "", "open the world saved in `FILE`")
	fs.Uint64Var(&o.seed, "seed", 0, "random seed (0: the scenario's)")
	fs.IntVar(&o.npcs, "npcs", 0, "scale the default scenario to about `N` NPCs (its kinds alike, the map by the square root)")
	fs.UintVar(&o.selectID, "select", 0, "select entity `ID` at the start: the inspector opens and the view centres on it")
	fs.Float64Var(&o.zoom, "zoom", 0, "start at this zoom, in pixels per world unit (0: the whole map)")
	fs.Float64Var(&o.rate, "rate", 20, "ticks per second (0: as fast as possible)")
	fs.BoolVar(&o.paused, "paused", false, "start paused")
	fs.IntVar(&o.width, "width", 1024, "window width in pixels")
	fs.IntVar(&o.height, "height", 768, "window height in pixels")
	fs.StringVar(&o.screenshot, "screenshot", "", "run --ticks ticks, render one frame to `FILE` (PNG) and exit")
	fs.IntVar(&o.ticks, "ticks", 0, "with --screenshot: ticks to run first")
	fs.BoolVar(&o.fps, "fps", false, "measure frames per second against an empty frame, print the ratio and exit")
	fs.BoolVar(&o.redrawAlways, "redraw-always", false, "draw every frame, even one that would show the same as the last")
	fs.Float64Var(&o.fpsSeconds, "fps-seconds", 5, "with --fps: seconds to measure each of the two phases")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to `FILE` (go tool pprof), e.g. with --fps")
	fs.StringVar(&o.attach, "attach", "", "watch the live server whose debug endpoint is at `ADDR` (stackworld run --debug ADDR)")
	fs.Uint64Var(&o.snapEvery, "snapshot-every", model.DefaultSnapshotEvery, "ticks between the snapshots kept for rewinding")
	fs.IntVar(&o.snapMB, "snapshot-mb", 256, "memory for the snapshots kept for rewinding, in MiB")
	fs.Uint64Var(&o.deepEvery, "deep-every", 1, "record the deep checksum every `N` ticks for rewind checks, the cheap one between\n\t(raise it for large worlds, whose deep checksum costs more than a tick)")
	fs.StringVar(&o.saveDir, "save-dir", ".", "directory the S key saves snapshots to")
	fs.BoolVar(&o.logFailures, "log-failures", false, "log tasklet failures to stderr (they are always listed with F)")
	diff := fs.Bool("diff", false, "compare two snapshots: viewer --diff A B")
	var files []string // arguments between flags: --diff A B --screenshot x.png
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		files, rest = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if *diff {
		if len(files) != 2 {
			return nil, fmt.Errorf("--diff takes two snapshot files: viewer --diff A B (got %d arguments)", len(files))
		}
		o.diff = files
	} else if len(files) > 0 {
		return nil, fmt.Errorf("unexpected argument %q (the viewer takes only flags, or --diff A B)", files[0])
	}
	switch {
	case math.IsNaN(o.rate) || o.rate < 0 || o.rate > 1e6:
		return nil, fmt.Errorf("--rate %g: must be in [0, 1e6] ticks per second", o.rate)
	case o.width < 64 || o.height < 64 || o.width > 8192 || o.height > 8192:
		return nil, fmt.Errorf("--width %d --height %d: each must be in [64, 8192]", o.width, o.height)
	case o.npcs < 0 || o.npcs > 4_000_000:
		return nil, fmt.Errorf("--npcs %d: must be in [0, 4000000]", o.npcs)
	case o.npcs > 0 && (o.load != "" || o.scenario != ""):
		return nil, fmt.Errorf("--npcs scales the default scenario: not with --load or --scenario")
	case o.zoom < 0 || o.zoom > model.MaxZoom || math.IsNaN(o.zoom):
		return nil, fmt.Errorf("--zoom %g: must be in [0, %g]", o.zoom, model.MaxZoom)
	case o.selectID > math.MaxUint32:
		return nil, fmt.Errorf("--select %d: entity ids are below 2^32", o.selectID)
	case o.ticks < 0:
		return nil, fmt.Errorf("--ticks %d: must not be negative", o.ticks)
	case o.load != "" && o.scenario != "":
		return nil, fmt.Errorf("--load and --scenario both given: a snapshot already holds its world")
	case o.load != "" && o.seed != 0:
		return nil, fmt.Errorf("--load and --seed both given: a snapshot continues with its saved random state")
	case o.attach != "" && (o.load != "" || o.scenario != "" || o.diff != nil):
		return nil, fmt.Errorf("--attach watches a server's world: not with --load, --scenario or --diff")
	case o.snapEvery < 1:
		return nil, fmt.Errorf("--snapshot-every %d: must be at least 1", o.snapEvery)
	case o.deepEvery < 1:
		return nil, fmt.Errorf("--deep-every %d: must be at least 1", o.deepEvery)
	case o.snapMB < 1:
		return nil, fmt.Errorf("--snapshot-mb %d: must be at least 1", o.snapMB)
	case !(o.fpsSeconds > 0) || o.fpsSeconds > 600:
		return nil, fmt.Errorf("--fps-seconds %g: must be in (0, 600]", o.fpsSeconds)
	}
	return o, nil
}
