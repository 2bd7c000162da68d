package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/assets"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

func init() {
	commands["run"] = command{summary: "run a world headless (the embedded default scenario without flags)", run: runCmd}
}

// runOptions are run's flags.
type runOptions struct {
	ticks         int
	rate          float64
	seed          uint64
	save          string
	saveEvery     int
	load          string
	scenario      string
	metrics       string
	debug         string
	debugControl  bool
	budget        time.Duration
	progressEvery int
	logLevel      string
	inputs        string
	record        string
	force         bool
	lockstep      bool // refused: only with --zones N, which runs the zones (zone_run.go)
}

var runUsage = `usage: stackworld run [flags]

Runs a world headless on the library's server loop (package world/server): the embedded
default scenario (` + defaultScenarioSize() + `), a --scenario file, or a snapshot saved
with --save (--load). Progress goes to stderr: one line per --progress ticks, or a live
line when stderr is a terminal. Ctrl-C or SIGTERM stops the world cleanly, saving it first
with --save, and exits 0; a second one exits at once. A failed save is logged and retried
while the world runs.

flags:
`

// defaultScenarioSize says how many entities the embedded scenario starts with.
func defaultScenarioSize() string {
	sc, err := actors.ParseScenario(assets.DefaultScenario())
	if err != nil {
		return "see assets/scenarios/default.json"
	}
	return fmt.Sprintf("%s entities", withCommas(sc.Entities()))
}

// withCommas writes n with thousands separators: 10600 → "10,600".
func withCommas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func parseRunFlags(args []string, stderr io.Writer) (*runOptions, error) {
	o := &runOptions{}
	fs := newFlagSet("run", runUsage, stderr)
	fs.IntVar(&o.ticks, "ticks", 600, "ticks to run (0: until interrupted)")
	fs.Float64Var(&o.rate, "rate", 0, "ticks per second (0: as fast as possible)")
	fs.Uint64Var(&o.seed, "seed", 0, "random seed (0: the scenario's seed; not with --load)")
	fs.StringVar(&o.save, "save", "", "save the world to `FILE` every --save-every ticks, at the end and on Ctrl-C")
	fs.IntVar(&o.saveEvery, "save-every", 100, "ticks between saves with --save")
	fs.StringVar(&o.load, "load", "", "resume the world saved in `FILE`")
	fs.StringVar(&o.scenario, "scenario", "", "build the world from the scenario `FILE` (JSON) instead of the default")
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics on http://`ADDR`/metrics and pprof on /debug/pprof/")
	fs.StringVar(&o.debug, "debug", "", "serve the read-only debug endpoint (viewer --attach ADDR) on `ADDR` (host:port; an empty host is 127.0.0.1),\n\tthe same HTTP server as --metrics")
	fs.BoolVar(&o.debugControl, "debug-control", false, "let --debug clients pause, resume and step the world")
	fs.DurationVar(&o.budget, "budget", 0, "wall time a tick may take before the clock slows (time dilation); 0: 1/rate, or 50ms")
	fs.IntVar(&o.progressEvery, "progress", 100, "ticks between progress lines when stderr is not a terminal")
	fs.StringVar(&o.logLevel, "log", "info", "log level: debug, info, warn or error")
	fs.BoolVar(&o.force, "force", false, "let --save overwrite a file that is not a Stackworld snapshot")
	fs.StringVar(&o.inputs, "inputs", "", "submit the input lines of `FILE` (- for stdin): CLIENT SEQ TICK COMMAND, with the commands\n\tmove ID X Y and despawn ID; TICK 0 is the next tick")
	fs.StringVar(&o.record, "record", "", "record the delivered inputs in the new input log `LOG`, and the world as it starts in LOG.snap\n\t(stackworld replay LOG.snap LOG re-runs it)")
	fs.Int("zones", 1, "run N zone processes on this machine over an embedded NATS server (the first is this one); the\n\tflags then are stackworld zone's (see zone -h); each zone prints its deep checksum at the end")
	fs.BoolVar(&o.lockstep, "lockstep", false, "with --zones: run the zones in lock step, so a fixed --seed repeats every zone's deep checksum;\n\teach tick waits for every zone, and a stopped zone stalls the others (see zone -h)")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageError{msg: fmt.Sprintf("unexpected argument %q (run takes only flags)", fs.Arg(0))}
	}
	if o.lockstep {
		return nil, usageError{msg: "--lockstep needs --zones N with N >= 2 (one world repeats without it)"}
	}
	switch {
	case o.ticks < 0:
		return nil, usageError{msg: fmt.Sprintf("--ticks %d: must be 0 (forever) or more", o.ticks)}
	case !(o.rate >= 0 && o.rate <= server.MaxRate): // NaN fails both comparisons
		return nil, usageError{msg: fmt.Sprintf("--rate %g: must be in [0, 1e6] ticks per second", o.rate)}
	case o.saveEvery < 1:
		return nil, usageError{msg: fmt.Sprintf("--save-every %d: must be at least 1", o.saveEvery)}
	case o.progressEvery < 1:
		return nil, usageError{msg: fmt.Sprintf("--progress %d: must be at least 1", o.progressEvery)}
	case o.budget < 0:
		return nil, usageError{msg: fmt.Sprintf("--budget %v: must not be negative", o.budget)}
	case o.debugControl && o.debug == "":
		return nil, usageError{msg: "--debug-control without --debug: give the endpoint's address, e.g. --debug 127.0.0.1:6060"}
	case o.debug != "" && o.metrics != "" && o.metrics != loopbackDefault(o.debug):
		return nil, usageError{msg: "--debug and --metrics share one HTTP server: give them the same address"}
	case o.load != "" && o.scenario != "":
		return nil, usageError{msg: "--load and --scenario both given: a snapshot already holds its world"}
	case o.load != "" && o.seed != 0:
		return nil, usageError{msg: "--load and --seed both given: a snapshot continues with its saved random state"}
	}
	if _, err := parseLevel(o.logLevel); err != nil {
		return nil, usageError{msg: err.Error()}
	}
	if o.budget == 0 {
		o.budget = 50 * time.Millisecond
		if o.rate > 0 {
			o.budget = time.Duration(float64(time.Second) / o.rate)
		}
	}
	return o, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// runCmd is `stackworld run`: the world on the library's server loop (package
// world/server), with a progress line, metrics and saves.
func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if n, rest, ok, err := zonesFlag(args); err != nil || (ok && n > 1) { // --zones N: zone.go
		if err != nil {
			return err
		}
		return runZones(ctx, n, rest, stdout, stderr)
	} else if ok {
		args = rest
	}
	o, err := parseRunFlags(args, stderr)
	if err != nil {
		return err
	}
	level, _ := parseLevel(o.logLevel)
	var term *liveTerminal
	if isTerminal(stderr) {
		term = &liveTerminal{w: stderr}
		stderr = term // log lines and the progress line share the terminal
	}
	planned := newPlannedFilter(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	log := slog.New(planned)
	clock := server.SystemClock() // the only wall clock: pacing and measuring ticks
	cfg := world.Config{WallBudget: o.budget, Clock: clock.Now, Logger: log}

	if o.save != "" {
		if err := server.CheckSavePath(o.save, o.force); err != nil {
			return saveError(err, o.save)
		}
	}
	w, source, err := buildWorld(o, cfg)
	if err != nil {
		return err
	}
	defer w.Close()
	log.Info("world ready", "source", source, "tick", w.Now(), "entities", w.Len(), "tasklets", w.Stats().Tasklets.Total()-1)

	r := &runner{o: o, w: w, log: log, stderr: stderr, clock: clock.Now, term: term}
	if o.debug != "" {
		o.metrics = loopbackDefault(o.debug)
	}
	if o.metrics != "" {
		m, err := serveMetrics(ctx, o.metrics, log)
		if err != nil {
			return err
		}
		defer m.close()
		r.metrics = m
		r.metrics.observe(w)
	}
	opts := server.Options{Rate: o.rate, Ticks: uint64(o.ticks), Clock: clock, Logger: log,
		AfterTick: r.afterTick, OnSave: r.onSave}
	if o.save != "" {
		opts.SavePath, opts.SaveEvery, opts.ReplaceAny = o.save, uint64(o.saveEvery), o.force
	}
	if o.inputs != "" || o.record != "" {
		opts.Deliver = deliverCommands(log)
	}
	if o.record != "" {
		if opts.InputLog, err = startRecording(w, o.record, log); err != nil {
			return err
		}
	}
	srv, err := server.New(w, opts)
	if err != nil {
		return err
	}
	r.srv = srv
	if o.debug != "" {
		serveDebug(r.metrics, srv, o.debugControl, log)
	}
	if o.inputs != "" {
		stop, err := startFeeding(ctx, o.inputs, srv, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	err = srv.Run(ctx)
	r.endProgress()
	if err != nil {
		return saveError(err, o.save)
	}
	printSummary(stdout, w)
	if n := planned.count(); n > 0 {
		log.Info("planned failures (fail_one_in in the scenario) were logged at debug level", "count", n)
	}
	if ctx.Err() != nil {
		log.Info("stopped by interrupt", "tick", w.Now())
	}
	return nil
}

// saveError adds the way out to an error of the server's saves.
func saveError(err error, path string) error {
	if errors.Is(err, server.ErrNotSnapshot) {
		return tryError{err: err, try: "--save NEW.cbor (a new file), or --force to overwrite " + path}
	}
	return tryError{err: err, try: "check that the directory exists and is writable"}
}

// printSummary prints run's last line: tick, counts and the world's checksum.
func printSummary(stdout io.Writer, w *world.World) {
	st := w.Stats()
	fmt.Fprintf(stdout, "tick %d: %d entities, %d tasklets, %d failures reported, checksum %016x\n",
		st.Tick, st.Entities, st.Tasklets.Total()-1, st.Failures, w.Checksum())
}

// startRecording creates the input log and saves the world's start beside it.
func startRecording(w *world.World, path string, log *slog.Logger) (*server.LogWriter, error) {
	l, err := server.CreateLog(path, w.Now(), server.SyncEveryTick)
	if err != nil {
		return nil, tryError{err: err, try: "--record with a file that does not exist yet"}
	}
	snap := path + ".snap"
	if _, err := saveWorld(w, snap); err != nil {
		l.Close(w.Now())
		return nil, fmt.Errorf("--record: save the start: %w", err)
	}
	log.Info("recording inputs", "log", path, "start", snap, "replay", "stackworld replay "+snap+" "+path)
	return l, nil
}

// startFeeding submits the inputs of the file (or stdin) on its own goroutine; stop waits
// for it after Run.
func startFeeding(ctx context.Context, name string, srv *server.Server, log *slog.Logger) (stop func(), err error) {
	r := io.Reader(os.Stdin)
	var f *os.File
	if name != "-" {
		if f, err = os.Open(name); err != nil {
			return nil, tryError{err: fmt.Errorf("--inputs: %w", err), try: "--inputs - reads the input lines from stdin"}
		}
		r = f
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		feedInputs(ctx, r, name, srv, log)
	}()
	return func() {
		cancel()
		if f != nil {
			f.Close()
			<-done
		} // stdin may block in Read: the process exits without waiting for it
	}, nil
}

// buildWorld loads the snapshot or builds the scenario (actors.Origin), and adds the way
// out to its errors.
func buildWorld(o *runOptions, cfg world.Config) (*world.World, string, error) {
	origin := actors.Origin{Snapshot: o.load, ScenarioFile: o.scenario, Seed: o.seed,
		Default: assets.DefaultScenario(), DefaultName: "embedded " + assets.DefaultScenarioName}
	w, source, err := origin.Open(cfg)
	var oe *actors.OriginError
	if errors.As(err, &oe) {
		switch oe.Step {
		case actors.StepLoad:
			return nil, "", tryError{err: err, try: "stackworld inspect --summary " + o.load + " (what the file holds); a new world: stackworld run --save NEW.cbor"}
		case actors.StepRead:
			return nil, "", tryError{err: err, try: "stackworld run (the embedded default scenario)"}
		case actors.StepParse:
			return nil, "", tryError{err: err, try: "compare with assets/scenarios/default.json"}
		}
	}
	return w, source, err
}

// runner shows the server's progress and feeds the metrics; its methods run on the
// server's loop goroutine.
type runner struct {
	o        *runOptions
	w        *world.World
	log      *slog.Logger
	stderr   io.Writer
	clock    func() time.Duration
	metrics  *metrics
	term     *liveTerminal // nil when stderr is not a terminal
	srv      *server.Server
	lastLive time.Duration
	timings  []world.TickTiming
}

// afterTick is the server's AfterTick hook.
func (r *runner) afterTick(w *world.World) {
	if r.metrics != nil {
		r.metrics.observe(w)
		if r.srv != nil {
			r.metrics.inputsSeen(r.srv.Stats().Inputs)
		}
	}
	r.progress(false)
}

// onSave is the server's OnSave hook (the server logs failures itself).
func (r *runner) onSave(s server.SaveResult) {
	if r.metrics != nil {
		r.metrics.saved(s)
	}
}

// progress prints the progress line: live (\r) on a terminal, at most ten times a second,
// else one line every --progress ticks.
func (r *runner) progress(final bool) {
	tick := r.w.Now()
	if r.term != nil {
		now := r.clock()
		if !final && now-r.lastLive < 100*time.Millisecond {
			return
		}
		r.lastLive = now
		r.term.setLine(r.line())
		return
	}
	if final || tick%uint64(r.o.progressEvery) == 0 {
		fmt.Fprintln(r.stderr, r.line())
	}
}

func (r *runner) endProgress() {
	if r.term != nil {
		r.progress(true)
		r.term.end()
	} else if r.w.Now()%uint64(r.o.progressEvery) != 0 {
		r.progress(true)
	}
}

// line is the progress line (server.Progress) over the last 256 ticks' timings.
func (r *runner) line() string {
	r.timings = r.w.Timings(r.timings[:0])
	return server.ProgressOf(r.w.Stats(), r.timings).String()
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
