package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/stackworld/stackworld/world"
)

// A Controller pauses, resumes, steps and paces a world from another goroutine; each call
// takes effect at the next tick boundary.
type Controller interface {
	Pause()
	Resume()
	Step(n int)
	SetRate(ticksPerSecond float64)
	Status() Status
}

// A Driver runs a world: a Controller whose View runs f between ticks with the world still.
type Driver interface {
	Controller
	View(f func(w *world.World))
}

// Status is what a Driver reports for the HUD.
type Status struct {
	Paused bool
	Rate   float64 // ticks per second; 0: as fast as possible
}

// An Input is a command delivered into a world between ticks: before tick Tick runs, the
// inputs due are ordered by (Tick, Client, Seq) and handed to the input handler.
type Input struct {
	Tick    uint64
	Client  uint32
	Seq     uint64
	Payload []byte
}

// InputHandler delivers one input into w (a mailbox post, a position change). It runs
// between ticks, in input order, and must depend on nothing but w and in, so that a replay
// from the input log does the same.
type InputHandler func(w *world.World, in Input) error

// MaxPendingInputs bounds the inputs a Loop queues for future ticks.
const MaxPendingInputs = 1 << 16

// Loop is the viewer's own tick loop: one goroutine (Run) ticks a world at a rate, paused,
// stepped or as fast as possible; every other method may be called from any goroutine. It
// records every tick in a Timeline, so the viewer can rewind. A zero Loop is not usable:
// use NewLoop.
type Loop struct {
	mu      sync.Mutex
	w       *world.World
	paused  bool
	rate    float64
	steps   int // ticks to run while paused
	pending []Input
	handler InputHandler
	tl      *Timeline
	wake    chan struct{}
}

// NewLoop returns a loop over w at rate ticks per second (0: as fast as possible), paused
// or running, recording into tl (nil: no recording; tl.Start(w) is called) and delivering
// inputs with h (nil: inputs are logged and otherwise ignored). Call Run to start ticking.
func NewLoop(w *world.World, tl *Timeline, h InputHandler, rate float64, paused bool) (*Loop, error) {
	l := &Loop{w: w, tl: tl, handler: h, rate: max(rate, 0), paused: paused, wake: make(chan struct{}, 1)}
	if tl != nil {
		if tl.Handler == nil {
			tl.Handler = h
		}
		if err := tl.Start(w); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// View runs f with the world between ticks.
func (l *Loop) View(f func(w *world.World)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l.w)
}

// Pause stops ticking at the next tick boundary.
func (l *Loop) Pause() { l.set(func() { l.paused, l.steps = true, 0 }) }

// Resume continues ticking at the rate.
func (l *Loop) Resume() { l.set(func() { l.paused = false }) }

// Step runs n more ticks while paused (and pauses a running loop first).
func (l *Loop) Step(n int) { l.set(func() { l.paused, l.steps = true, l.steps+max(n, 0) }) }

// SetRate sets the rate in ticks per second (0: as fast as possible; NaN and negative
// rates are ignored).
func (l *Loop) SetRate(r float64) {
	if math.IsNaN(r) || r < 0 {
		return
	}
	l.set(func() { l.rate = r })
}

// Status returns whether the loop is paused and its rate.
func (l *Loop) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Status{Paused: l.paused, Rate: l.rate}
}

func (l *Loop) set(f func()) {
	l.mu.Lock()
	f()
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Submit queues an input for tick in.Tick (a past tick means the next one). It refuses one
// when MaxPendingInputs are queued.
func (l *Loop) Submit(in Input) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) >= MaxPendingInputs {
		return fmt.Errorf("viewer: input queue full (%d inputs): tick the world or pause submitting", MaxPendingInputs)
	}
	l.pending = append(l.pending, in)
	return nil
}

// Replace swaps the loop's world for w (after a load or a rewind) and returns the old one,
// which the caller closes. Queued inputs stay queued.
func (l *Loop) Replace(w *world.World) *world.World {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.w
	l.w = w
	return old
}

// With runs f with the world between ticks, the timeline and a function that replaces the
// world; f may load, rewind or save.
func (l *Loop) With(f func(w *world.World, tl *Timeline, replace func(*world.World))) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l.w, l.tl, func(nw *world.World) {
		if nw != l.w {
			l.w.Close()
			l.w = nw
		}
	})
}

// Rewind moves the world to the recorded tick target (Timeline.Seek) and pauses the loop.
// The Verdict says whether the checksum there equals the recorded one.
func (l *Loop) Rewind(target uint64) (Verdict, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tl == nil {
		return Verdict{}, errors.New("viewer: rewind: this loop records no timeline")
	}
	l.paused, l.steps = true, 0
	nw, v, err := l.tl.Seek(target, l.w)
	if nw != nil && nw != l.w {
		l.w.Close()
		l.w = nw
	}
	return v, err
}

// TickOnce delivers the inputs due and runs one tick, then records it. Run calls it; tests
// call it directly for exact control.
func (l *Loop) TickOnce() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tick()
}

func (l *Loop) tick() error {
	next := l.w.Now() + 1
	due := l.takeDue(next)
	if l.tl != nil {
		due = l.tl.InputsFor(next, due)
	}
	for _, in := range due {
		if l.handler != nil {
			if err := l.handler(l.w, in); err != nil {
				return fmt.Errorf("viewer: input client %d seq %d for tick %d: %w", in.Client, in.Seq, in.Tick, err)
			}
		}
	}
	if err := l.w.Tick(); err != nil {
		return err
	}
	if l.tl != nil {
		return l.tl.Record(l.w, due)
	}
	return nil
}

// takeDue removes the pending inputs due at tick next (a past tick counts as next), in
// (Tick, Client, Seq) order, stamped with next.
func (l *Loop) takeDue(next uint64) []Input {
	var due []Input
	keep := l.pending[:0]
	for _, in := range l.pending {
		if in.Tick <= next {
			in.Tick = next
			due = append(due, in)
		} else {
			keep = append(keep, in)
		}
	}
	clear(l.pending[len(keep):])
	l.pending = keep
	slices.SortStableFunc(due, compareInputs)
	return due
}

func compareInputs(a, b Input) int {
	switch {
	case a.Tick != b.Tick:
		return cmpU64(a.Tick, b.Tick)
	case a.Client != b.Client:
		return cmpU64(uint64(a.Client), uint64(b.Client))
	}
	return cmpU64(a.Seq, b.Seq)
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Run ticks the world until ctx ends: at the rate while running, the stepped ticks while
// paused. It returns the first tick error, or nil when ctx ends.
func (l *Loop) Run(ctx context.Context) error {
	next := time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		l.mu.Lock()
		run, wait := l.due(&next)
		var err error
		if run {
			err = l.tick()
		}
		l.mu.Unlock()
		if err != nil {
			return err
		}
		if run && wait == 0 {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		if wait <= 0 {
			wait = time.Hour // paused: until a control wakes us
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-l.wake:
		case <-timer.C:
		}
	}
}

// due decides, under l.mu, whether a tick runs now and how long to wait after it.
func (l *Loop) due(next *time.Time) (run bool, wait time.Duration) {
	now := time.Now()
	switch {
	case l.paused && l.steps > 0:
		l.steps--
		*next = now
		return true, 0
	case l.paused:
		*next = now
		return false, -1
	case l.rate == 0:
		*next = now
		return true, 0
	}
	if now.Before(*next) {
		return false, next.Sub(now)
	}
	base := time.Duration(float64(time.Second) / l.rate)
	*next = (*next).Add(l.w.Interval(base))
	if next.Before(now) {
		*next = now // a late world runs late; it does not rush to catch up
	}
	return true, next.Sub(now)
}
