package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/world"
)

// Options configure a Server. The zero value is the documented default: ticks back to back,
// until the context ends, no saves, no inputs, logs discarded.
type Options struct {
	// Rate is the nominal ticks per second; 0 runs ticks back to back. Under load the world's
	// time dilation spaces ticks further apart (world.World.Interval); ticks are never
	// dropped. It must be a finite number in [0, MaxRate].
	Rate float64
	// Ticks stops Run after it has run this many ticks (0: until the context ends).
	Ticks uint64
	// Paused starts the server paused: Resume or Step run it.
	Paused bool

	// SavePath is the snapshot file that autosaves, SaveNow and the final save replace
	// atomically. Empty: no saves (SaveNow reports ErrNoSavePath).
	SavePath string
	// SaveEvery is the number of ticks between autosaves: a save is taken after every tick
	// whose number is a multiple of it. 0: no autosaves (SaveNow and the final save only).
	SaveEvery uint64
	// Codec encodes snapshots. nil: persist.DefaultOptions().Codec().
	Codec *persist.Codec
	// RetryMin and RetryMax bound the wait before a failed save is tried again: it doubles
	// from RetryMin up to RetryMax while saves fail. 0: 1s and 1 minute.
	RetryMin, RetryMax time.Duration
	// WriteFile writes a snapshot. nil: persist.WriteFileAtomic. Tests inject failures here.
	WriteFile func(path string, data []byte) error
	// ReplaceAny lets the saves replace a SavePath that is not a Stackworld snapshot. By
	// default Run refuses to start (ErrNotSnapshot) rather than overwrite another file.
	ReplaceAny bool

	// Deliver hands the inputs due at a tick to the world, on the loop goroutine, just before
	// the tick runs (post them to mailboxes, channels, components). The inputs are in
	// (tick, client, seq) order. An error stops Run. nil: inputs are refused by Submit.
	Deliver func(w *world.World, inputs []Input) error
	// InputLog, if not nil, receives every delivered input as a CBOR record (see LogWriter).
	InputLog *LogWriter
	// MaxQueued bounds the inputs waiting for their tick; Submit refuses more with
	// ErrQueueFull. 0: DefaultMaxQueued.
	MaxQueued int
	// MaxClients bounds the clients whose sequence numbers are remembered for finding
	// duplicates; Submit refuses a new client past it with ErrTooManyClients (Forget frees
	// one). 0: DefaultMaxClients.
	MaxClients int
	// DedupWindow is how many recent sequence numbers per client are remembered; an input
	// with a sequence number at or below the oldest remembered one counts as a duplicate.
	// 0: DefaultDedupWindow.
	DedupWindow int

	// Clock paces the ticks. nil: SystemClock(). It never changes what the world does.
	Clock Clock
	// Logger receives the server's own reports (saves, failed saves, late inputs). nil:
	// discarded.
	Logger *slog.Logger
	// AfterTick is called on the loop goroutine after each tick, with the world held still:
	// read its views, update progress lines and metrics. It must not keep w.
	AfterTick func(w *world.World)
	// OnSave is called on the loop goroutine when a save ends, failed or not. Its Tick is
	// the tick the snapshot holds: on success, what the world was at that tick boundary
	// (and whatever SaveGate settled there) is now durable.
	OnSave func(SaveResult)

	// BeforeTick, EndTick and SaveGate let a program that shares the world with other
	// processes (a world/cluster zone) run on the server: see hooks.go.

	// BeforeTick is called on the loop goroutine before each tick, ahead of Deliver: the
	// place to take in what other processes sent for this tick. ctx ends when Run is
	// stopping (its context ended, or Stop). If the tick may not run yet, BeforeTick
	// returns an error wrapping ErrTickNotReady after a short bounded wait, having changed
	// nothing: the loop serves the boundary and calls it again. Another error stops Run
	// without the final save.
	BeforeTick func(ctx context.Context, w *world.World) error
	// EndTick is called on the loop goroutine after each tick, before AfterTick: the
	// place to send what the tick produced for other processes. ctx is BeforeTick's; the
	// tick has run, so EndTick finishes its work even when ctx ends (for example with
	// context.WithoutCancel and its own timeouts). An error stops Run without the final
	// save.
	EndTick func(ctx context.Context, w *world.World) error
	// SaveGate is asked at the tick boundary of each save, before the copy is taken
	// (autosaves, SaveNow, retries and the final save): nil lets the save go ahead;
	// ErrSaveLater puts it off to the next tick boundary (SaveNow callers keep waiting);
	// another error fails the save as a failed write does (logged, counted, retried).
	// A final save the gate puts off or fails is not written and Run returns the error.
	SaveGate func(w *world.World) error
}

// Limits and defaults of Options.
const (
	MaxRate            = 1e6
	DefaultMaxQueued   = 1 << 16
	DefaultMaxClients  = 1 << 16
	DefaultDedupWindow = 1 << 10
	maxDedupWindow     = 1 << 20
	defaultRetryMin    = time.Second
	defaultRetryMax    = time.Minute
)

// check fills in the defaults and reports what is wrong with o.
func (o Options) check() (Options, error) {
	if err := checkRate(o.Rate); err != nil {
		return o, err
	}
	switch {
	case o.MaxQueued < 0:
		return o, fmt.Errorf("server: MaxQueued %d: must not be negative", o.MaxQueued)
	case o.MaxClients < 0:
		return o, fmt.Errorf("server: MaxClients %d: must not be negative", o.MaxClients)
	case o.DedupWindow < 0 || o.DedupWindow > maxDedupWindow:
		return o, fmt.Errorf("server: DedupWindow %d out of range [0, %d]", o.DedupWindow, maxDedupWindow)
	case o.RetryMin < 0 || o.RetryMax < 0:
		return o, fmt.Errorf("server: RetryMin %v, RetryMax %v: must not be negative", o.RetryMin, o.RetryMax)
	case o.SaveEvery > 0 && o.SavePath == "":
		return o, errors.New("server: SaveEvery without SavePath: set the file to save to")
	case o.InputLog != nil && o.Deliver == nil:
		return o, errors.New("server: InputLog without Deliver: set the handler that delivers inputs")
	}
	if o.Codec == nil {
		c, err := persist.DefaultOptions().Codec()
		if err != nil {
			return o, err
		}
		o.Codec = c
	}
	o.RetryMin = cmp.Or(o.RetryMin, defaultRetryMin)
	o.RetryMax = max(cmp.Or(o.RetryMax, defaultRetryMax), o.RetryMin)
	o.MaxQueued = cmp.Or(o.MaxQueued, DefaultMaxQueued)
	o.MaxClients = cmp.Or(o.MaxClients, DefaultMaxClients)
	o.DedupWindow = cmp.Or(o.DedupWindow, DefaultDedupWindow)
	if o.WriteFile == nil {
		o.WriteFile = persist.WriteFileAtomic
	}
	if o.Clock == nil {
		o.Clock = SystemClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o, nil
}

// checkRate reports a rate that is not a finite number in [0, MaxRate].
func checkRate(r float64) error {
	if math.IsNaN(r) || r < 0 || r > MaxRate {
		return fmt.Errorf("server: rate %g: want a number of ticks per second in [0, %g] (0: as fast as possible)", r, MaxRate)
	}
	return nil
}

// Errors of the Server's methods.
var (
	ErrRunning    = errors.New("server: Run was already called")
	ErrStopped    = errors.New("server: stopped (Run has returned)")
	ErrNoSavePath = errors.New("server: no SavePath: the server does not save")
	// ErrNotSnapshot: SavePath holds a file that is not a Stackworld snapshot, which the
	// saves would overwrite (Options.ReplaceAny allows it).
	ErrNotSnapshot = errors.New("exists and is not a Stackworld snapshot: the server does not overwrite it")
)

// A Server runs a world: the tick loop of a game server. Run owns the world's goroutine;
// every other method is safe to call from any goroutine and takes effect at the next tick
// boundary (between two ticks, never inside one). What the world does depends only on its
// snapshot and the inputs delivered at each tick, never on the wall clock, the rate, pauses
// or when a control call arrived: those decide only when ticks run.
type Server struct {
	w    *world.World
	opts Options

	mu       sync.Mutex
	ctl      control
	stats    Stats
	in       inputQueue
	started  bool
	finished bool
	stopped  bool               // Stop was called
	waiting  bool               // Stats.Waiting is set (read and written on the loop only)
	stop     context.CancelFunc // ends Run's context (set while Run runs)

	wake chan struct{} // a control changed: re-read ctl (cap 1, never blocks)
	done chan struct{} // closed when Run returns

	saver    saver   // used by the loop goroutine only
	due      []Input // the inputs of the tick being delivered (reused)
	lateSeen uint64  // Late at the last delivery, for the log
}

// control is what the methods ask of the loop, read at each tick boundary.
type control struct {
	paused  bool
	steps   uint64 // ticks to run before pausing again, while paused
	rate    float64
	rateGen uint64 // bumped by SetRate: the loop resets its pacing
	saves   []chan SaveResult
	calls   []call
}

// call is a function run between ticks by Do.
type call struct {
	f    func(*world.World)
	done chan struct{}
}

// New returns a server for w. It checks o (see Options) and does not start anything: call
// Run. The server owns w from Run until Run returns.
func New(w *world.World, o Options) (*Server, error) {
	if w == nil {
		return nil, errors.New("server: nil world")
	}
	o, err := o.check()
	if err != nil {
		return nil, err
	}
	if o.InputLog != nil && o.InputLog.Start() != w.Now() {
		return nil, fmt.Errorf("server: the input log starts at tick %d but the world is at tick %d (create the log from w.Now())",
			o.InputLog.Start(), w.Now())
	}
	s := &Server{w: w, opts: o, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.ctl.paused, s.ctl.rate = o.Paused, o.Rate
	s.stats.Rate, s.stats.Paused = o.Rate, o.Paused
	s.in.init(o)
	s.saver.init(s)
	return s, nil
}

// Run is New followed by Server.Run.
func Run(ctx context.Context, w *world.World, o Options) error {
	s, err := New(w, o)
	if err != nil {
		return err
	}
	return s.Run(ctx)
}

// Run first checks SavePath (see ErrNotSnapshot; its folder must take a new file) and
// removes the temporary files a killed save left beside it (persist.RemoveStaleTemps).
// It runs the tick loop on the calling goroutine until ctx ends, Stop is called,
// Options.Ticks ticks have run, or something fails. Then it waits for a save in flight
// and, with a SavePath, saves the world a last time (unless a tick failed half-way), and
// closes the input log. It returns nil after a stop by ctx, Stop or Ticks; otherwise the
// tick's, the delivery's or the final save's error. Run may be called once.
func (s *Server) Run(ctx context.Context) error {
	hooks, stop := context.WithCancel(ctx) // the hooks' context: ends with ctx, or at Stop
	defer stop()
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return ErrRunning
	}
	s.started, s.stop = true, stop
	if s.stopped {
		stop()
	}
	s.mu.Unlock()
	defer close(s.done)
	if err := s.saver.prepare(); err != nil {
		s.mu.Lock()
		s.finished = true
		s.mu.Unlock()
		if s.opts.InputLog != nil {
			err = errors.Join(err, s.opts.InputLog.Close(s.w.Now()))
		}
		return err
	}
	s.saver.start()
	err := s.loop(ctx, hooks)
	var tf tickFailed
	ferr := s.saver.stop(!errors.As(err, &tf)) // a world that failed inside a tick is not saved over the last good save
	if s.opts.InputLog != nil {
		ferr = errors.Join(ferr, s.opts.InputLog.Close(s.w.Now()))
	}
	s.mu.Lock()
	s.finished = true
	pending := s.ctl
	s.ctl.saves, s.ctl.calls = nil, nil
	s.mu.Unlock()
	for _, c := range pending.saves {
		c <- SaveResult{Err: ErrStopped}
	}
	for _, c := range pending.calls {
		close(c.done)
	}
	return errors.Join(err, ferr)
}

// Stop asks Run to stop as the end of its context does: at the next tick boundary, with
// the final save. The context the hooks were handed ends at once, so a BeforeTick that
// waits (ErrTickNotReady) returns. Stop does not wait (receive from Done for that); it may
// be called from any goroutine, more than once, and before Run (which then stops at its
// first boundary).
func (s *Server) Stop() {
	s.mu.Lock()
	s.stopped = true
	stop := s.stop
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// Done returns a channel closed when Run has returned.
func (s *Server) Done() <-chan struct{} { return s.done }

// Pause stops ticking at the next tick boundary. Between ticks the server still runs Do
// calls and saves.
func (s *Server) Pause() {
	s.update(func(c *control) { c.paused, c.steps = true, 0 })
}

// Resume runs ticks again (at the rate) from the next tick boundary.
func (s *Server) Resume() {
	s.update(func(c *control) { c.paused, c.steps = false, 0 })
}

// Step pauses the server after n more ticks: when paused it runs n ticks and pauses again;
// when running it runs n more and pauses. Steps add up.
func (s *Server) Step(n uint64) {
	s.update(func(c *control) {
		if !c.paused {
			c.paused, c.steps = true, 0
		}
		c.steps += n
	})
}

// SetRate sets the nominal ticks per second from the next tick boundary (0: as fast as
// possible). It refuses NaN, infinities and numbers outside [0, MaxRate].
func (s *Server) SetRate(r float64) error {
	if err := checkRate(r); err != nil {
		return err
	}
	s.update(func(c *control) { c.rate, c.rateGen = r, c.rateGen+1 })
	return nil
}

// SaveNow asks for a save at the next tick boundary (even while paused). The channel
// receives the result once the file is written (or ErrNoSavePath, or ErrStopped if Run
// returns first). It never blocks the caller.
func (s *Server) SaveNow() <-chan SaveResult {
	c := make(chan SaveResult, 1)
	if s.opts.SavePath == "" {
		c <- SaveResult{Err: ErrNoSavePath}
		return c
	}
	if !s.updateRunning(func(ctl *control) { ctl.saves = append(ctl.saves, c) }) {
		c <- SaveResult{Err: ErrStopped}
	}
	return c
}

// Do runs f on the loop goroutine at the next tick boundary (even while paused), with the
// world held still, and waits for it: the way for other goroutines to read the world's
// views (a viewer's frame, a debug endpoint). f must not keep w or call the server's
// blocking methods. Do returns ctx's error if ctx ends first (f may still run later), and
// ErrStopped if Run has returned or returns before f ran.
func (s *Server) Do(ctx context.Context, f func(w *world.World)) error {
	c := call{f: f, done: make(chan struct{})}
	ran := false
	c.f = func(w *world.World) { f(w); ran = true }
	if !s.updateRunning(func(ctl *control) { ctl.calls = append(ctl.calls, c) }) {
		return ErrStopped
	}
	select {
	case <-c.done:
		if !ran {
			return ErrStopped
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns the server's counters (see Stats). It is safe from any goroutine.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Inputs = s.in.stats
	st.Inputs.Queued = s.in.queued
	return st
}

// Stats are the server's counters, for metrics.
type Stats struct {
	Ticks        uint64  // ticks run by this server
	Paused       bool    // paused at the last tick boundary
	Rate         float64 // the nominal rate in force
	Saves        uint64  // saves written
	SaveFailures uint64  // saves that failed (each is logged and retried)
	LastSave     SaveResult
	Inputs       InputStats
	// Waiting is why the next tick has not run: the error of the last BeforeTick, which
	// wrapped ErrTickNotReady (a world/cluster LockStep zone names the peer zone and the
	// tick it waits for); "" once BeforeTick lets a tick run.
	Waiting string
	// TickWaits counts the ticks that waited: each wait (BeforeTick's first
	// ErrTickNotReady before a tick) once, however long it lasted.
	TickWaits uint64
}

// update changes the control state and wakes the loop.
func (s *Server) update(f func(*control)) {
	s.mu.Lock()
	f(&s.ctl)
	s.mu.Unlock()
	s.poke()
}

// updateRunning is update unless Run has returned; it reports whether it updated.
func (s *Server) updateRunning(f func(*control)) bool {
	s.mu.Lock()
	if s.finished {
		s.mu.Unlock()
		return false
	}
	f(&s.ctl)
	s.mu.Unlock()
	s.poke()
	return true
}

// poke wakes the loop if it waits.
func (s *Server) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// ---- the loop ----

// pacing is the loop's view of the rate.
type pacing struct {
	rate    float64
	gen     uint64
	next    time.Duration // when the next tick is due (rate > 0)
	running bool          // ticked since the last pause: next is meaningful
}

// loop runs ticks until ctx ends, Stop ends hooks (ctx's child), Ticks are done or
// something fails. It asks ctx.Err itself at each boundary, as Run's callers expect.
func (s *Server) loop(ctx, hooks context.Context) error {
	clock := s.opts.Clock
	var p pacing
	var r retry
	var ran uint64
	for {
		if err := s.boundary(); err != nil {
			return err
		}
		if ctx.Err() != nil || hooks.Err() != nil || (s.opts.Ticks > 0 && ran >= s.opts.Ticks) {
			return nil
		}
		paused, steps, rate, gen := s.readControl()
		if paused && steps == 0 {
			p.running = false
			if !s.wait(hooks, nil) {
				return nil
			}
			continue
		}
		if wait := r.at - clock.Now(); wait > 0 { // BeforeTick answered "not ready" quickly
			if !s.wait(hooks, clock.After(wait)) {
				return nil
			}
			continue // woken by a control or a save, or the backoff is over: look again
		}
		if rate != p.rate || gen != p.gen || !p.running {
			p = pacing{rate: rate, gen: gen, next: clock.Now(), running: true}
		}
		if p.rate > 0 {
			if wait := p.next - clock.Now(); wait > 0 {
				if !s.wait(hooks, clock.After(wait)) {
					return nil
				}
				if clock.Now() < p.next {
					continue // woken by a control or a save: look again
				}
			}
		}
		asked := clock.Now()
		ticked, err := s.tick(hooks)
		if err != nil {
			return err
		}
		if !ticked {
			r.notReady(asked, clock.Now())
			continue // BeforeTick is not ready: serve the boundary and ask again
		}
		r = retry{}
		ran++
		if p.rate > 0 {
			// The clock slows under load: the next tick is due one dilated interval later,
			// never earlier than now (a late world runs late; it does not drop or rush ticks).
			base := time.Duration(float64(time.Second) / p.rate)
			p.next = max(p.next+s.w.Interval(base), clock.Now())
		}
		if paused {
			s.mu.Lock()
			if s.ctl.paused && s.ctl.steps > 0 {
				s.ctl.steps--
			}
			s.mu.Unlock()
		}
	}
}

// retry is the loop's backoff after BeforeTick's "not ready" answers (ErrTickNotReady): a
// hook that answers at once would otherwise be asked again at once, a busy loop. The loop
// asks again no sooner than backoff after it last asked; backoff starts at
// notReadyBackoffMin and doubles, up to notReadyBackoffMax, after each answer that came
// sooner. A hook that waits at least backoff itself (the documented way) is asked again at
// once. Controls, saves and the end of Run are served during the backoff.
type retry struct {
	backoff time.Duration // the least time between two asks (0: notReadyBackoffMin)
	at      time.Duration // when the loop may ask again (clock time)
}

// Bounds of the backoff after quick "not ready" answers.
const (
	notReadyBackoffMin = time.Millisecond
	notReadyBackoffMax = 16 * time.Millisecond
)

// notReady notes a "not ready" answer of a BeforeTick asked at asked and answered at now.
func (r *retry) notReady(asked, now time.Duration) {
	r.backoff = cmp.Or(r.backoff, notReadyBackoffMin)
	if now-asked >= r.backoff {
		r.at = 0 // the hook waited itself
		return
	}
	r.at = asked + r.backoff
	r.backoff = min(2*r.backoff, notReadyBackoffMax)
}

// tickFailed is an error from inside a tick: the world may be half-way through it.
type tickFailed struct{ error }

func (e tickFailed) Unwrap() error { return e.error }

// readControl returns the control state for this boundary.
func (s *Server) readControl() (paused bool, steps uint64, rate float64, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.ctl
	s.stats.Paused, s.stats.Rate = c.paused && c.steps == 0, c.rate
	return c.paused, c.steps, c.rate, c.rateGen
}

// wait blocks until ctx ends (false), timer fires, a control changes or a save ends.
func (s *Server) wait(ctx context.Context, timer <-chan time.Time) bool {
	select {
	case <-ctx.Done():
		return false
	case <-timer:
	case <-s.wake:
	case r := <-s.saver.results:
		s.saver.finished(r)
	}
	return true
}

// boundary does what waits for a tick boundary: finished saves, Do calls, save requests
// and due retries.
func (s *Server) boundary() error {
	select {
	case r := <-s.saver.results:
		s.saver.finished(r)
	default:
	}
	s.mu.Lock()
	calls, saves := s.ctl.calls, s.ctl.saves
	s.ctl.calls, s.ctl.saves = nil, nil
	s.mu.Unlock()
	for _, c := range calls {
		c.f(s.w)
		close(c.done)
	}
	if len(saves) > 0 {
		s.saver.request(saves)
	}
	s.saver.maybeSave()
	return nil
}

// tick delivers the inputs due, runs one tick, and calls the hooks. It reports false,
// having run nothing, when BeforeTick says the tick is not ready.
func (s *Server) tick(ctx context.Context) (bool, error) {
	if ready, err := s.beforeTick(ctx); !ready {
		return false, err
	}
	if err := s.deliver(); err != nil {
		return false, err
	}
	if err := s.w.Tick(); err != nil {
		return false, tickFailed{fmt.Errorf("server: tick %d: %w", s.w.Now()+1, err)}
	}
	if err := s.endTick(ctx); err != nil {
		return false, err
	}
	s.mu.Lock()
	s.stats.Ticks++
	s.mu.Unlock()
	if s.opts.SaveEvery > 0 && s.w.Now()%s.opts.SaveEvery == 0 {
		s.saver.due = true
	}
	if s.opts.AfterTick != nil {
		s.opts.AfterTick(s.w)
	}
	return true, nil
}
