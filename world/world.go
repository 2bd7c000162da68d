package world

import (
	"cmp"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/stackworld/stackworld/sim"
)

// Named limits and defaults.
const (
	// DefaultTickBudget is the step budget of a tasklet per tick when Config.TickBudget is 0.
	DefaultTickBudget = 10_000
	// DefaultSize is the map's width and height, in units, when Config leaves them 0.
	DefaultSize = 1024
	// DefaultCellSize is the spatial grid's cell size, in units, when Config.CellSize is 0.
	DefaultCellSize = 32
	// DefaultMinDilation is the slowest the clock runs under load (EVE's 10 %).
	DefaultMinDilation = 0.1
	// MaxMailboxLen is the most messages a mailbox queues; Post reports false beyond it.
	MaxMailboxLen = 1 << 16
	// timingsKept is how many ticks' timings Timings can return.
	timingsKept = 256
	// failuresKept is how many failures Failures can return.
	failuresKept = 64
)

// Config configures a World. The zero value is the documented default; pass seeds
// explicitly in tests (world.Config{Seed: 42}).
type Config struct {
	// Zone is the zone this world mints entity ids in (the high bits of every EntityID it
	// makes), so that ids are unique across the zones of a game. 0: ids are 1, 2, 3, ...
	// A loaded world keeps the zone it was saved with; a non-zero Zone must equal it.
	Zone uint16
	// Seed seeds the world's random number generator (a math/rand/v2 PCG).
	Seed uint64
	// Width and Height bound the map, in units: positions stay in [0, Width) × [0, Height).
	// 0 means DefaultSize.
	Width, Height int32
	// CellSize is the spatial grid's cell size, in units. 0 means DefaultCellSize.
	CellSize int32
	// TickBudget is the number of steps a tasklet may run in one tick before it is
	// pre-empted to the next tick (and counted). 0 means DefaultTickBudget.
	TickBudget uint32
	// WallBudget is the wall time one tick may take before the world slows its clock (time
	// dilation). 0 disables dilation. It needs Clock.
	WallBudget time.Duration
	// MinDilation is the slowest dilation factor. 0 means DefaultMinDilation.
	MinDilation float64
	// Clock returns monotonic wall time (any origin). It is read only to measure ticks for
	// Timings and dilation, never by world logic, so it cannot change what the world does.
	// nil: ticks are not timed.
	Clock func() time.Duration
	// InterestCap, if > 0, bounds every area of interest to that many entities, the nearest
	// first (ties: the smaller id); 0: no cap. It changes what Visible returns and which
	// events are emitted, so it is saved with the world: a loaded world keeps its cap, and a
	// non-zero InterestCap must equal it (World.SetInterestCap changes it on purpose). At
	// most MaxInterestCap.
	InterestCap int32
	// Logger receives failure reports. nil: slog.Default().
	Logger *slog.Logger
	// UnsavedFrames lets Spawn and Attach run frames of types not registered with persist,
	// for tests and tools whose worlds are never saved. false: such a frame is refused at
	// spawn (see Spawn), not at the first save.
	UnsavedFrames bool
}

// withDefaults returns c with every zero field that has a default set to it.
func (c Config) withDefaults() Config {
	c.Width = cmp.Or(c.Width, DefaultSize)
	c.Height = cmp.Or(c.Height, DefaultSize)
	c.CellSize = cmp.Or(c.CellSize, DefaultCellSize)
	c.TickBudget = cmp.Or(c.TickBudget, DefaultTickBudget)
	c.MinDilation = cmp.Or(c.MinDilation, DefaultMinDilation)
	c.Logger = cmp.Or(c.Logger, slog.Default())
	return c
}

// Validate reports what New would refuse in c (with the defaults filled in).
func (c Config) Validate() error { return c.withDefaults().check() }

func (c Config) check() error {
	if err := checkGrid(c.Width, c.Height, c.CellSize); err != nil {
		return err
	}
	switch {
	case c.MinDilation <= 0 || c.MinDilation > 1:
		return fmt.Errorf("world: MinDilation %g out of range (0, 1]", c.MinDilation)
	case c.TickBudget > 1<<30:
		return fmt.Errorf("world: TickBudget %d out of range [1, 2^30]", c.TickBudget)
	case c.InterestCap < 0 || c.InterestCap > MaxInterestCap:
		return fmt.Errorf("world: InterestCap %d out of range [0, %d]", c.InterestCap, MaxInterestCap)
	case c.WallBudget < 0:
		return fmt.Errorf("world: negative WallBudget %v", c.WallBudget)
	}
	return nil
}

// A World is one zone: a scheduler, an entity registry, a spatial grid with interest
// management, a seeded RNG, a tick clock, named channels and mailboxes. All its methods run
// on the caller's thread of control: from the main program between ticks, or from a Step
// of one of its tasklets. It is not safe for concurrent use; read it from another goroutine
// only while you hold the world still (the run loop's pause, the viewer's frame).
type World struct {
	cfg  Config
	s    *sim.Scheduler
	pcg  *rand.PCG
	rand *rand.Rand

	// entities, dense; idx maps an EntityID to its index (-1: none)
	ents    []Entity
	tasks   []*sim.Tasklet // the tasklet driving ents[i], parallel to ents
	idx     entityIndex
	nextID  EntityID
	kinds   []string
	kindIdx map[string]Kind
	died    int // entities despawned since the grid was rebuilt (it may still list them)
	inTick  bool
	dirty   bool // the main program changed entities since the grid was rebuilt

	grid     Grid
	items    []GridItem // scratch for rebuilding the grid
	watchers []watcher  // entities with an interest radius, by id
	interest interestState
	scratch  []EntityID

	names   map[string]sim.ChanID    // named channels
	named   nameIndex                // names by channel id (named.go)
	mail    map[sim.ChanID]mailQueue // the live mailboxes' queues
	mailIDs []sim.ChanID             // the live mailboxes' ids in creation order
	mailQs  []mailQueue              // their queues, parallel to mailIDs (mailInfo.slot)
	// orphanMail: a mailbox whose owner despawned is kept because a tasklet waits on it
	orphanMail bool
	comps      map[string]componentStore
	monitor    map[sim.ID]sim.ChanID // tasklet → Exit mailbox
	seq        uint64                // world sequence counter (correlation ids)
	// spareCopy is the memory of a finished capture's copy (or PrepareCapture's), for the
	// next capture: the only field another goroutine (a capture's writer) touches.
	spareCopy atomic.Pointer[worldCopy]

	events   []Event
	evMark   int       // events before evMark belong to the last tick; Tick drops them
	failures []Failure // ring of the last failuresKept
	failed   uint64    // failures since the world began (saved)

	use      scratchUse // what the reused slices held lately (scratch.go)
	sum      uint64
	timings  [timingsKept]TickTiming
	nTimings uint64
	emaWall  float64
	dilation float64
}

// New returns an empty world at tick 0.
func New(cfg Config) (*World, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s := sim.NewScheduler(sim.Options{TickBudget: cfg.TickBudget})
	w := newWorld(cfg, s)
	w.pcg = rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)
	w.rand = rand.New(w.pcg)
	w.nextID = MakeEntityID(cfg.Zone, 1)
	w.endTick(false)
	return w, nil
}

// newWorld wires a world around s (new or restored); the RNG and entities are set by the caller.
func newWorld(cfg Config, s *sim.Scheduler) *World {
	w := &World{
		cfg:      cfg,
		s:        s,
		kindIdx:  map[string]Kind{},
		names:    map[string]sim.ChanID{},
		mail:     map[sim.ChanID]mailQueue{},
		comps:    map[string]componentStore{},
		monitor:  map[sim.ID]sim.ChanID{},
		dilation: 1,
	}
	w.grid.init(cfg.Width, cfg.Height, cfg.CellSize)
	s.SetErrorHandler(w.onError)
	s.SetEndHandler(w.onEnd)
	w.register()
	return w
}

// Scheduler returns the world's scheduler.
func (w *World) Scheduler() *sim.Scheduler { return w.s }

// Config returns the configuration (with defaults filled in).
func (w *World) Config() Config { return w.cfg }

// Now returns the current tick.
func (w *World) Now() uint64 { return w.s.Now() }

// Rand returns the world's random number generator. Its state is saved with the world; use it
// (never package-level rand functions) from steps so that runs repeat.
func (w *World) Rand() *rand.Rand { return w.rand }

// NextSeq returns the next value of a saved world counter, for correlation ids and names.
func (w *World) NextSeq() uint64 {
	w.seq++
	return w.seq
}

// Spawn starts a soft tasklet running f (not tied to an entity). A frame whose type is not
// registered with persist could not be saved: unless Config.UnsavedFrames, the tasklet runs
// instead a frame that fails at its first step (in this tick, or the next one if Spawn is
// called between ticks) with an *UnregisteredFrameError, reported as any failure (log,
// Failures, events, the tasklet's monitor). The check is one registry lookup.
func (w *World) Spawn(f sim.Frame) *sim.Tasklet { return w.s.Spawn(w.checkFrame(f)) }

// Close unbinds the world from its scheduler (Of returns nil afterwards) and stops hard
// tasklets.
func (w *World) Close() {
	if w.s.UserData() != w {
		return
	}
	w.s.SetUserData(nil)
	w.s.Close()
}

// ---- Of: from a tasklet to its world ----

// register binds the world to its scheduler, for Of.
func (w *World) register() { w.s.SetUserData(w) }

// Of returns the world whose scheduler runs t, or nil (a scheduler of no world, or a closed
// world). Frames call it from Step to reach their world: the world is kept in its
// scheduler's user-data slot, so Of is a type assertion, constant time, no allocation, and
// safe for concurrent use by different worlds.
func Of(t *sim.T) *World {
	w, _ := t.Scheduler().UserData().(*World)
	return w
}
